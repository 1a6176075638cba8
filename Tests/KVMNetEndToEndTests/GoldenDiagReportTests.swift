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

    /// Only the fixture tree: no netlink, and libvirt, ifcfg and other configuration
    /// directories that do not exist there (the fixture host has no VM definitions, and
    /// no network configuration), so nothing of this machine comes in.
    static let sources = [
        "--no-netlink", "--path.procfs=\(fixture)/proc", "--path.sysfs=\(fixture)/sys",
        "--libvirt-dir=\(fixture)/libvirt", "--config-root=\(fixture)/config", "--ifcfg-dir=\(fixture)/ifcfg", "--proxmox-dir=\(fixture)/pve",
    ]

    /// 3: data incomplete (the tree has no /proc/net/route and no /proc/sys).
    static let host = GoldenDiagHost(name: "kvm-host", hostname: "kvm-host", sources: sources,
                                     snapshotExitCode: 3, suite: "GoldenDiagReportTests")

    struct Invocation: CustomTestStringConvertible, Sendable {
        /// Golden file name.
        var name: String
        var arguments: [String]
        /// kvmnet-diag's exit code for it (part of the contract, docs/diag-json.md).
        var exitCode: Int32
        var testDescription: String { "\(name): kvmnet-diag \(arguments.joined(separator: " "))" }

        /// Each (name, arguments, exit code) as text (`<name>.txt`) and as JSON (`<name>.json`).
        static func both(_ base: [(String, [String], Int32)]) -> [Invocation] {
            base.flatMap { name, args, code in
                [Invocation(name: "\(name).txt", arguments: args, exitCode: code),
                 Invocation(name: "\(name).json", arguments: args + ["--json"], exitCode: code)]
            }
        }
    }

    static let invocations = Invocation.both([
        ("host", [], 1),
        ("vm-pair", ["diagnose", "vnet0", "vnet1"], 1),
        ("external", ["diagnose", "vnet0", "--external"], 3),
    ])

    @Test("the whole report equals its golden file", arguments: invocations)
    func reportMatchesGoldenFile(_ invocation: Invocation) throws {
        try Self.host.check(invocation)
    }

    /// The golden files hold no trace of the machine that wrote them.
    @Test func goldenFilesAreMachineIndependent() throws {
        try Self.host.checkMachineIndependent(Self.invocations.map(\.name))
    }
}
