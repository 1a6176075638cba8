import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// Sources and read errors are typed: the label values of `kvmnet_source_errors_total`
/// are a contract, and callers act on an error's kind, never on its text.
@Suite struct SourceErrorTests {
    @Test func sourceLabelValuesAreTheContract() {
        #expect(Source.allCases.map(\.rawValue) == [
            "sysfs", "brforward", "netlink", "procfs_bonding", "procfs_vlan", "libvirt", "proxmox", "ifcfg",
            // issue 14: configuration sources read by kvmnet-diag (and /diagnose); the agent counts none of them
            "ifupdown", "networkmanager", "networkd", "netplan",
            "sysctl", "route", "procfs",
        ])
        #expect(Source.kernel.map(\.rawValue) == ["brforward", "netlink", "procfs_bonding", "procfs_vlan", "sysfs"])
        #expect("\(Source.procfsBonding)" == "procfs_bonding")
        // netplan's read and parse errors are its own, not networkd's.
        #expect(NetplanIntended.errorSource == .netplan && "\(NetplanIntended.errorSource)" == "netplan")
    }

    @Test func readErrorsKeepAKindFromTheirErrno() {
        #expect(ReadError(path: "x", errno: ENOENT).kind == .missing)
        #expect(ReadError(path: "x", errno: ENODEV).kind == .missing)
        #expect(ReadError(path: "x", errno: EACCES).kind == .permission)
        #expect(ReadError(path: "x", errno: EPERM).kind == .permission)
        #expect(ReadError(path: "x", errno: EINVAL).kind == .notApplicable)
        #expect(ReadError(path: "x", errno: EIO).kind == .other)
        #expect(ReadError(path: "/x", errno: EACCES).description == "/x: Permission denied")
    }

    @Test func hostFilesPassTheKindOn() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-kind-\(UInt64.random(in: 0...UInt64.max))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(HostFiles.load(dir.appendingPathComponent("absent").path, source: .sysctl) == .absent)
        // A directory read as a file: EISDIR, neither missing nor denied.
        guard case .failed(let error) = HostFiles.load(dir.path, source: .ifcfg) else {
            Issue.record("a directory read as a file did not fail")
            return
        }
        #expect(error.source == .ifcfg)
        #expect(error.kind == .other)
        #expect(error.message == "Is a directory")
    }

    @Test func theKindSurvivesASnapshotAndOldSnapshotsDecode() throws {
        let denied = SourceError(source: .libvirt, path: "/run/libvirt/qemu", kind: .permission, message: "Permission denied")
        let again = try JSONDecoder().decode(SourceError.self, from: JSONEncoder().encode(denied))
        #expect(again == denied)
        let old = try JSONDecoder().decode(SourceError.self, from: Data(#"{"source":"route","path":"/proc/net/route","message":"No such file or directory"}"#.utf8))
        #expect(old == SourceError(source: .route, path: "/proc/net/route", kind: .other, message: "No such file or directory"))
    }
}
