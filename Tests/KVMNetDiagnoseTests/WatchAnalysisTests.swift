import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// `kvmnet-diag watch`'s analysis on events written by hand over snapshots built in code:
/// direction, devices and hops, causes, the frames a bridge never forwarded, and the join
/// with the static diagnosis. The live and lab tests check the same against real kernels.
@Suite struct WatchAnalysisTests {
    static let vm1: UInt64 = 0x5254_0000_0001
    static let vm2: UInt64 = 0x5254_0000_0002
    static let vm3: UInt64 = 0x5254_0000_0003
    static let netns: UInt32 = 4026531840

    static func plan(_ host: HostBuilder, _ a: String, _ b: String) throws -> WatchPlan {
        switch WatchPlan.make(snapshot: host.snapshot(), from: a, to: b) {
        case .success(let plan): return plan
        case .failure(let failure): throw failure
        }
    }

    static func index(_ host: HostBuilder, _ device: String) -> Int { host.topology.links[device]!.index }

    static func frame(_ kind: FrameEvent.Kind, _ host: HostBuilder, _ device: String, from: UInt64, to: UInt64,
                      vlan: Int? = nil, icmp: UInt8 = 8, reason: UInt32 = 0, location: UInt64 = 0, length: Int = 98,
                      netns: UInt32 = netns) -> FrameEvent {
        FrameEvent(kind: kind, timestampNanoseconds: 1_000_000, location: location, reason: reason,
                   ifindex: index(host, device), networkNamespace: netns, length: length, vlanID: vlan,
                   etherType: 0x0800, ipProtocol: 1, icmpType: icmp, sourceMAC: from, destinationMAC: to)
    }

    static func arp(_ host: HostBuilder, _ device: String, from: UInt64, vlan: Int? = nil) -> FrameEvent {
        FrameEvent(kind: .receive, ifindex: index(host, device), networkNamespace: netns, vlanID: vlan,
                   etherType: 0x0806, ipProtocol: 1, sourceMAC: from, destinationMAC: WatchPlan.broadcast,
                   sourceIPv4: "10.0.0.1", destinationIPv4: "10.0.0.2")
    }

    static func input(_ events: [FrameEvent], reasons: [UInt32: String] = [2: "NOT_SPECIFIED", 11: "NETFILTER_DROP"],
                      symbols: [UInt64: KernelSymbols.Symbol] = [:]) -> WatchAnalysis.Input {
        WatchAnalysis.Input(events: events, seconds: 10, hostNetworkNamespace: netns, reasonNames: reasons, symbols: symbols)
    }

    @Test func vlanMismatchIsFramesTheBridgeNeverForwardedOnTheMarkedHop() throws {
        let host = HostBuilder.vlanAwareLayout()
        let plan = try Self.plan(host, "vm1", "vm2")
        let events = (0..<3).map { _ in Self.arp(host, "vnet0", from: Self.vm1, vlan: 10) }
        let report = WatchAnalysis(plan: plan).report(Self.input(events))
        #expect(report.exitCode == 1)
        let drop = try #require(report.drops.first)
        #expect(report.drops.count == 1)
        #expect(drop.source == .notForwarded)
        #expect(drop.direction == .forward)
        #expect(drop.device == "br0")
        #expect(drop.count == 3)
        #expect(drop.vlanID == 10)
        #expect(drop.protocols == ["ARP request"])
        #expect(drop.cause.contains("vnet1 is not a member of VLAN 10 on VLAN-aware bridge br0"), "\(drop.cause)")
        #expect(drop.checks.contains("path.vlan_mismatch"))
        #expect(drop.onMarkedHop)
        #expect(report.agreesWithStatic == true)
        #expect(report.verdict.hasPrefix("3 frames from vm1 to vm2 not forwarded by br0"))
        #expect(report.frames == [WatchReport.FrameCount(direction: .forward, device: "vnet0", event: "received", count: 3)])
    }

    @Test func healthyPairHasNoDropsAndExitsZero() throws {
        let host = HostBuilder.vlanAwareLayout()
        let plan = try Self.plan(host, "vm1", "vm3")
        let events = [
            Self.frame(.receive, host, "vnet0", from: Self.vm1, to: Self.vm3),
            Self.frame(.transmit, host, "vnet2", from: Self.vm1, to: Self.vm3),
            Self.frame(.receive, host, "vnet2", from: Self.vm3, to: Self.vm1, icmp: 0),
            Self.frame(.transmit, host, "vnet0", from: Self.vm3, to: Self.vm1, icmp: 0),
            // Not between the two: ignored.
            Self.frame(.receive, host, "vnet0", from: Self.vm1, to: Self.vm2),
        ]
        let report = WatchAnalysis(plan: plan).report(Self.input(events))
        #expect(report.drops.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.agreesWithStatic == nil)
        #expect(report.frames.count == 4)
        #expect(report.timeline.count == 4)
        #expect(report.verdict == "4 frames between vm1 and vm3 seen, none dropped")
        let json = String(decoding: try report.jsonBytes(), as: UTF8.self)
        #expect(json.contains("\"drops\" : []"))
    }

