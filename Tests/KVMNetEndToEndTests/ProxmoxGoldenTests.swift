import Foundation
import Testing

/// The agent and `kvmnet-diag`, built and run as users run them, on the committed Proxmox VE
/// fixture host (`Tests/Fixtures/proxmox-host`, written by `Tests/Fixtures/make-proxmox-host.py`:
/// /etc/pve with qemu-server and lxc configs, /etc/network/interfaces with the VLAN-aware
/// vmbr0 over bond0 and the plain vmbr1, the guests' tap, veth and firewall devices in
/// sysfs, six of them wired wrong on purpose). Their `/metrics` and reports are compared
/// with golden files (`Golden/proxmox-host.metrics`, `Golden/diag/proxmox-*`), and, apart
/// from the golden files, every guest behind a tap must be named and every planted fault
/// found, and no healthy guest reported.
///
/// The tree is sysfs, read with `--no-netlink`: it has no per-port VLAN lists, so
/// `pve.tag_not_on_port` and the VLAN-aware half of `pve.trunks_missing` cannot be planted
/// here (vmbr0's ports are `bridge.vlan_data_missing`); ProxmoxCheckTests covers them.
///
/// Regenerate the golden files after an intended change of the output, and review the diff:
///
///     KVMNET_UPDATE_GOLDEN=1 swift test --filter ProxmoxGoldenTests
@Suite(.serialized) struct ProxmoxGoldenTests {
    static let root = AgentProcess.repositoryRoot.path
    static let fixture = "\(root)/Tests/Fixtures/proxmox-host"
    static let metricsGolden = "\(root)/Tests/KVMNetEndToEndTests/Golden/proxmox-host.metrics"

    /// The tree's VM sources only, never this machine's: no libvirt, the node fixed.
    static let vmSources = ["--libvirt-dir=\(fixture)/libvirt", "--proxmox-dir=\(fixture)/etc/pve", "--proxmox-node=pve1"]

    static let host = GoldenDiagHost(
        name: "proxmox-host", hostname: "pve1",
        sources: GoldenMetricsTests.fixtureArgs(fixture) + vmSources + ["--config-root=\(fixture)"],
        // 3: data incomplete (sysfs has no port VLANs of the VLAN-aware vmbr0).
        snapshotExitCode: 3, suite: "ProxmoxGoldenTests")

    static let invocations = GoldenDiagReportTests.Invocation.both([
        ("proxmox-host", [], 1),
        // A healthy pair, by Proxmox name and by vmid, one through its firewall bridge.
        ("proxmox-pair", ["diagnose", "web1", "101"], 3),
        // mail1 by vmid: its tap is on vmbr0, its config says vmbr1.
        ("proxmox-wrong-bridge", ["diagnose", "103", "app1"], 1),
        // A container to a VM cut off behind its firewall bridge.
        ("proxmox-firewall", ["diagnose", "ct1", "web2"], 1),
        // The way out of a tagged NIC on the plain vmbr1: vmbr1v20 over ens2f0.20.
        ("proxmox-external", ["diagnose", "legacy1", "--external"], 3),
    ])

    /// Every guest NIC whose host device is in the tree: device -> (name, vmid, bridge its config puts it on).
    static let running: [String: (name: String, vmid: Int, bridge: String)] = [
        "tap100i0": ("web1", 100, "vmbr0"), "tap101i0": ("app1", 101, "vmbr0"), "tap102i0": ("db1", 102, "vmbr0"),
        "tap103i0": ("mail1", 103, "vmbr1"), "tap104i0": ("big1", 104, "vmbr1"), "tap105i0": ("legacy1", 105, "vmbr1v20"),
        "tap106i0": ("router1", 106, "vmbr0"), "tap106i1": ("router1", 106, "vmbr1"), "tap108i0": ("web2", 108, "vmbr0"),
        "veth200i0": ("ct1", 200, "vmbr0"), "veth201i0": ("ct2", 201, "vmbr0"),
    ]

    /// The planted faults, as (check, subject, severity).
    static let planted: Set<String> = [
        "pve.tap_wrong_bridge mail1 tap103i0 fail", "pve.mtu_mismatch big1 tap104i0 fail",
        "pve.trunks_missing router1 tap106i1 fail", "pve.firewall_path_missing web2 tap108i0 fail",
        "pve.firewall_path_missing db1 tap102i0 warn", "pve.mtu_mismatch ct2 veth201i0 warn",
    ]

