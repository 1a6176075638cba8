import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// The `pve.*` checks, endpoint resolution by name or vmid, and the path through a
/// Proxmox firewall bridge, on snapshots built in code with configs as Proxmox writes them.
@Suite struct ProxmoxCheckTests {
    static let web1 = """
        #Web front end
        boot: order=scsi0;net0
        name: web1
        net0: virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1,tag=10
        scsi0: local-lvm:vm-100-disk-0,size=32G

        [before-upgrade]
        net0: virtio=BC:24:11:5E:7A:01,bridge=vmbr9
        """
    static let db1 = """
        hostname: db1
        net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:AA:BB:01,ip=10.0.10.20/24,tag=10,trunks=20;30-31,type=veth
        """

    /// vmbr0 (VLAN-aware, uplink eth0): web1 (100) through fwbr100i0 / fwln100i0 =
    /// fwpr100p0, db1 (container 101) with veth101i0 straight on it; both in VLAN 10.
    static func host() -> HostBuilder {
        var host = HostBuilder()
        host.link("eth0", .physical)
        host.link("tap100i0", .tap)
        host.link("fwln100i0", .veth)
        host.link("fwpr100p0", .veth)
        host.link("veth101i0", .veth)
        host.bridge("fwbr100i0", ports: ["tap100i0", "fwln100i0"])
        host.bridge("vmbr0", ports: ["eth0", "fwpr100p0", "veth101i0"])
        host.topology.bridges["vmbr0"]?.vlanFiltering = true
        let access = BridgeVLANSet(ranges: [.init(vid: 10, untagged: true)], pvid: 10)
        setVLANs(&host, "vmbr0", [
            "eth0": BridgeVLANSet(ranges: [.init(first: 2, last: 4094)], pvid: nil),
            "fwpr100p0": access,
            "veth101i0": BridgeVLANSet(ranges: [.init(vid: 10, untagged: true), .init(first: 20, last: 31)], pvid: 10),
        ])
        host.facts.libvirtDirectories = []
        host.facts.proxmoxDirectories = ["/etc/pve/qemu-server", "/etc/pve/lxc"]
        host.facts.proxmoxGuests = [
            ProxmoxConfigParser.parse(web1, kind: .qemu, vmid: 100, path: "/etc/pve/qemu-server/100.conf").guest,
            ProxmoxConfigParser.parse(db1, kind: .lxc, vmid: 101, path: "/etc/pve/lxc/101.conf").guest,
        ]
        return host
    }

    static func setVLANs(_ host: inout HostBuilder, _ bridge: String, _ sets: [String: BridgeVLANSet]) {
        guard var b = host.topology.bridges[bridge] else { return }
        b.ports = b.ports.map { port in
            var port = port
            if let set = sets[port.name] { port.vlans = set }
            return port
        }
        host.topology.bridges[bridge] = b
    }

    static let ids = ["pve.tap_wrong_bridge", "pve.tag_not_on_port", "pve.trunks_missing", "pve.mtu_mismatch", "pve.firewall_path_missing"]

    @Test func healthyProxmoxHostRaisesNothing() {
        let report = Self.host().snapshot().report()
        for id in Self.ids {
            #expect(report.outcome(id)?.status == .passed, "\(id): \(report.findings(id).map(\.explanation))")
        }
        // The firewall bridge leads on to vmbr0: it is no bridge without an uplink.
        #expect(!report.findings("bridge.no_uplink").contains { $0.subject == "fwbr100i0" })
    }

    @Test func checksAreSkippedOffProxmox() {
        var host = Self.host()
        host.facts.proxmoxGuests = []
        host.facts.proxmoxDirectories = []
        #expect(host.snapshot().report().outcome("pve.tap_wrong_bridge")?.status == .skipped)
    }

    @Test func tapOnAnotherBridgeCitesTheConfigLine() throws {
        var host = Self.host()
        host.bridge("vmbr1", ports: [])
        host.topology.bridges["vmbr0"]?.ports.removeAll { $0.name == "veth101i0" }
        host.topology.bridges["vmbr1"]?.ports.append(BridgePort(name: "veth101i0", state: .forwarding))
        host.topology.links["veth101i0"]?.master = "vmbr1"
        let finding = try #require(host.snapshot().report().findings("pve.tap_wrong_bridge").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "db1 veth101i0")
        #expect(finding.explanation.hasPrefix("db1 (101)'s net0 tap veth101i0 is on vmbr1, but its config puts it on vmbr0."))
        let config = try #require(finding.evidence.first { $0.source == "proxmox" })
        #expect(config.rendered == "/etc/pve/lxc/101.conf:2  net0 bridge = vmbr0")
        #expect(finding.evidence.contains { $0.attribute.contains("master") && $0.value == "vmbr1" })
        #expect(finding.fix.contains("pct set 101 --net0 "))
        #expect(finding.fix.contains("ip link set dev veth101i0 master vmbr0"))
    }

    @Test func taggedNICOnABridgeThatIsNotVLANAwareBelongsOnTheVLANBridge() throws {
        var host = Self.host()
        host.topology.bridges["vmbr0"]?.vlanFiltering = false
        let finding = try #require(host.snapshot().report().findings("pve.tap_wrong_bridge").first { $0.subject == "web1 tap100i0" })
        #expect(finding.explanation.contains("fwpr100p0 is on vmbr0, but its config puts it on vmbr0v10"))
        #expect(finding.evidence.contains { $0.attribute == "net0 tag" && $0.value == "10" })
    }

