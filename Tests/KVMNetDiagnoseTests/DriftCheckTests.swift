import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// The drift checks on snapshots: the configuration is the fixtures the real tools wrote
/// or accepted (Tests/KVMNetSourcesTests/Fixtures/config, scripts/config-fixtures), the
/// running state is built to match it, then changed one thing at a time.
@Suite struct DriftCheckTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KVMNetSourcesTests/Fixtures/config").path

    enum System: CaseIterable { case ifupdown, networkManager, networkd }

    static func configuration(_ system: System) -> IntendedNetwork {
        var paths = HostPaths()
        paths.rootConfiguration(at: system == .ifupdown ? "\(fixtures)/ifupdown" : system == .networkd ? "\(fixtures)/networkd" : "\(fixtures)/none")
        paths.networkManagerDirectories = system == .networkManager ? ["\(fixtures)/nm"] : []
        return ConfigReader.read(paths).network
    }

    /// The running host both fixtures describe: bond0 (802.3ad, miimon 100, ens1 ens2) in
    /// the VLAN-aware vmbr0, bond0.20 on bond0, MTU 9000 on the bond and its slaves.
    static func matchingHost(_ system: System) -> HostBuilder {
        var host = HostBuilder()
        host.facts.ifcfg = []
        host.facts.ifcfgDirectory = nil
        host.sources = [.netlink, .procfs]
        host.bond("bond0", mode: .ieee8023ad, slaves: ["ens1", "ens2"], miimon: 100)
        host.bridge("vmbr0", ports: ["bond0"])
        host.topology.bridges["vmbr0"]?.vlanFiltering = true
        host.vlan("bond0.20", id: 20, parent: "bond0")
        for name in ["bond0", "ens1", "ens2"] { host.topology.links[name]?.mtu = 9000 }
        host.topology.links["vmbr0"]?.mtu = 9000
        switch system {
        case .ifupdown:
            host.vlan("vlan30", id: 30, parent: "bond0")
            host.vlan("bond0.40", id: 20, parent: "bond0")
            host.bridge("vmbr1", ports: [])
            host.topology.bridges["vmbr0"]?.ports[0].vlans = BridgeVLANSet(ranges: [.init(first: 2, last: 4094), .init(vid: 1, untagged: true)], pvid: 1)
        case .networkManager, .networkd:
            host.vlan("bond0.30", id: 20, parent: "bond0")
            host.topology.bridges["vmbr0"]?.ports[0].vlans = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10), .init(vid: 20)], pvid: 1)
            host.link("vnet-uplink", .physical, master: "vmbr0")
            host.topology.bridges["vmbr0"]?.ports.append(BridgePort(name: "vnet-uplink", state: .forwarding,
                vlans: BridgeVLANSet(ranges: [.init(vid: 30, untagged: true)], pvid: 30)))
            host.topology.links["vnet-uplink"]?.mtu = 1500
        }
        host.facts.configurations = configuration(system)
        return host
    }

    static let driftIDs = ["config.bond_drift", "config.vlan_drift", "config.bridge_port_drift", "config.bridge_vlan_drift",
                           "config.mtu_drift", "config.device_missing", "config.device_unconfigured", "config.managed_twice"]

    @Test(arguments: System.allCases)
    func quietWhenTheHostRunsWhatIsConfigured(system: System) throws {
        let report = Self.matchingHost(system).snapshot().report()
        let findings = report.findings.filter { Self.driftIDs.contains($0.check) }
        #expect(findings.isEmpty, "\(findings.map { "\($0.check) \($0.subject): \($0.explanation)" })")
        for id in Self.driftIDs { #expect(report.outcome(id)?.status != .skipped, "\(id)") }
    }

    @Test(arguments: System.allCases)
    func bondModeSlavesAndMTUDrift(system: System) throws {
        var host = Self.matchingHost(system)
        host.topology.bonds["bond0"]?.mode = .activeBackup
        host.topology.bonds["bond0"]?.slaves.removeLast()
        host.topology.links["ens1"]?.mtu = 1500
        let report = host.snapshot().report()
        let bond = try #require(report.findings("config.bond_drift").first)
        #expect(bond.subject == "bond0")
        #expect(bond.explanation.contains("mode 802.3ad configured, active-backup running"))
        #expect(bond.explanation.contains("ens2 configured as slave but not enslaved"))
        #expect(bond.evidence.first?.source == ["ifupdown", "networkmanager", "networkd"][System.allCases.firstIndex(of: system)!])
        #expect(bond.evidence.first?.line != nil)
        #expect(bond.fix.contains(["ifreload -a", "nmcli connection up bond0", "ip link delete bond0 && networkctl reload"][System.allCases.firstIndex(of: system)!]), "\(bond.fix)")
        let mtu = try #require(report.findings("config.mtu_drift").first)
        #expect(mtu.subject == "ens1")
        #expect(mtu.explanation.contains("MTU 9000 configured, 1500 running"))
        if system == .networkd {
            // A .network setting: reconfigured in place, cited at the file that sets it.
            #expect(mtu.fix.hasPrefix("if the configuration is right: networkctl reload && networkctl reconfigure ens1; if the running state is right, update \(Self.fixtures)/networkd/etc/systemd/network/30-ens.network and networkctl reload"), "\(mtu.fix)")
        }
    }

    @Test(arguments: System.allCases)
    func vlanDriftMissingAndUnconfigured(system: System) throws {
        var host = Self.matchingHost(system)
        host.topology.vlans["bond0.20"]?.id = 21
        host.topology.vlans["bond0.20"]?.parent = "ens1"
        host.topology.bridges["vmbr0"]?.vlanFiltering = false
        host.bridge("br-hand", ports: [])
        host.topology.links["bond0.20"] = nil
        host.vlan("bond0.20", id: 21, parent: "ens1")
        let report = host.snapshot().report()
        let vlan = try #require(report.findings("config.vlan_drift").first)
        #expect(vlan.explanation.contains("VLAN 20 configured, VLAN 21 running"))
        #expect(vlan.explanation.contains("parent bond0 configured, ens1 running"))
        #expect(report.findings("config.device_unconfigured").map(\.subject) == ["br-hand"])
        let fix = try #require(report.findings("config.device_unconfigured").first?.fix)
        #expect(fix.contains(["iface br-hand inet manual", "nmcli connection add type bridge ifname br-hand",
                              "create /etc/systemd/network/br-hand.netdev with [NetDev] Name=br-hand Kind=bridge, then networkctl reload"][System.allCases.firstIndex(of: system)!]))
        #expect(report.findings("config.bridge_vlan_drift").first?.explanation.contains("VLAN filtering on configured, off running") == true)

        var gone = Self.matchingHost(system)
        gone.topology.vlans["bond0.20"] = nil
        gone.topology.links["bond0.20"] = nil
        let missing = try #require(gone.snapshot().report().findings("config.device_missing").first)
        #expect(missing.subject == "bond0.20")
        #expect(missing.explanation.contains(["configured with auto but not running", "configured with autoconnect but not running",
                                              "configured in systemd-networkd's files (applied at boot) but not running"][System.allCases.firstIndex(of: system)!]))
        if system == .networkd { #expect(missing.fix.hasPrefix("if the configuration is right: networkctl reload (creates the netdevs")) }
    }

    @Test(arguments: System.allCases)
    func portVLANsAndExtraPorts(system: System) throws {
        var host = Self.matchingHost(system)
        host.topology.bridges["vmbr0"]?.ports[0].vlans = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1)
        host.link("ens9", .physical, master: "vmbr0")
        host.topology.bridges["vmbr0"]?.ports.append(BridgePort(name: "ens9", state: .forwarding))
        let report = host.snapshot().report()
        let vlans = try #require(report.findings("config.bridge_vlan_drift").first { $0.subject == "bond0" })
        #expect(vlans.explanation.contains("configured but not a member"), "\(vlans.explanation)")
        let extra = try #require(report.findings("config.bridge_port_drift").first { $0.subject == "vmbr0" })
        #expect(extra.explanation.contains("ens9 is a port but not configured in vmbr0"))
    }

    /// The copy-paste: bond0.40 (ifupdown) and vlan30 (NetworkManager) both say VLAN 20.
    @Test func nameIDMismatchInEveryFormat() throws {
        let ifupdown = Self.matchingHost(.ifupdown).snapshot().report().findings("config.name_id_mismatch")
        #expect(ifupdown.count == 1)
        let a = try #require(ifupdown.first)
        #expect(a.severity == .fail)
        #expect(a.explanation.contains("its name bond0.40 says VLAN 40 but it sets vlan-id=20"))
        #expect(a.evidence.first?.file?.hasSuffix("interfaces.d/vlans") == true && a.evidence.first?.line == 9)
        #expect(a.fix.hasPrefix("in \(Self.fixtures)/ifupdown/etc/network/interfaces.d/vlans line 9, make 'vlan-id 20' say 40"))

        let nm = Self.matchingHost(.networkManager).snapshot().report().findings("config.name_id_mismatch")
        #expect(nm.count == 1)
        let b = try #require(nm.first)
        #expect(b.explanation.contains("its name vlan30 says VLAN 30 but it sets vlan.id=20"))
        #expect(b.fix.hasPrefix("nmcli connection modify vlan30 vlan.id 30; then"))

        let networkd = Self.matchingHost(.networkd).snapshot().report().findings("config.name_id_mismatch")
        #expect(networkd.count == 1)
        let c = try #require(networkd.first)
        #expect(c.explanation.contains("its name bond0.30 says VLAN 30 but it sets [VLAN] Id=20"), "\(c.explanation)")
        #expect(c.evidence.first?.file?.hasSuffix("etc/systemd/network/20-bond0.30.netdev") == true && c.evidence.first?.line == 7)
        #expect(c.fix == "in \(Self.fixtures)/networkd/etc/systemd/network/20-bond0.30.netdev line 7, set Id=30 in [VLAN]; then ip link delete bond0.30 && networkctl reload")
    }

    @Test func managedTwiceWhenBothSystemsConfigureADevice() throws {
        var host = Self.matchingHost(.networkManager)
        host.facts.configurations = Self.configuration(.networkManager).merged(with: Self.configuration(.ifupdown))
        let twice = host.snapshot().report().findings("config.managed_twice")
        #expect(Set(twice.map(\.subject)).isSuperset(of: ["bond0", "vmbr0", "bond0.20", "ens1", "ens2"]))
        #expect(twice.first { $0.subject == "bond0" }?.fix.contains("nmcli connection delete bond0") == true)

        var both = Self.matchingHost(.networkd)
        both.facts.configurations = Self.configuration(.networkd).merged(with: Self.configuration(.ifupdown))
        let fix = try #require(both.snapshot().report().findings("config.managed_twice").first { $0.subject == "ens1" }?.fix)
        #expect(fix.contains("systemd-networkd (take ens1 out of [Match] Name= in \(Self.fixtures)/networkd/etc/systemd/network/30-ens.network, or match it in a .network with [Link] Unmanaged=yes; then networkctl reload)"), "\(fix)")
    }

    /// networkd's VLAN protocol (`[VLAN] Protocol=`) against the running one.
    @Test func networkdVLANProtocolDrift() throws {
        var host = Self.matchingHost(.networkd)
        host.topology.vlans["bond0.20"]?.proto = "802.1ad"
        let vlan = try #require(host.snapshot().report().findings("config.vlan_drift").first)
        #expect(vlan.explanation.contains("protocol 802.1q configured, 802.1ad running"))
        #expect(vlan.fix.contains("ip link delete bond0.20 && networkctl reload"))
        var same = Self.matchingHost(.networkd)
        same.topology.vlans["bond0.20"]?.proto = "802.1Q"
        #expect(same.snapshot().report().findings("config.vlan_drift").isEmpty)
    }

    @Test func skippedWithoutAnyConfiguration() throws {
        var host = Self.matchingHost(.ifupdown)
        host.facts.configurations = IntendedNetwork()
        let outcome = host.snapshot().report().outcome("config.device_unconfigured")
        #expect(outcome?.status == .skipped)
    }
}