    func metrics() throws -> String {
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs(Self.fixture) + Self.vmSources)
        defer { agent.stop() }
        let r = try agent.get("/metrics")
        #expect(r.status == 200)
        return GoldenMetricsTests.normalize(r.text)
    }

    @Test func metricsMatchTheGoldenFile() throws {
        try Golden.compare(try metrics(), file: Self.metricsGolden, suite: "ProxmoxGoldenTests")
    }

    @Test("the whole report equals its golden file", arguments: invocations)
    func reportMatchesGoldenFile(_ invocation: GoldenDiagReportTests.Invocation) throws {
        try Self.host.check(invocation)
    }

    @Test func goldenFilesAreMachineIndependent() throws {
        try Self.host.checkMachineIndependent(Self.invocations.map(\.name))
    }

    /// Each guest NIC behind a tap or veth of the tree is in `kvmnet_vm_interface_info`
    /// with its Proxmox name, vmid and configured bridge; the stopped guest and the other
    /// node's are not.
    @Test func everyGuestBehindATapIsNamedInTheMetrics() throws {
        let text = try metrics()
        let devices = try FileManager.default.contentsOfDirectory(atPath: "\(Self.fixture)/sys/class/net")
            .filter { $0.wholeMatch(of: /(tap|veth)[0-9]+i[0-9]+/) != nil }
        #expect(Set(devices) == Set(Self.running.keys))
        var series: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("kvmnet_vm_interface_info{") {
            guard let device = line.firstMatch(of: /device="([^"]*)"/)?.1 else { continue }
            series[String(device)] = String(line)
        }
        #expect(Set(series.keys) == Set(Self.running.keys), "\(series.keys.sorted())")
        for (device, vm) in Self.running {
            let line = series[device] ?? ""
            #expect(line.contains("domain=\"\(vm.name)\"") && line.contains("vmid=\"\(vm.vmid)\"") && line.contains("bridge=\"\(vm.bridge)\""),
                    "\(device): \(line)")
        }
        #expect(!text.contains("idle1") && !text.contains("other-node-vm"))
        #expect(text.contains("kvmnet_source_errors_total{source=\"proxmox\"} 0"))
    }

    /// The host report finds each planted fault and reports no healthy guest.
    @Test func everyPlantedFaultIsFoundAndNoHealthyGuestReported() throws {
        let report = try Self.host.report(["--json"], exitCode: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let findings = json["findings"] as? [[String: Any]] ?? []
        let pve = Set(findings.compactMap { f -> String? in
            guard let check = f["check"] as? String, check.hasPrefix("pve.") else { return nil }
            return "\(check) \(f["subject"] as? String ?? "") \(f["severity"] as? String ?? "")"
        })
        #expect(pve == Self.planted)
        let faulty = Set(Self.planted.map { String($0.split(separator: " ")[1]) })
        for vm in Set(Self.running.values.map(\.name)).subtracting(faulty) where vm != "router1" {
            let about = findings.filter { ($0["subject"] as? String ?? "").hasPrefix("\(vm) ") }
            #expect(about.isEmpty, "\(vm): \(about)")
        }
        // router1's first NIC is healthy, its second is the trunks fault.
        #expect(!pve.contains { $0.contains("tap106i0") })
        // A healthy pair on vmbr0 is not blamed for the other guests' faults on it.
        let pair = try Self.host.report(["diagnose", "web1", "101"], exitCode: 3)
        #expect(!pair.contains("pve.") && (pair.hasPrefix("INCOMPLETE") || pair.hasPrefix("OK")), "\(pair)")
        // Proxmox's own run-time devices are no configuration drift.
        let drift = findings.filter { ($0["check"] as? String ?? "").hasPrefix("config.") }
        #expect(drift.isEmpty, "\(drift)")
    }
}

