import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct BridgeCheckTests {
    @Test func downFiresForAdministrativelyDownBridge() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["brvlan-20"]?.adminUp = false
        host.topology.links["brvlan-20"]?.operState = .down
        let finding = try #require(host.snapshot().report().findings("bridge.down").first)
        #expect(finding.subject == "brvlan-20")
        #expect(finding.explanation == "brvlan-20 is administratively down. Nothing is forwarded between its ports.")
        #expect(finding.fix.hasPrefix("ip link set dev brvlan-20 up"))
        #expect(finding.evidence.first?.file == "/sys/class/net/brvlan-20/operstate")
    }

    @Test func downFiresWhenAllPortsAreDown() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["brvlan-20"]?.operState = .down
        let finding = try #require(host.snapshot().report().findings("bridge.down").first)
        #expect(finding.explanation.hasPrefix("brvlan-20 is down because none of its ports is up"))
    }

    @Test func downQuietWhenUpOrWithoutPorts() throws {
        var host = try Lab.kvmLayout()
        #expect(host.snapshot().report().findings("bridge.down").isEmpty)
        // libvirt's virbr0 with no guest: admin up, no carrier, no ports.
        host.bridge("virbr0", ports: [], addresses: ["192.168.122.1/24"])
        host.topology.links["virbr0"]?.operState = .down
        #expect(host.snapshot().report().findings("bridge.down").isEmpty)
    }

    @Test func noUplinkFiresForBridgeOfTapsOnly() throws {
        var host = try Lab.kvmLayout()
        host.bridge("br-lab", ports: [])
        host.vm("vm5", tap: "vnet5", bridge: "br-lab", mac: "52:54:00:00:00:05")
        let finding = try #require(host.snapshot().report().findings("bridge.no_uplink").first)
        #expect(finding.severity == .warn)
        #expect(finding.subject == "br-lab")
        #expect(finding.explanation.hasPrefix("br-lab has no uplink: its ports (vnet5) all lead to guests"))
        #expect(finding.evidence.first?.value == "vnet5")
    }

    @Test func noUplinkQuietForRoutedBridgeWithAddress() throws {
        var host = try Lab.kvmLayout()
        host.bridge("virbr0", ports: [], addresses: ["192.168.122.1/24"])
        host.vm("vm5", tap: "vnet5", bridge: "virbr0", mac: "52:54:00:00:00:05")
        #expect(host.snapshot().report().findings("bridge.no_uplink").isEmpty)
    }

    @Test func stpBlockingFiresForBlockedPort() throws {
        var host = try Lab.kvmLayout()
        host.topology.bridges["brvlan-10"]?.stpEnabled = true
        host.topology.bridges["brvlan-10"]?.ports[0].state = .blocking
        let finding = try #require(host.snapshot().report().findings("bridge.stp_blocking").first)
        #expect(finding.subject == "bond0.10")
        #expect(finding.evidence.first?.file == "/sys/class/net/bond0.10/brport/state")
        #expect(finding.evidence.first?.value == "4 (blocking)")
    }

    @Test func stpBlockingQuietWhileLearning() throws {
        var host = try Lab.kvmLayout()
        host.topology.bridges["brvlan-10"]?.ports[0].state = .learning
        #expect(host.snapshot().report().findings("bridge.stp_blocking").isEmpty)
    }

    @Test func netfilterFiresWhenBridgeNFCallIptablesIsOne() throws {
        var host = try Lab.kvmLayout()
        host.sysctl(Sysctl.bridgeNFIptables, "1")
        host.sysctl(Sysctl.bridgeNFIp6tables, "0")
        let finding = try #require(host.snapshot().report().findings("bridge.netfilter").first)
        #expect(finding.subject == "net.bridge.bridge-nf-call-iptables")
        #expect(finding.evidence == [Evidence(source: "sysctl", file: "/proc/sys/net/bridge/bridge-nf-call-iptables",
                                              line: 1, attribute: "net.bridge.bridge-nf-call-iptables", value: "1")])
        #expect(finding.devices == ["brvlan-10", "brvlan-20"])
    }

    @Test func netfilterQuietWhenZeroOrNoBridges() throws {
        var host = try Lab.kvmLayout()
        host.sysctl(Sysctl.bridgeNFIptables, "0")
        #expect(host.snapshot().report().findings("bridge.netfilter").isEmpty)
        var bare = HostBuilder()
        bare.sysctl(Sysctl.bridgeNFIptables, "1")
        #expect(bare.snapshot().report().findings("bridge.netfilter").isEmpty)
    }

    @Test func addressOnPortFires() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["bond0.10"]?.addresses = ["10.10.10.1/24", "fe80::1/64"]
        let finding = try #require(host.snapshot().report().findings("bridge.address_on_port").first)
        #expect(finding.subject == "bond0.10")
        #expect(finding.explanation.hasPrefix("bond0.10 is a port of brvlan-10 but has the address 10.10.10.1/24."))
        #expect(finding.fix.hasPrefix("ip addr del 10.10.10.1/24 dev bond0.10 && ip addr add 10.10.10.1/24 dev brvlan-10"))
    }

    @Test func addressOnPortQuietForLinkLocalOnlyAndSkippedWithoutAddresses() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["bond0.10"]?.addresses = ["fe80::1/64"]
        #expect(host.snapshot().report().findings("bridge.address_on_port").isEmpty)
        host.facts.addressSource = nil
        #expect(host.snapshot().report().outcome("bridge.address_on_port")?.status == .skipped)
    }

    @Test func macFlappingFiresAtThreshold() throws {
        var host = try Lab.kvmLayout()
        host.fdbMoves = ["brvlan-10": 250, "brvlan-20": 3]
        let findings = host.snapshot().report().findings("bridge.mac_flapping")
        #expect(findings.map(\.subject) == ["brvlan-10"])
        #expect(findings.first?.explanation.hasPrefix("brvlan-10 saw 250 MAC moves between ports in 300 s.") == true)
        #expect(findings.first?.evidence.first?.source == "agent")
    }

    @Test func macFlappingQuietBelowThresholdAndSkippedWithoutEvents() throws {
        var host = try Lab.kvmLayout()
        host.fdbMoves = ["brvlan-10": 9]
        #expect(host.snapshot().report().findings("bridge.mac_flapping").isEmpty)
        host.fdbMoves = nil
        let outcome = host.snapshot().report().outcome("bridge.mac_flapping")
        #expect(outcome?.status == .skipped)
        #expect(outcome?.reason?.contains("kvmnet-agent") == true)
        #expect(host.snapshot().report().exitCode == 0)
    }
}