    @Test func netfilterDropIsNamedWithTheFunctionAndTheFirewallFinding() throws {
        var host = HostBuilder()
        host.bridge("br0", ports: [])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        let plan = try Self.plan(host, "vm1", "vm2")
        let location: UInt64 = 0xffff_ffff_81c0_1234
        let events = [
            Self.frame(.receive, host, "vnet0", from: Self.vm1, to: Self.vm2),
            Self.frame(.drop, host, "vnet0", from: Self.vm1, to: Self.vm2, reason: 11, location: location),
            Self.frame(.receive, host, "vnet0", from: Self.vm1, to: Self.vm2),
            Self.frame(.drop, host, "vnet0", from: Self.vm1, to: Self.vm2, reason: 11, location: location),
        ]
        let report = WatchAnalysis(plan: plan).report(Self.input(events, symbols: [location: .init(function: "nf_hook_slow", offset: 0x84)]))
        let drop = try #require(report.drops.first)
        #expect(report.drops.count == 1, "no not_forwarded entry for frames the kernel dropped: \(report.drops)")
        #expect(drop.source == .kernel)
        #expect(drop.reason == "NETFILTER_DROP")
        #expect(drop.function == "nf_hook_slow+0x84")
        #expect(drop.device == "vnet0")
        #expect(drop.hop == "vnet0")
        #expect(drop.count == 2)
        #expect(drop.cause.hasPrefix("a netfilter rule or chain policy of the host firewall dropped them"))
        #expect(report.exitCode == 1)
        #expect(report.timeline.contains { $0.event == "dropped" && $0.function == "nf_hook_slow+0x84" && $0.reason == "NETFILTER_DROP" })
    }

    @Test func tooLargeFramesAreBlamedOnTheMTU() throws {
        var host = HostBuilder()
        host.bridge("br0", ports: [])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        host.topology.links["vnet1"]?.mtu = 1400
        let plan = try Self.plan(host, "vm1", "vm2")
        let events = [Self.frame(.drop, host, "vnet1", from: Self.vm1, to: Self.vm2, reason: 2, location: 7, length: 1514)]
        let report = WatchAnalysis(plan: plan).report(Self.input(events, symbols: [7: .init(function: "br_dev_queue_push_xmit", offset: 0x10, module: "bridge")]))
        let drop = try #require(report.drops.first)
        #expect(drop.cause == "the frames (1514 bytes) are larger than the MTU of vnet1 (1400)")
        #expect(drop.function == "br_dev_queue_push_xmit+0x10 [bridge]")
    }

    @Test func blockingPortIsBlamedOnItsSTPState() throws {
        var host = HostBuilder()
        host.bridge("br0", ports: [])
        host.vm("vm1", tap: "vnet0", bridge: "br0", mac: "52:54:00:00:00:01")
        host.vm("vm2", tap: "vnet1", bridge: "br0", mac: "52:54:00:00:00:02")
        host.topology.bridges["br0"]?.ports[1].state = .blocking
        let plan = try Self.plan(host, "vm1", "vm2")
        let events = [Self.frame(.drop, host, "vnet1", from: Self.vm2, to: Self.vm1, icmp: 0, reason: 2, location: 9)]
        let report = WatchAnalysis(plan: plan).report(Self.input(events, symbols: [9: .init(function: "br_handle_frame", offset: 0x1a4)]))
        let drop = try #require(report.drops.first)
        #expect(drop.direction == .backward)
        #expect(drop.cause == "vnet1 is in STP state blocking: bridge br0 takes no frames from it")
        #expect(report.verdict.hasPrefix("1 frames from vm2 to vm1 dropped at vnet1"))
    }

    @Test func devicesOfOtherNamespacesAreNotMistakenForHostDevices() throws {
        let host = HostBuilder.vlanAwareLayout()
        let plan = try Self.plan(host, "vm1", "vm3")
        let event = Self.frame(.drop, host, "vnet0", from: Self.vm1, to: Self.vm3, reason: 2, netns: 4026532999)
        let report = WatchAnalysis(plan: plan).report(Self.input([event]))
        // A guest namespace's own stack (a namespace VM freeing a reply no socket wants)
        // is not the host's handling: left out, and said.
        #expect(report.drops.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.notes.contains { $0.hasPrefix("1 events in other network namespaces") })
    }

    @Test func noFramesIsSaidAndExitsZero() throws {
        let plan = try Self.plan(HostBuilder.vlanAwareLayout(), "vm1", "vm2")
        let report = WatchAnalysis(plan: plan).report(Self.input([]))
        #expect(report.exitCode == 0)
        #expect(report.notes.contains { $0.hasPrefix("No frame between vm1 and vm2 was seen in 10 s") })
        #expect(WatchTextRenderer(colour: false).render(report).hasPrefix("OK  no frames between vm1 and vm2 seen\n"))
    }

