import KVMNetDiagnose
import KVMNetModel
import Testing

@Suite struct VLANCheckTests {
    @Test func onBondSlaveFiresForVLANOnASlave() throws {
        var host = try Lab.kvmLayout()
        host.vlan("veth1.30", id: 30, parent: "veth1")
        let finding = try #require(host.snapshot().report().findings("vlan.on_bond_slave").first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "veth1.30")
        #expect(finding.explanation.hasPrefix("veth1.30 (VLAN 30) sits on veth1, a slave of bond0, instead of on bond0."))
        #expect(finding.fix == "ip link del veth1.30 && ip link add link bond0 name bond0.30 type vlan id 30 (PHYSDEV=bond0 in its ifcfg file)")
        let slaveLine = try #require(finding.evidence.last)
        #expect(slaveLine.file == "/proc/net/bonding/bond0")
        #expect(slaveLine.line == 20)
    }

    @Test func onBondSlaveQuietForVLANOnTheBond() throws {
        let report = try Lab.kvmLayout().snapshot().report()
        #expect(report.findings("vlan.on_bond_slave").isEmpty)
    }

    @Test func nameIDMismatchFiresWhenTheSuffixSaysAnotherID() throws {
        var host = try Lab.kvmLayout()
        host.topology.vlans["bond0.20"]?.id = 30
        let finding = try #require(host.snapshot().report().findings("vlan.name_id_mismatch").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("bond0.20's name says VLAN 20 but it carries VLAN 30."))
        #expect(finding.fix.contains("ip link set dev bond0.20 name bond0.30"))
    }

    @Test func nameIDMismatchFiresForVlanPrefixNamesAndWrongParent() throws {
        var host = try Lab.kvmLayout()
        host.vlan("vlan40", id: 41, parent: "bond0")
        host.link("eth9", .physical)
        host.vlan("eth8.50", id: 50, parent: "eth9")
        let findings = host.snapshot().report().findings("vlan.name_id_mismatch")
        #expect(findings.map(\.subject) == ["eth8.50", "vlan40"])
        #expect(findings.first?.explanation.hasPrefix("eth8.50's name says parent eth8 but it sits on eth9.") == true)
    }

    @Test func nameIDMismatchQuietForFreeNames() throws {
        var host = try Lab.kvmLayout()
        host.vlan("storage", id: 300, parent: "bond0")
        host.vlan("vlan0300", id: 300, parent: "bond0")
        #expect(host.snapshot().report().findings("vlan.name_id_mismatch").isEmpty)
    }

    @Test func parentDownFiresWhenTheBondIsDown() throws {
        var host = try Lab.kvmLayout()
        host.topology.links["bond0"]?.operState = .down
        let findings = host.snapshot().report().findings("vlan.parent_down")
        #expect(findings.map(\.subject) == ["bond0.10", "bond0.20"])
        let first = try #require(findings.first)
        #expect(first.explanation == "bond0.10's parent bond0 is down (no carrier). Nothing in VLAN 10 passes until it comes up.")
        #expect(first.evidence.map(\.file) == ["/proc/net/vlan/config", "/sys/class/net/bond0/operstate"])
        #expect(first.evidence.first?.line == 3)
    }

    @Test func parentDownFiresForAMissingParentAndAdminDown() throws {
        var host = try Lab.kvmLayout()
        host.topology.vlans["bond9.5"] = VLANDevice(name: "bond9.5", id: 5, parent: "bond9")
        host.topology.links["bond0"]?.adminUp = false
        let findings = host.snapshot().report().findings("vlan.parent_down")
        #expect(findings.contains { $0.subject == "bond9.5" && $0.explanation.contains("does not exist") })
        #expect(findings.contains { $0.subject == "bond0.10" && $0.fix == "ip link set dev bond0 up" })
    }

    @Test func parentDownQuietWhenParentIsUp() throws {
        #expect(try Lab.kvmLayout().snapshot().report().findings("vlan.parent_down").isEmpty)
    }
}
