#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Who and where the collector runs.
enum HostIdentity {
    /// Effective uid 0: procfs shows LACP details and /proc/net/vlan only to root.
    static var isRoot: Bool { geteuid() == 0 }

    static var hostname: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The host name up to its first dot: Proxmox VE's node name (`/etc/pve/nodes/<node>`).
    static var shortHostname: String? {
        hostname.flatMap { $0.split(separator: ".").first.map(String.init) }
    }
}
