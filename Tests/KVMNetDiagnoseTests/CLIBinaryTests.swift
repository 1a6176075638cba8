import Foundation
import KVMNetTestSupport
import Testing

/// Runs the built `kvmnet-diag` on the snapshot fixture: the classic vm1/vm2 VLAN split
/// must print the broken path and exit 1.
@Suite struct CLIBinaryTests {
    /// `kvmnet-diag` next to the test bundle, in the build products directory.
    static func binary() throws -> URL {
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kvmnet-diag")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw CLIError(message: "kvmnet-diag not found next to the test bundle (\(dir.path)); build the package first")
    }

    struct CLIError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        // KVMNetSubprocess, not Foundation's Process (which can miss the exit under load).
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        let r = try Subprocess.run([try binary().path] + arguments, environment: environment)
        return (r.status, r.stdoutText, r.stderrText)
    }

    static var fixture: String { FixtureFiles.path(SnapshotFixtureTests.file) }

    @Test func vlanMismatchFromSavedSnapshotExitsOne() throws {
        let result = try Self.run(["diagnose", "vm1", "vm2", "--from", Self.fixture])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "FAIL  vm1 cannot reach vm2: vm1 is in VLAN 10 and vm2 in VLAN 20 on bond0, so they share no L2 segment")
        #expect(lines.contains("  vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2"))
        #expect(lines.contains("FAIL  path.vlan_mismatch  vm1 -> vm2"))
        #expect(lines.contains("      evidence: /sys/class/net/vnet0/master  master = brvlan-10"))
        #expect(!result.stdout.contains("\u{1B}["))
    }

    @Test func jsonFromSavedSnapshot() throws {
        let result = try Self.run(["vm1", "vm2", "--json", "--from", Self.fixture])
        #expect(result.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let findings = try #require(json?["findings"] as? [[String: Any]])
        #expect(findings.first?["check"] as? String == "path.vlan_mismatch")
        #expect((json?["path"] as? [String: Any])?["rendered"] as? String
                == "vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2")
    }

    @Test func wholeHostFromSnapshotIsCleanAndUsageErrorsAre64() throws {
        let clean = try Self.run(["--from", Self.fixture])
        #expect(clean.status == 0)
        #expect(clean.stdout.hasPrefix("OK  No problems found on kvm1"))
        #expect(try Self.run(["diagnose", "vm1", "--from", Self.fixture]).status == 64)
        #expect(try Self.run(["diagnose", "vm1", "vm9", "--from", Self.fixture]).status == 64)
        #expect(try Self.run(["diagnose", "--from", "/nonexistent/snapshot.json"]).status == 64)
        #expect(try Self.run(["--from", Self.fixture, "--no-netlink"]).status == 64)
    }
}

extension CLIBinaryTests {
    /// `watch`'s usage errors come before anything is attached: an unknown endpoint, a
    /// duration out of range, a missing second endpoint.
    @Test func watchUsageErrorsAre64BeforeAnythingIsAttached() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-watch-usage-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let unknown = try Self.run(["watch", "nosuch-vm1", "nosuch-vm2", "--libvirt-dir", empty.path, "--ifcfg-dir", empty.path, "--no-firewall"])
        #expect(unknown.status == 64, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("kvmnet-diag watch: nosuch-vm1"), "\(unknown.stderr)")
        #expect(try Self.run(["watch", "vm1", "vm2", "--seconds", "0"]).status == 64)
        #expect(try Self.run(["watch", "vm1"]).status == 64)
    }
}

extension CLIBinaryTests {
    /// `--netplan-dir` (repeatable, in precedence order) replaces netplan's default
    /// directories, after `--config-root`; with `--from` it is a usage error; `--help` lists it.
    @Test func netplanDirOptionsReplaceTheDefaultDirectories() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-netplan-dir-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = root.appendingPathComponent("first"), second = root.appendingPathComponent("second")
        for dir in [first, second] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        // The same file name in both: the first directory's shadows the second's.
        try "network:\n  version: 2\n  vlans:\n    v9:\n      id: ten\n      link: eth0\n".write(to: first.appendingPathComponent("10-v.yaml"), atomically: true, encoding: .utf8)
        try "network:\n  version: 2\n  vlans:\n    v8:\n      id: eight\n      link: eth0\n".write(to: second.appendingPathComponent("10-v.yaml"), atomically: true, encoding: .utf8)
        try "network:\n  version: 2\n  bonds:\n    bond7:\n      interfaces: [ghost]\n".write(to: second.appendingPathComponent("20-b.yaml"), atomically: true, encoding: .utf8)
        let host = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kvm-host").path
        let result = try Self.run(["--json", "--no-netlink", "--path.procfs=\(host)/proc", "--path.sysfs=\(host)/sys",
                                   "--libvirt-dir=\(root.path)/none", "--proxmox-dir=\(root.path)/none", "--config-root=\(root.path)/none",
                                   "--netplan-dir", first.path, "--netplan-dir", second.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let errors = (json["data_errors"] as? [[String: Any]] ?? []).filter { $0["source"] as? String == "netplan" }
        let paths = Set(errors.compactMap { $0["path"] as? String })
        #expect(paths == [first.appendingPathComponent("10-v.yaml").path, second.appendingPathComponent("20-b.yaml").path], "\(errors)")

        #expect(try Self.run(["--from", Self.fixture, "--netplan-dir", first.path]).status == 64)
        let help = try Self.run(["diagnose", "--help"])
        #expect(help.stdout.contains("--netplan-dir <dir>") && help.stdout.contains("--proxmox-node <name>"), "\(help.stdout)")
    }
}
