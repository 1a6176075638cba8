import Foundation
import KVMNetSources

/// A proc and sys tree written by a test, laid out as the kernel's (a device is a link
/// from `sys/class/net` into `sys/devices`), removed with the object.
final class SysfsTree {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-sysfs-\(UInt64.random(in: 0...UInt64.max))").path
    deinit { try? FileManager.default.removeItem(atPath: root) }

    func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func link(_ relative: String, to target: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    /// A device as a real sysfs shows it: a link from class/net into devices/.
    func device(_ name: String, index: Int, extra: [String: String] = [:]) throws {
        let dir = "sys/devices/virtual/net/\(name)"
        for (k, v) in ["ifindex": "\(index)", "iflink": "\(index)", "operstate": "up", "carrier": "1",
                       "flags": "0x1003", "type": "1", "mtu": "1500"].merging(extra, uniquingKeysWith: { $1 }) {
            try write("\(dir)/\(k)", v + "\n")
        }
        try link("sys/class/net/\(name)", to: "../../devices/virtual/net/\(name)")
    }

    func scan() -> ScanResult {
        TopologyScanner(procfsRoot: root + "/proc", sysfsRoot: root + "/sys").scan()
    }
}