/// A golden file: `got` must equal it; with `KVMNET_UPDATE_GOLDEN=1` it is written first.
enum Golden {
    static func compare(_ got: String, file golden: String, suite: String) throws {
        if ProcessInfo.processInfo.environment["KVMNET_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: (golden as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try got.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: golden, encoding: .utf8)
        guard got != want else { return }
        let g = got.split(separator: "\n", omittingEmptySubsequences: false)
        let w = want.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Array(zip(g, w)).firstIndex { $0.0 != $0.1 } ?? min(g.count, w.count)
        Issue.record("""
            \(golden) differs at line \(first + 1):
              got:  \(g.count > first ? String(g[first]) : "<end>")
              want: \(w.count > first ? String(w[first]) : "<end>")
            (after an intended change: KVMNET_UPDATE_GOLDEN=1 swift test --filter \(suite))
            """)
    }
}

/// A fixture host whose `kvmnet-diag` reports are golden files in `Golden/diag`.
///
/// `kvmnet-diag snapshot` reads the tree; what varies between runs and machines is then
/// fixed in the snapshot (host name, time, whether the test runs as root) and every report
/// is made from it with `--from`, so the reports are the same on every machine and for
/// every user. Paths under the checkout are shown as `<repo>`.
struct GoldenDiagHost: Sendable {
    /// The snapshot file's name (`<name>.json`).
    var name: String
    var hostname: String
    /// kvmnet-diag's source options for the tree.
    var sources: [String]
    /// `kvmnet-diag snapshot`'s exit code on the tree.
    var snapshotExitCode: Int32
    /// The test suite, for the regenerate command.
    var suite: String

    static let goldenDirectory = "\(AgentProcess.repositoryRoot.path)/Tests/KVMNetEndToEndTests/Golden/diag"
    static var diag: String { AgentProcess.productsDirectory.appendingPathComponent("kvmnet-diag").path }

    /// The snapshot's fields that depend on the machine and the moment, set to fixed values.
    func fixSnapshot(_ text: String) -> String {
        text.replacing(/"hostname" : "[^"]*"/, with: "\"hostname\" : \"\(hostname)\"")
            .replacing(/"taken_at" : "[^"]*"/, with: "\"taken_at\" : \"2025-01-01T00:00:00Z\"")
            .replacing(/"running_as_root" : (true|false)/, with: "\"running_as_root\" : true")
    }

    static func normalize(_ text: String) -> String {
        text.replacingOccurrences(of: AgentProcess.repositoryRoot.path, with: "<repo>")
    }

    /// Reads the fixture tree into a snapshot file with the fixed fields; returns its path.
    func snapshot(in dir: String) throws -> String {
        #expect(FileManager.default.isExecutableFile(atPath: Self.diag), "\(Self.diag): build the package first")
        let result = try runCommand(Self.diag, ["snapshot", "-o", "-"] + sources)
        #expect(result.status == snapshotExitCode, "snapshot: exit \(result.status), stderr: \(result.stderr)")
        let path = "\(dir)/\(name).json"
        try fixSnapshot(result.stdout).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `kvmnet-diag ARGUMENTS --from` the fixed snapshot, normalised; checks the exit code
    /// and that nothing went to stderr.
    func report(_ arguments: [String], exitCode: Int32) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-golden-diag-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try runCommand(Self.diag, arguments + ["--from", try snapshot(in: dir)])
        let call = arguments.joined(separator: " ")
        #expect(result.status == exitCode, "\(call): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(call): stderr: \(result.stderr)")
        return Self.normalize(result.stdout.replacingOccurrences(of: dir, with: "<snapshot-dir>"))
    }

    /// The invocation's report equals its golden file (and is JSON when it should be).
    func check(_ invocation: GoldenDiagReportTests.Invocation) throws {
        let got = try report(invocation.arguments, exitCode: invocation.exitCode)
        if invocation.name.hasSuffix(".json") {
            #expect((try? JSONSerialization.jsonObject(with: Data(got.utf8))) != nil, "\(invocation.name): not JSON")
        }
        try Golden.compare(got, file: "\(Self.goldenDirectory)/\(invocation.name)", suite: suite)
    }

    /// The golden files hold no trace of the machine that wrote them.
    func checkMachineIndependent(_ names: [String]) throws {
        let root = AgentProcess.repositoryRoot.path
        for name in names {
            let text = try String(contentsOfFile: "\(Self.goldenDirectory)/\(name)", encoding: .utf8)
            #expect(!text.contains(root), "\(name) names this checkout")
            #expect(!text.contains("/tmp/") && !text.contains("<snapshot-dir>"), "\(name) names a scratch path")
            #expect(!text.contains(ProcessInfo.processInfo.hostName) || ProcessInfo.processInfo.hostName.count < 4, "\(name) names this machine")
            #expect(text.hasSuffix("\n"), "\(name)")
        }
    }
}
