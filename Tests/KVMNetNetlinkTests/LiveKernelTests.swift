import Foundation
import KVMNetModel
import KVMNetNetlink
import KVMNetState
import KVMNetTestSupport
import Testing

/// Against this machine's kernel, each test in fresh network namespaces that it deletes
/// again (even on failure). Serialized: they share two CPUs with the build.
@Suite(.serialized, .enabled(if: LiveTests.enabled(KernelAccess.available), KernelAccess.reason))
struct LiveKernelTests {
    init() throws { try LiveTests.require(KernelAccess.available, "needs root and iproute2 (ip, bridge)") }

    /// The dump's per-bridge, per-port learned/static/local counts equal `bridge fdb show`'s.
    @Test func dumpCountsEqualBridgeFDBShow() throws {
        try withTestNamespace { ns in
            let lab = try VirtualHostLab(host: ns)
            defer { lab.tearDown() }
            try lab.createBridges()
            try lab.plugVMs()
            try lab.exchangeTraffic()
            try lab.addStaticEntries()
            usleep(200_000)

            // Traffic may still be teaching the bridges: compare a dump taken between two
            // identical `bridge fdb show` outputs.
            var compared = false
            for _ in 0..<5 {
                let before = try lab.fdbShow()
                let dump = try ns.run { try NetlinkTopologyDump.dump() }
                let after = try lab.fdbShow()
                guard before.text == after.text else { continue }
                let topo = TopologyBuilder.build(links: dump.links, fdb: FDBCounts(tallying: dump.fdb))
                #expect(topo.bridges["br0"]?.fdb == before.summaries["br0"])
                #expect(topo.bridges["br1"]?.fdb == before.summaries["br1"])

                let br0 = try #require(topo.bridges["br0"]?.fdb)
                #expect(br0.counts[.init(port: "vnet0", kind: .learned)] == 1)
                #expect(br0.counts[.init(port: "vnet1", kind: .learned)] == 1)
                #expect(br0.counts[.init(port: "vnet0", kind: .static)] == 1)
                #expect((br0.counts[.init(port: "vnet0", kind: .local)] ?? 0) >= 1)
                let br1 = try #require(topo.bridges["br1"]?.fdb)
                #expect(br1.counts[.init(port: "vnet2", kind: .learned)] == 1)
                #expect(br1.counts[.init(port: "vnet2", kind: .static)] == 1)
                #expect(br1.counts[.init(port: "tap0", kind: .local)] == 1)

                #expect(topo.links["br0"]?.addresses == ["10.0.0.1/24"])
                #expect(topo.links["tap0"]?.kind == .tap)
                #expect(topo.bridges["br1"]?.ports.map(\.name).sorted() == ["tap0", "vnet2"])
                compared = true
                break
            }
            #expect(compared, "bridge fdb show kept changing")
        }
    }

