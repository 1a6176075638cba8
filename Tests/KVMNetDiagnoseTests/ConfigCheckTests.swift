import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct ConfigCheckTests {
    /// The copy-paste classic: ifcfg-ens37.20 copied from ifcfg-ens37.10, only BRIDGE changed.
    private func copiedHost() throws -> HostBuilder {
        var host = HostBuilder()
        host.link("ens37", .physical)
        host.vlan("ens37.10", id: 10, parent: "ens37")
        host.bridge("brvlan-10", ports: ["ens37.10"])
        host.bridge("brvlan-20", ports: [])
        host.facts.ifcfg = try FixtureFiles.ifcfg("ifcfg-copied")
        return host
    }

    @Test func vlanIDMismatchFiresForTheCopiedIfcfgEns37_20() throws {
        let report = try copiedHost().snapshot().report()
        let findings = report.findings("config.ifcfg_vlan_id_mismatch")
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.severity == .fail)
        #expect(finding.subject == "ifcfg-ens37.20")
        #expect(finding.explanation.hasPrefix("ifcfg-ens37.20 contradicts itself: its name says VLAN 20 on ens37 but it sets DEVICE=ens37.10 and VLAN_ID=10"))
        let path = "/etc/sysconfig/network-scripts/ifcfg-ens37.20"
        #expect(finding.evidence == [
            Evidence(source: "ifcfg", file: path, line: 2, attribute: "DEVICE", value: "ens37.10"),
            Evidence(source: "ifcfg", file: path, line: 6, attribute: "VLAN_ID", value: "10"),
        ])
        #expect(finding.fix.hasPrefix("sed -i -e 's/^DEVICE=.*/DEVICE=ens37.20/' -e 's/^VLAN_ID=.*/VLAN_ID=20/' \(path)"))
    }

    @Test func vlanIDMismatchQuietForConsistentFiles() throws {
        #expect(try Lab.kvmLayout().snapshot().report().findings("config.ifcfg_vlan_id_mismatch").isEmpty)
    }

    @Test func vlanIDMismatchSkippedWithoutIfcfgDirectory() throws {
        var host = try Lab.kvmLayout()
        host.facts.ifcfg = []
        host.facts.ifcfgDirectory = nil
        let outcome = host.snapshot().report().outcome("config.ifcfg_vlan_id_mismatch")
        #expect(outcome?.status == .skipped)
        #expect(outcome?.reason?.contains("no ifcfg directory") == true)
    }

    @Test func missingBridgeFires() throws {
        var host = try Lab.kvmLayout()
        host.link("ens38", .physical)
        host.facts.ifcfg.append(IfcfgParser.parse("DEVICE=ens38\nBRIDGE=br-storage\nONBOOT=yes\n",
                                                  path: "/etc/sysconfig/network-scripts/ifcfg-ens38"))
        let finding = try #require(host.snapshot().report().findings("config.ifcfg_missing_bridge").first)
        #expect(finding.subject == "ifcfg-ens38")
        #expect(finding.explanation.hasPrefix("ifcfg-ens38 puts ens38 in bridge br-storage, but no ifcfg file configures br-storage and no such bridge runs."))
        #expect(finding.evidence.first == Evidence(source: "ifcfg", file: "/etc/sysconfig/network-scripts/ifcfg-ens38",
                                                   line: 2, attribute: "BRIDGE", value: "br-storage"))
    }

    @Test func missingBridgeQuietWhenTheBridgeRunsOrIsConfigured() throws {
        var host = try Lab.kvmLayout()
        host.link("ens38", .physical)
        host.facts.ifcfg.append(IfcfgParser.parse("DEVICE=ens38\nBRIDGE=brvlan-10\n", path: "/x/ifcfg-ens38"))
        host.facts.ifcfg.append(IfcfgParser.parse("DEVICE=ens39\nBRIDGE=br-new\n", path: "/x/ifcfg-ens39"))
        host.facts.ifcfg.append(IfcfgParser.parse("DEVICE=br-new\nTYPE=Bridge\nONBOOT=no\n", path: "/x/ifcfg-br-new"))
        #expect(host.snapshot().report().findings("config.ifcfg_missing_bridge").isEmpty)
    }

    @Test func driftFiresForBondModeAndSlaves() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.mode = .balanceRR
        host.topology.bonds["bond0"]?.slaves.removeLast()
        let finding = try #require(host.snapshot().report().findings("config.ifcfg_drift").first { $0.subject == "bond0" })
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("bond0 runs differently from ifcfg-bond0: mode active-backup configured, balance-rr running; veth1 configured as slave but not enslaved."))
        #expect(finding.evidence.first == Evidence(source: "ifcfg", file: "/etc/sysconfig/network-scripts/ifcfg-bond0",
                                                   line: 4, attribute: "BONDING_OPTS", value: "mode=active-backup miimon=100"))
    }

    @Test func driftFiresForVLANIDAndBridgeMembership() throws {
        var host = try Lab.kvmLayout()
        host.topology.vlans["bond0.20"]?.id = 21
        host.topology.links["bond0.10"]?.master = nil
        host.topology.bridges["brvlan-10"]?.ports.removeAll { $0.name == "bond0.10" }
        let findings = host.snapshot().report().findings("config.ifcfg_drift")
        #expect(findings.contains { $0.subject == "bond0.20" && $0.explanation.contains("VLAN_ID=20 configured, VLAN 21 running") })
        #expect(findings.contains { $0.subject == "bond0.10" && $0.explanation.contains("BRIDGE=brvlan-10 configured, on no bridge running") })
    }

    @Test func driftFiresForConfiguredButMissingDevice() throws {
        var host = try Lab.kvmLayout()
        host.topology.bridges["brvlan-20"] = nil
        host.topology.links["brvlan-20"] = nil
        let finding = try #require(host.snapshot().report().findings("config.ifcfg_drift").first { $0.subject == "brvlan-20" })
        #expect(finding.explanation.contains("configured with ONBOOT=yes but not running"))
    }

    @Test func driftQuietWhenRunningMatchesFiles() throws {
        #expect(try Lab.kvmLayout().snapshot().report().findings("config.ifcfg_drift").isEmpty)
    }
}
