import Foundation
import Testing

/// `kvmnet-diag`, built and run as users run it, on the committed fixture host
/// (`Tests/Fixtures/kvm-host`, the tree the metrics golden test reads), its whole report
/// compared with golden files: text and JSON, for the whole host, a VM pair (the VLAN
/// split of vnet0 and vnet1) and a VM's way out (`--external`).
///
/// `kvmnet-diag snapshot` reads the tree; what varies between runs and machines is then
/// fixed in the snapshot (host name, time, whether the test runs as root) and every report
/// is made from it with `--from`, so the reports are the same on every machine and for
/// every user. Paths under the checkout are shown as `<repo>`. (The snapshot itself has
/// no golden file: its FDB counts are a dictionary written in hash order, which differs
/// from run to run.)
///
/// Regenerate the golden files after an intended change of the output, and review the diff:
///
///     KVMNET_UPDATE_GOLDEN=1 swift test --filter GoldenDiagReportTests
@Suite(.serialized) struct GoldenDiagReportTests {
    static let root = AgentProcess.repositoryRoot.path
    static let fixture = "\(root)/Tests/Fixtures/kvm-host"
    static let goldenDirectory = "\(root)/Tests/KVMNetEndToEndTests/Golden/diag"
    static var diag: String { AgentProcess.productsDirectory.appendingPathComponent("kvmnet-diag").path }

    /// Only the fixture tree: no netlink, and libvirt, ifcfg and other configuration
    /// directories that do not exist there (the fixture host has no VM definitions, and
    /// no network configuration), so nothing of this machine comes in.
    static let sources = [
        "--no-netlink", "--path.procfs=\(fixture)/proc", "--path.sysfs=\(fixture)/sys",
        "--libvirt-dir=\(fixture)/libvirt", "--config-root=\(fixture)/config", "--ifcfg-dir=\(fixture)/ifcfg", "--proxmox-dir=\(fixture)/pve",
    ]

    struct Invocation: CustomTestStringConvertible, Sendable {
        /// Golden file name.
        var name: String
        var arguments: [String]
        /// kvmnet-diag's exit code for it (part of the contract, docs/diag-json.md).
        var exitCode: Int32
        var testDescription: String { "\(name): kvmnet-diag \(arguments.joined(separator: " "))" }
    }

    static let invocations: [Invocation] = {
        let base: [(String, [String], Int32)] = [
            ("host", [], 1),
            ("vm-pair", ["diagnose", "vnet0", "vnet1"], 1),
            ("external", ["diagnose", "vnet0", "--external"], 3),
        ]
        return base.flatMap { name, args, code in
            [Invocation(name: "\(name).txt", arguments: args, exitCode: code),
             Invocation(name: "\(name).json", arguments: args + ["--json"], exitCode: code)]
        }
    }()

    /// The snapshot's fields that depend on the machine and the moment, set to fixed values.
    static func fixSnapshot(_ text: String) -> String {
        text.replacing(/"hostname" : "[^"]*"/, with: "\"hostname\" : \"kvm-host\"")
            .replacing(/"taken_at" : "[^"]*"/, with: "\"taken_at\" : \"2025-01-01T00:00:00Z\"")
            .replacing(/"running_as_root" : (true|false)/, with: "\"running_as_root\" : true")
    }

    static func normalize(_ text: String) -> String {
        text.replacingOccurrences(of: root, with: "<repo>")
    }

    func compare(_ got: String, _ name: String) throws {
        let golden = "\(Self.goldenDirectory)/\(name)"
        if ProcessInfo.processInfo.environment["KVMNET_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.goldenDirectory, withIntermediateDirectories: true)
            try got.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: golden, encoding: .utf8)
        if got != want {
            let g = got.split(separator: "\n", omittingEmptySubsequences: false)
            let w = want.split(separator: "\n", omittingEmptySubsequences: false)
            let first = Array(zip(g, w)).firstIndex { $0.0 != $0.1 } ?? min(g.count, w.count)
            Issue.record("""
                \(golden) differs at line \(first + 1):
                  got:  \(g.count > first ? String(g[first]) : "<end>")
                  want: \(w.count > first ? String(w[first]) : "<end>")
                (after an intended change: KVMNET_UPDATE_GOLDEN=1 swift test --filter GoldenDiagReportTests)
                """)
        }
    }

    /// Reads the fixture tree into a snapshot file with the fixed fields; returns its path.
    func snapshot(in dir: String) throws -> (path: String, text: String) {
        #expect(FileManager.default.isExecutableFile(atPath: Self.diag), "\(Self.diag): build the package first")
        let result = try runCommand(Self.diag, ["snapshot", "-o", "-"] + Self.sources)
        // 3: data incomplete (the tree has no /proc/net/route and no /proc/sys).
        #expect(result.status == 3, "snapshot: exit \(result.status), stderr: \(result.stderr)")
        let text = Self.fixSnapshot(result.stdout)
        let path = "\(dir)/kvm-host.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, text)
    }

    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-golden-diag-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("the whole report equals its golden file", arguments: invocations)
    func reportMatchesGoldenFile(_ invocation: Invocation) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snap = try snapshot(in: dir)
        let result = try runCommand(Self.diag, invocation.arguments + ["--from", snap.path])
        #expect(result.status == invocation.exitCode, "\(invocation.name): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(invocation.name): stderr: \(result.stderr)")
        let got = Self.normalize(result.stdout.replacingOccurrences(of: dir, with: "<snapshot-dir>"))
        if invocation.name.hasSuffix(".json") {
            #expect((try? JSONSerialization.jsonObject(with: Data(got.utf8))) != nil, "\(invocation.name): not JSON")
        }
        try compare(got, invocation.name)
    }

    /// The golden files hold no trace of the machine that wrote them.
    @Test func goldenFilesAreMachineIndependent() throws {
        for name in Self.invocations.map(\.name) {
            let text = try String(contentsOfFile: "\(Self.goldenDirectory)/\(name)", encoding: .utf8)
            #expect(!text.contains(Self.root), "\(name) names this checkout")
            #expect(!text.contains("/tmp/") && !text.contains("<snapshot-dir>"), "\(name) names a scratch path")
            #expect(!text.contains(ProcessInfo.processInfo.hostName) || ProcessInfo.processInfo.hostName.count < 4, "\(name) names this machine")
            #expect(text.hasSuffix("\n"), "\(name)")
        }
    }
}
