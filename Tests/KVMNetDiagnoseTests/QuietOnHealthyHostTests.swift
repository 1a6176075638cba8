import KVMNetDiagnose
import Testing

/// Every host check stays quiet on the healthy parts of the lab layout: one "stays quiet"
/// test per check id (the firing tests are in the per-family files).
@Suite struct QuietOnHealthyHostTests {
    static let hostCheckIDs = CheckCatalog.all.filter { $0.modes.contains(.host) }.map(\.id)

    @Test func everyCheckOfTheIssueIsInTheCatalog() {
        let required = [
            "path.vlan_mismatch", "path.different_bridges", "path.subnet_mismatch", "path.mtu_mismatch", "path.uplink_down",
            "bond.no_active_slave", "bond.active_slave_down", "bond.degraded", "bond.no_link_monitoring",
            "bond.lacp_no_partner", "bond.lacp_aggregator_mismatch", "bond.mode_needs_switch",
            "bond.slave_speed_mismatch", "vlan.on_bond_slave", "vlan.name_id_mismatch", "vlan.parent_down",
            "bridge.down", "bridge.no_uplink", "bridge.stp_blocking", "bridge.netfilter",
            "bridge.address_on_port", "bridge.mac_flapping", "vm.tap_detached", "vm.tap_wrong_bridge",
            "vm.tap_down", "vm.duplicate_mac", "host.ip_forward_off", "host.no_default_route",
            "config.ifcfg_vlan_id_mismatch", "config.ifcfg_missing_bridge", "config.ifcfg_drift",
            // issue 13: VLAN-aware bridges and stacked layouts
            "bond.mode_unsuited_for_bridge", "bridge.port_no_pvid", "bridge.vlan_not_on_port",
            "bridge.vlan_not_on_uplink", "bridge.vlan_protocol_mismatch", "bridge.vlan_data_missing", "bridge.vlan_filtering_off",
            // issue 16: the host firewall
            "firewall.forward_drop_bridged", "firewall.bridge_family_drop", "firewall.unverifiable",
            // issue 14: Proxmox VE guests
            "pve.tap_wrong_bridge", "pve.tag_not_on_port", "pve.trunks_missing", "pve.mtu_mismatch",
            "pve.firewall_path_missing",
            // issue 14: drift for every configuration system
            "config.bond_drift", "config.vlan_drift", "config.bridge_port_drift", "config.bridge_vlan_drift",
            "config.mtu_drift", "config.device_missing", "config.device_unconfigured", "config.name_id_mismatch",
            "config.managed_twice",
        ]
        #expect(CheckCatalog.all.map(\.id).sorted() == required.sorted())
        #expect(Set(CheckCatalog.all.map(\.id)).count == CheckCatalog.all.count)
    }

    @Test(arguments: hostCheckIDs)
    func quietOnHealthyLab(id: String) throws {
        let report = try Lab.kvmLayout().snapshot().report()
        #expect(report.findings(id).isEmpty, "\(id): \(report.findings(id).map(\.explanation))")
        #expect(report.outcome(id)?.status == .passed)
    }

    @Test func healthyLabExitsZero() throws {
        let report = try Lab.kvmLayout().snapshot().report()
        #expect(report.status == .ok)
        #expect(report.exitCode == 0)
        #expect(report.summary.skipped == 0)
        #expect(report.summary.passed == Self.hostCheckIDs.count)
        #expect(report.verdict == "No problems found on kvm1 (\(Self.hostCheckIDs.count) checks passed)")
    }
}