    @Test func planFiltersOnBothEndsAndBroadcast() throws {
        let plan = try Self.plan(HostBuilder.vlanAwareLayout(), "vm1", "vm2")
        #expect(Set(plan.macs) == [Self.vm1, Self.vm2, WatchPlan.broadcast])
        if case .failure(let failure) = WatchPlan.make(snapshot: HostBuilder.vlanAwareLayout().snapshot(), from: "vm1", to: "nosuchvm") {
            #expect("\(failure)".contains("nosuchvm"))
        } else {
            Issue.record("an unknown endpoint must fail")
        }
    }

    @Test func textNamesEachDropWithItsCause() throws {
        let host = HostBuilder.vlanAwareLayout()
        let plan = try Self.plan(host, "vm1", "vm2")
        let text = WatchTextRenderer(colour: false).render(WatchAnalysis(plan: plan).report(Self.input([Self.arp(host, "vnet0", from: Self.vm1, vlan: 10)])))
        #expect(text.contains("\nDrops\n  1 not forwarded by br0, vm1 -> vm2\n      reason NOT_FORWARDED, VLAN 10, ARP request\n"), "\(text)")
        #expect(text.contains("+0.000 s  vm1 -> vm2  received vnet0  ARP request  VLAN 10"))
    }
}

extension WatchAnalysisTests {
    /// Linux 6.1 on a VLAN-aware bridge that is not itself in VLAN 10: vm1's ARP broadcast
    /// goes to vm3's port, and its copy for the host is refused in br_pass_frame_up. That
    /// copy is no drop between vm1 and vm3 (a healthy pair), nor the reason vm2 gets nothing.
    @Test func theHostsCopyOfABroadcastIsNotADropBetweenTheEnds() throws {
        let host = HostBuilder.vlanAwareLayout()
        let symbols: [UInt64: KernelSymbols.Symbol] = [5: .init(function: "br_pass_frame_up", offset: 0x90, module: "bridge")]
        var drop = Self.arp(host, "vnet0", from: Self.vm1, vlan: 10)
        drop.kind = .drop
        drop.location = 5
        drop.reason = 2
        var sent = Self.arp(host, "vnet2", from: Self.vm1, vlan: 10)
        sent.kind = .transmit
        sent.destinationIPv4 = "10.0.0.3"
        var received = Self.arp(host, "vnet0", from: Self.vm1, vlan: 10)
        received.destinationIPv4 = "10.0.0.3"
        var copy = drop
        copy.destinationIPv4 = "10.0.0.3"
        var healthy = host
        healthy.topology.links["vnet2"]?.addresses = []
        let toVM3 = try Self.plan(healthy, "vm1", "vm3")
        let report3 = WatchAnalysis(plan: toVM3).report(Self.input([received, copy, sent], symbols: symbols))
        #expect(report3.drops.isEmpty, "\(report3.drops)")
        #expect(report3.exitCode == 0)
        #expect(report3.notes.contains { $0.hasPrefix("1 copies of broadcast frames") })

        let toVM2 = try Self.plan(host, "vm1", "vm2")
        let report2 = WatchAnalysis(plan: toVM2).report(Self.input([Self.arp(host, "vnet0", from: Self.vm1, vlan: 10), drop], symbols: symbols))
        #expect(report2.drops.map(\.source) == [.notForwarded])
        #expect(report2.drops.first?.count == 1)
    }
}

extension WatchAnalysisTests {
    /// Linux 6.1 frees a unicast frame whose destination port does not forward in
    /// br_handle_frame_finish (br_forward inlined), on the ingress port: the destination's
    /// port is the cause, not the VLAN the frame is in.
    @Test func unicastToAPortThatDoesNotForwardBlamesThatPort() throws {
        var host = HostBuilder.vlanAwareLayout()
        host.topology.bridges["br0"]?.ports[3].state = .disabled
        #expect(host.topology.bridges["br0"]?.ports[3].name == "vnet2")
        let plan = try Self.plan(host, "vm1", "vm3")
        let events = [Self.frame(.drop, host, "vnet0", from: Self.vm1, to: Self.vm3, vlan: 10, reason: 2, location: 3)]
        let report = WatchAnalysis(plan: plan).report(Self.input(events, symbols: [3: .init(function: "br_handle_frame_finish", offset: 0x2f0, module: "bridge")]))
        #expect(report.drops.first?.cause == "vnet2, the port towards the destination, is in STP state disabled: bridge br0 does not forward to it")
    }

    /// Untagged frames are seen entering a VLAN-aware bridge before it tags them: the
    /// not-forwarded count takes the sender port's PVID as their VLAN.
    @Test func untaggedFramesNotForwardedAreInTheSendersPVID() throws {
        let host = HostBuilder.vlanAwareLayout()
        let plan = try Self.plan(host, "vm1", "vm2")
        let report = WatchAnalysis(plan: plan).report(Self.input([Self.arp(host, "vnet0", from: Self.vm1)]))
        #expect(report.drops.first?.vlanID == 10)
        #expect(report.drops.first?.cause.contains("vnet1 is not a member of VLAN 10") == true)
    }
}