    /// VMs start and talk after the monitor subscribed: the FDB known to the state comes
    /// from events only, and must equal `bridge fdb show`.
    @Test func fdbEventsKeepCountsEqualToBridgeFDBShow() throws {
        try withTestNamespace { ns in
            let lab = try VirtualHostLab(host: ns)
            defer { lab.tearDown() }
            try lab.createBridges()
            let state = HostState()
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(
                onChange: { recorder.record($0); state.apply($0) },
                onEvent: { recorder.recordEvent($0) },
                onOverrun: { recorder.recordOverrun() },
                onDecodeError: { recorder.recordDecodeError($0) })
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }

            try lab.plugVMs()
            try lab.exchangeTraffic()
            try lab.addStaticEntries()

            let matched = waitUntil(timeout: 10) {
                guard let shown = try? lab.fdbShow().summaries else { return false }
                let topo = state.snapshot().topology
                return topo.bridges["br0"]?.fdb == shown["br0"] && topo.bridges["br1"]?.fdb == shown["br1"]
                    && (shown["br0"]?.counts[.init(port: "vnet1", kind: .learned)] ?? 0) == 1
            }
            #expect(matched)
            let log = recorder.snapshot
            #expect(log.overruns == 0)
            #expect(log.decodeErrors.isEmpty)
            #expect((log.events["neigh"] ?? 0) > 0)
            #expect((log.events["link"] ?? 0) > 0)
            let learned = recorder.fdbChanges.filter { if case let .fdbAdded(e) = $0 { e.kind == .learned } else { false } }
            #expect(learned.count >= 3)

            // Removing a static entry is seen too.
            try ns.bridge("fdb", "del", "02:00:00:00:00:01", "dev", "vnet0", "master", "static")
            #expect(waitUntil(timeout: 5) {
                state.snapshot().topology.bridges["br0"]?.fdb?.counts[.init(port: "vnet0", kind: .static)] == nil
            })
        }
    }

    /// A veth whose peer goes down and up three times: the monitor reports each oper-state
    /// transition of the bridge port, and the state counts them.
    @Test func flapsAreSeen() throws {
        try withTestNamespace { ns in
            try ns.disableIPv6()
            try ns.ipBatch([
                "link add br0 type bridge", "link set br0 up",
                "link add flap0 type veth peer name flap0p",
                "link set flap0 master br0", "link set flap0 up", "link set flap0p up",
            ])
            // The carrier comes up asynchronously (linkwatch): under load the initial dump
            // could still see lowerlayerdown, and the flaps below would count one more.
            #expect(waitUntil(timeout: 5) {
                ["flap0", "flap0p"].allSatisfy { ((try? ns.ip("-o", "link", "show", $0)) ?? "").contains("state UP") }
            })
            let state = HostState()
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(
                onChange: { recorder.record($0); state.apply($0) },
                onEvent: { state.recordNetlinkEvents(group: $0) },
                onOverrun: { recorder.recordOverrun() })
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }
            #expect(state.snapshot().topology.links["flap0"]?.operState == .up)

            for _ in 0..<3 {
                try ns.ip("link", "set", "flap0p", "down")
                #expect(waitUntil(timeout: 5) { recorder.lastUpdate(of: "flap0")?.link.operState == .lowerlayerdown })
                try ns.ip("link", "set", "flap0p", "up")
                #expect(waitUntil(timeout: 5) { recorder.lastUpdate(of: "flap0")?.link.operState == .up })
            }
            #expect(recorder.operStates(of: "flap0") == [.lowerlayerdown, .up, .lowerlayerdown, .up, .lowerlayerdown, .up])
            // The peer itself passes through lowerlayerdown while its carrier comes back.
            let peerUp = recorder.operStates(of: "flap0p").map { $0 == .up }
            #expect(peerUp.enumerated().filter { $0.offset == 0 || peerUp[$0.offset - 1] != $0.element }.map(\.element)
                    == [false, true, false, true, false, true])
            let snap = state.snapshot()
            #expect(snap.counters.linkTransitions[.init(device: "flap0", to: "lowerlayerdown")] == 3)
            #expect(snap.counters.linkTransitions[.init(device: "flap0", to: "up")] == 3)
            #expect((snap.counters.netlinkEvents["link"] ?? 0) >= 12)
            #expect(snap.topology.bridges["br0"]?.port(named: "flap0")?.state == .forwarding)
            #expect(recorder.snapshot.overruns == 0)

            // After stop, nothing more is delivered.
            monitor.stop()
            #expect(!monitor.isRunning)
            let batches = recorder.snapshot.batches.count
            try ns.ip("link", "set", "flap0p", "down")
            usleep(1_500_000)
            #expect(recorder.snapshot.batches.count == batches)
        }
    }

    /// A tiny receive buffer and a burst of hundreds of link events: the kernel drops
    /// events, the monitor reports the overrun, the handler re-dumps, and once the burst is
    /// over the state equals a fresh dump of the kernel.
    @Test func overrunTriggersResyncAndTheStateConverges() throws {
        try withTestNamespace { ns in
            try ns.disableIPv6()
            try ns.ipBatch(["link add br0 type bridge", "link set br0 up", "link set lo up"])
            let state = HostState()
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(
                receiveBufferSize: 4096,
                onChange: { recorder.record($0); state.apply($0) },
                onEvent: { recorder.recordEvent($0); state.recordNetlinkEvents(group: $0) },
                onOverrun: {
                    recorder.recordOverrun()
                    // On the monitor thread, in the socket's namespace, before any later
                    // event. A failed dump throws, and the monitor calls again.
                    do {
                        state.resync(try NetlinkTopologyDump.dump(), reason: .overrun)
                        recorder.recordResync()
                    } catch {
                        recorder.recordResyncError(error)
                        throw error
                    }
                },
                onDecodeError: { recorder.recordDecodeError($0) })
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }
            let granted = monitor.effectiveReceiveBufferSize
            #expect(granted <= 8192)

            let pairs = 150
            var lines: [String] = []
            for i in 0..<pairs { lines.append("link add burst\(i) type veth peer name burst\(i)p") }
            for i in 0..<pairs where i % 2 == 0 { lines.append("link set burst\(i) master br0") }
            for i in 0..<pairs { lines += ["link set burst\(i) up", "link set burst\(i)p up"] }
            let started = Date()
            try ns.ipBatch(lines)
            let burstSeconds = Date().timeIntervalSince(started)

            #expect(waitUntil(timeout: 20) { recorder.snapshot.overruns > 0 })
            let overrunSeen = Date().timeIntervalSince(started)

            var fresh = FullDump()
            var attempts = 0
            // Seconds, not the ~15 s it took when a dump raced silently dropped events.
            let converged = waitUntil(timeout: 5) {
                attempts += 1
                guard let d = try? ns.run({ try NetlinkTopologyDump.dump() }) else { return false }
                fresh = d
                let expected = TopologyBuilder.build(links: d.links, fdb: FDBCounts(tallying: d.fdb))
                let actual = state.snapshot().topology
                if attempts == 50, ProcessInfo.processInfo.environment["KVMNET_DEBUG"] == "1" {
                    for (k, v) in expected.links where actual.links[k] != v { print("DIFF link \(k): kernel \(v) state \(String(describing: actual.links[k]))") }
                    for (k, v) in expected.bridges where actual.bridges[k] != v { print("DIFF bridge \(k): kernel \(v.ports.filter { $0.state != .forwarding }) state \(String(describing: actual.bridges[k]?.ports.filter { $0.state != .forwarding }))") }
                }
                return actual == expected
            }
            #expect(converged)
            let convergedAfter = Date().timeIntervalSince(started)
            // Stop first: no handler may be half-way when the counters are compared.
            monitor.stop()
            let snap = state.snapshot()
            #expect(snap.topology.links.count == 2 + 2 * pairs)
            #expect(fresh.links.count == 2 + 2 * pairs)
            #expect(snap.topology.bridges["br0"]?.ports.count == pairs / 2)
            #expect(snap.counters.resyncs >= 1)
            #expect(snap.counters.resyncs == UInt64(recorder.snapshot.resyncs))
            #expect(recorder.snapshot.decodeErrors.isEmpty)
            let log = recorder.snapshot
            print("overrun test: \(lines.count) commands in \(String(format: "%.2f", burstSeconds)) s, "
                  + "receive buffer \(granted) B, \(log.events["link"] ?? 0) link and "
                  + "\(log.events["neigh"] ?? 0) neigh messages received, \(log.overruns) overrun calls, \(log.resyncs) resyncs (failed: \(log.resyncErrors)), "
                  + "\(log.batches.count) batches; overrun seen after \(String(format: "%.2f", overrunSeen)) s, "
                  + "state equal to a fresh dump after \(String(format: "%.2f", convergedAfter)) s (\(attempts) comparisons)")
        }
    }

    /// The `AF_BRIDGE` VLAN dump and its events on this kernel. Without
    /// `CONFIG_BRIDGE_VLAN_FILTERING` (this machine's 6.18: `vlan_filtering 1` answers
    /// "Operation not supported") the dump still succeeds and every link's VLANs are
    /// unknown (`nil`); with it, they equal `bridge -c -j vlan show`, and a `bridge vlan
    /// add` reaches a monitored state without a re-dump.
    @Test func bridgeVLANsFromDumpAndEvents() throws {
        try withTestNamespace { ns in
            try ns.ipBatch(["link add br0 type bridge stp_state 0", "link add p0 type veth peer name p0p",
                            "link set p0 master br0", "link set br0 up", "link set p0 up", "link set p0p up"])
            let filtering = (try? ns.ip("link", "set", "br0", "type", "bridge", "vlan_filtering", "1")) != nil
            let state = HostState()
            let monitor = NetlinkMonitor(onChange: { state.apply($0) }, onOverrun: {})
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }
            let dump = try ns.run { try NetlinkTopologyDump.dump() }
            let byName = Dictionary(uniqueKeysWithValues: dump.links.map { ($0.link.name, $0) })
            guard filtering else {
                #expect(dump.links.allSatisfy { $0.bridgeVLANs == nil })
                #expect(byName["br0"]?.bridge?.vlanFiltering != true)
                #expect(byName["p0"]?.masterIndex == byName["br0"]?.link.index)
                return
            }
            #expect(byName["br0"]?.bridge?.vlanFiltering == true)
            #expect(byName["p0"]?.bridgeVLANs == BridgeVLANSet(ranges: [.init(vid: 1, untagged: true)], pvid: 1))
            _ = try ns.bridge("vlan", "add", "dev", "p0", "vid", "10-20")
            let want = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(first: 10, last: 20)], pvid: 1)
            #expect(waitUntil(timeout: 5) { state.snapshot().topology.bridges["br0"]?.port(named: "p0")?.vlans == want })
            _ = try ns.bridge("vlan", "del", "dev", "p0", "vid", "1")
            _ = try ns.bridge("vlan", "del", "dev", "p0", "vid", "10-20")
            #expect(waitUntil(timeout: 5) { state.snapshot().topology.bridges["br0"]?.port(named: "p0")?.vlans == BridgeVLANSet() })
        }
    }

    /// STP moves a port from listening to learning to forwarding with `AF_BRIDGE`
    /// notifications only; the monitor re-reads the port, so the state follows.
    @Test func stpPortStatesFollowTheKernel() throws {
        try withTestNamespace { ns in
            try ns.disableIPv6()
            try ns.ipBatch([
                "link add br0 type bridge stp_state 1 forward_delay 200", "link set br0 up",
                "link add stp0 type veth peer name stp0p", "link set stp0 master br0", "link set stp0p up",
            ])
            let state = HostState()
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(onChange: { recorder.record($0); state.apply($0) }, onOverrun: { recorder.recordOverrun() })
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }
            #expect(state.snapshot().topology.bridges["br0"]?.port(named: "stp0")?.state == .disabled)

            try ns.ip("link", "set", "stp0", "up")
            // forward_delay 2 s: listening 2 s, learning 2 s, then forwarding.
            #expect(waitUntil(timeout: 10) {
                state.snapshot().topology.bridges["br0"]?.port(named: "stp0")?.state == .forwarding
            })
            var seen: [BridgePortState] = []
            for batch in recorder.snapshot.batches {
                for case let .linkUpdated(u) in batch where u.link.name == "stp0" {
                    if let s = u.bridgePort?.state, seen.last != s { seen.append(s) }
                }
            }
            #expect(seen.contains(.listening))
            #expect(seen.contains(.learning))
            #expect(seen.last == .forwarding)
        }
    }

    /// Link events carry no addresses; the monitor's updates do, and follow changes.
    @Test func addressesFollowTheKernel() throws {
        try withTestNamespace { ns in
            try ns.disableIPv6()
            try ns.ipBatch(["link add br0 type bridge", "link set br0 up", "addr add 10.1.0.1/24 dev br0"])
            let state = HostState()
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(onChange: { recorder.record($0); state.apply($0) },
                                         onEvent: { recorder.recordEvent($0) }, onOverrun: { recorder.recordOverrun() })
            defer { monitor.stop() }
            try ns.run { try monitor.start(afterSubscribing: { state.resync(try NetlinkTopologyDump.dump(), reason: .initial) }) }
            #expect(state.snapshot().topology.links["br0"]?.addresses == ["10.1.0.1/24"])

            // A link event (MTU) keeps the addresses.
            try ns.ip("link", "set", "br0", "mtu", "1400")
            #expect(waitUntil(timeout: 5) { recorder.lastUpdate(of: "br0")?.link.mtu == 1400 })
            #expect(state.snapshot().topology.links["br0"]?.addresses == ["10.1.0.1/24"])

            try ns.ip("addr", "add", "10.1.1.1/16", "dev", "br0")
            #expect(waitUntil(timeout: 5) {
                state.snapshot().topology.links["br0"]?.addresses == ["10.1.0.1/24", "10.1.1.1/16"]
            })
            try ns.ip("addr", "del", "10.1.0.1/24", "dev", "br0")
            #expect(waitUntil(timeout: 5) { state.snapshot().topology.links["br0"]?.addresses == ["10.1.1.1/16"] })
            #expect((recorder.snapshot.events["addr"] ?? 0) >= 2)
            let fresh = try ns.run { try NetlinkTopologyDump.dump() }
            #expect(state.snapshot().topology.links["br0"] == TopologyBuilder.build(links: fresh.links).links["br0"])
        }
    }

    @Test func startingTwiceIsAnError() throws {
        try withTestNamespace { ns in
            let monitor = NetlinkMonitor(onChange: { _ in }, onOverrun: {})
            defer { monitor.stop() }
            try ns.run { try monitor.start() }
            #expect(monitor.isRunning)
            #expect(throws: NetlinkError.alreadyStarted) { try ns.run { try monitor.start() } }
            monitor.stop()
            #expect(!monitor.isRunning)
            try ns.run { try monitor.start() }
            #expect(monitor.isRunning)
        }
    }
}
