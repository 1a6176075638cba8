import Foundation
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// netplan in the drift checks' own texts: its fixes are netplan's (`netplan apply`, the
/// YAML file), the skip reason names it, and its read errors have a source of their own.
@Suite struct NetplanFixTests {
    static let fixtures = DriftCheckTests.fixtures + "/netplan"

    /// The netplan fixture's host, as configured (Tests/KVMNetSourcesTests/Fixtures/config/netplan).
    static func host() -> HostBuilder {
        var paths = HostPaths()
        paths.rootConfiguration(at: "\(DriftCheckTests.fixtures)/none")
        paths.netplanDirectories = ["\(fixtures)/etc/netplan"]
        var host = HostBuilder()
        host.facts.ifcfg = []
        host.facts.ifcfgDirectory = nil
        host.sources = [.netlink, .procfs]
        host.bond("bond0", mode: .ieee8023ad, slaves: ["ens1"], miimon: 100)
        host.bridge("vmbr0", ports: ["bond0"])
        for name in ["bond0", "ens1", "ens2", "vmbr0"] { host.topology.links[name]?.mtu = 9000 }
        host.facts.configurations = ConfigReader.read(paths).network
        return host
    }

    @Test func applyFixIsNetplansAndNamesTheYAMLFile() throws {
        var host = Self.host()
        host.topology.links["ens1"]?.mtu = 1500
        let mtu = try #require(host.snapshot().report().findings("config.mtu_drift").first { $0.subject == "ens1" })
        #expect(mtu.fix == "if the configuration is right: netplan try (reverts by itself unless confirmed), then netplan apply; if the running state is right, update \(Self.fixtures)/etc/netplan/10-ethernets.yaml and netplan apply", "\(mtu.fix)")
    }

    @Test func recreatingFixIsNetplans() throws {
        var host = Self.host()
        host.topology.bonds["bond0"]?.mode = .activeBackup
        let bond = try #require(host.snapshot().report().findings("config.bond_drift").first)
        #expect(bond.fix.hasPrefix("if the configuration is right: ip link delete bond0 && netplan apply"), "\(bond.fix)")
        #expect(bond.fix.hasSuffix("update \(Self.fixtures)/etc/netplan/20-bond.yaml and netplan apply"), "\(bond.fix)")
    }

    @Test func noConfigurationSkipNamesNetplan() throws {
        var host = HostBuilder()
        host.facts.ifcfg = []
        host.facts.ifcfgDirectory = nil
        host.facts.configurations = IntendedNetwork()
        let outcome = try #require(host.snapshot().report().outcome("config.bond_drift"))
        #expect(outcome.status == .skipped)
        #expect(outcome.reason?.contains("netplan /etc/netplan/*.yaml") == true, "\(outcome.reason ?? "")")
    }

    /// A netplan file it cannot read or parse is a data error of source `netplan`.
    @Test func netplanErrorsHaveTheirOwnSource() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-netplan-src-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "network:\n  version: 2\n  vlans:\n    v9:\n      id: ten\n      link: eth0\n".write(to: dir.appendingPathComponent("10-v.yaml"), atomically: true, encoding: .utf8)
        var paths = HostPaths()
        paths.rootConfiguration(at: dir.appendingPathComponent("none").path)
        paths.netplanDirectories = [dir.path]
        let errors = ConfigReader.read(paths).errors
        #expect(!errors.isEmpty)
        #expect(errors.allSatisfy { $0.source == .netplan && $0.source.rawValue == "netplan" }, "\(errors)")
    }
}