    @Test func tagNotOnPortNamesThePVIDOfFwpr() throws {
        var host = Self.host()
        Self.setVLANs(&host, "vmbr0", ["fwpr100p0": BridgeVLANSet(ranges: [.init(vid: 1, untagged: true)], pvid: 1)])
        let finding = try #require(host.snapshot().report().findings("pve.tag_not_on_port").first)
        #expect(finding.subject == "web1 tap100i0")
        #expect(finding.explanation.contains("has tag=10, but on vmbr0 its port fwpr100p0 is not an untagged member of VLAN 10 (its PVID is 1)"))
        #expect(finding.evidence.first?.rendered == "/etc/pve/qemu-server/100.conf:4  net0 tag = 10")
        #expect(finding.fix.hasSuffix("bridge vlan add dev fwpr100p0 vid 10 pvid untagged"))
        #expect(finding.fix.hasPrefix("qm set 100 --net0 virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=0,tag=10 && qm set 100 --net0 virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1,tag=10, or now"))
    }

    @Test func trunksMissingListsTheVLANsNotOnThePort() throws {
        var host = Self.host()
        Self.setVLANs(&host, "vmbr0", ["veth101i0": BridgeVLANSet(ranges: [.init(vid: 10, untagged: true), .init(vid: 20)], pvid: 10)])
        let finding = try #require(host.snapshot().report().findings("pve.trunks_missing").first)
        #expect(finding.subject == "db1 veth101i0")
        #expect(finding.explanation.contains("is not a member of VLAN 30-31"))
        #expect(finding.fix.hasSuffix("bridge vlan add dev veth101i0 vid 30-31"))
    }

    @Test func mtuAboveTheTapsIsAFailForAVM() throws {
        var host = Self.host()
        host.facts.proxmoxGuests[0].nics[0].mtu = 9000
        let finding = try #require(host.snapshot().report().findings("pve.mtu_mismatch").first)
        #expect(finding.severity == .fail)
        #expect(finding.evidence.map(\.value) == ["9000", "1500"])
        #expect(finding.fix.hasPrefix("qm set 100 --net0 virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1,tag=10,mtu=1 "))
        host.facts.proxmoxGuests[0].nics[0].mtu = 1400
        #expect(host.snapshot().report().findings("pve.mtu_mismatch").isEmpty)
    }

    @Test func firewallPathMissingWhenFwprIsOffTheBridge() throws {
        var host = Self.host()
        host.topology.bridges["vmbr0"]?.ports.removeAll { $0.name == "fwpr100p0" }
        host.topology.links["fwpr100p0"]?.master = nil
        let finding = try #require(host.snapshot().report().findings("pve.firewall_path_missing").first)
        #expect(finding.severity == .fail)
        #expect(finding.explanation.contains("the veth fwpr100p0 is on no bridge (it belongs on vmbr0)"))
        #expect(finding.fix.hasSuffix("or now: ip link set dev fwpr100p0 master vmbr0"))
    }

    @Test func tapStraightOnTheBridgeBypassesTheFirewall() throws {
        var host = Self.host()
        host.topology.bridges["fwbr100i0"]?.ports.removeAll { $0.name == "tap100i0" }
        host.topology.bridges["vmbr0"]?.ports.append(BridgePort(name: "tap100i0", state: .forwarding))
        host.topology.links["tap100i0"]?.master = "vmbr0"
        let finding = try #require(host.snapshot().report().findings("pve.firewall_path_missing").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.contains("the tap tap100i0 is on vmbr0, not on fwbr100i0"))
    }

    @Test func endpointsByNameAndVmid() throws {
        let snapshot = Self.host().snapshot()
        let resolver = EndpointResolver(snapshot: snapshot)
        for query in ["web1", "100"] {
            let endpoints = try resolver.resolve(query).get()
            #expect(endpoints.map(\.device) == ["tap100i0"])
            #expect(endpoints.first?.domain == "web1")
            #expect(endpoints.first?.expectedBridge == "vmbr0")
        }
        #expect(try resolver.resolve("10.0.10.20").get().first?.domain == "db1")
        #expect(try resolver.resolve("tap100i0").get().first?.domain == "web1")
        guard case .failure(let error) = resolver.resolve("nosuch") else { Issue.record("resolved"); return }
        #expect(error.message.contains("Proxmox guests: web1 (100), db1 (101)"))
    }

    @Test func pathWalksThroughTheFirewallBridge() throws {
        let report = Self.host().snapshot().report(.path(from: "web1", to: "101"))
        let path = try #require(report.path)
        #expect(path.relation == .sameBridge)
        #expect(path.rendered == "web1 tap100i0 -- fwbr100i0 -- fwln100i0=fwpr100p0 [pvid 10] -- vmbr0 [vlan 10] -- veth101i0 [pvid 10] db1")
        #expect(!report.findings.contains { $0.severity == .fail })
    }

    @Test func pathBreaksWhereFwprLeftTheBridge() throws {
        var host = Self.host()
        host.topology.bridges["vmbr0"]?.ports.removeAll { $0.name == "fwpr100p0" }
        host.topology.links["fwpr100p0"]?.master = nil
        let report = host.snapshot().report(.path(from: "web1", to: "db1"))
        #expect(report.path?.relation != .sameBridge)
        #expect(report.findings.contains { $0.check == "pve.firewall_path_missing" && $0.severity == .fail })
    }

    /// Snapshots from before Proxmox support decode, without guests.
    @Test func olderSnapshotsDecode() throws {
        let facts = try JSONDecoder().decode(HostFacts.self, from: Data(#"{"domains": []}"#.utf8))
        #expect(facts.proxmoxGuests.isEmpty && facts.proxmoxDirectories.isEmpty)
        let snapshot = Self.host().snapshot()
        let json = try JSONEncoder().encode(snapshot)
        let back = try JSONDecoder().decode(DiagSnapshot.self, from: json)
        #expect(back.facts.proxmoxGuests == snapshot.facts.proxmoxGuests)
    }
}
