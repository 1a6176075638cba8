#if canImport(Glibc)
import Glibc
#endif
import CLibBPF

/// The names of the kernel's drop reasons (`enum skb_drop_reason`), which differ between
/// kernel versions: read from the running kernel's BTF, never from a table of our own.
public enum DropReasons {
    /// Where the running kernel's BTF is.
    public static let vmlinuxBTFPath = "/sys/kernel/btf/vmlinux"

    /// `enum skb_drop_reason` of the running kernel's BTF (libbpf btf__load_vmlinux_btf),
    /// value -> name without the `SKB_DROP_REASON_` prefix ("NOT_SPECIFIED",
    /// "NETFILTER_DROP"...; SKB_CONSUMED -> "CONSUMED"; SKB_NOT_DROPPED_YET -> "NOT_DROPPED_YET").
    public static func fromKernel() throws(WatchError) -> [UInt32: String] {
        guard access(vmlinuxBTFPath, F_OK) == 0 else { throw .noBTF(path: vmlinuxBTFPath) }
        guard let btf = btf__load_vmlinux_btf() else {
            let code = errno
            if code == EPERM || code == EACCES { throw .permission("reading \(vmlinuxBTFPath)") }
            throw .btf(message: "\(vmlinuxBTFPath): \(String(cString: strerror(code)))")
        }
        defer { btf__free(btf) }
        return try reasons(in: btf)
    }

    /// The enum's values in `btf`; ``WatchError/noDropReasons(kernel:)`` without it.
    static func reasons(in btf: OpaquePointer) throws(WatchError) -> [UInt32: String] {
        // BTF_KIND_ENUM (6) and BTF_KIND_ENUM64 (19), from <linux/btf.h>.
        let enumKind: UInt32 = 6, enum64Kind: UInt32 = 19
        var id = btf__find_by_name_kind(btf, "skb_drop_reason", enumKind)
        if id < 0 { id = btf__find_by_name_kind(btf, "skb_drop_reason", enum64Kind) }
        guard id > 0, let type = btf__type_by_id(btf, UInt32(id)) else { throw .noDropReasons(kernel: kernelRelease()) }
        let info = type.pointee.info
        let kind = (info >> 24) & 0x1f, count = Int(info & 0xffff)
        // The values follow the btf_type record (btf.h's btf_enum()/btf_enum64()).
        let values = UnsafeRawPointer(type).advanced(by: MemoryLayout<btf_type>.size)
        var names: [UInt32: String] = [:]
        for index in 0..<count {
            let nameOffset: UInt32, value: UInt32
            if kind == enum64Kind {
                let entry = values.assumingMemoryBound(to: btf_enum64.self)[index]
                (nameOffset, value) = (entry.name_off, entry.val_lo32)
            } else {
                let entry = values.assumingMemoryBound(to: btf_enum.self)[index]
                (nameOffset, value) = (entry.name_off, UInt32(bitPattern: entry.val))
            }
            guard let cName = btf__name_by_offset(btf, nameOffset) else { continue }
            names[value] = shortName(String(cString: cName))
        }
        return names
    }

    /// `SKB_DROP_REASON_NETFILTER_DROP` -> `NETFILTER_DROP`, `SKB_CONSUMED` -> `CONSUMED`.
    static func shortName(_ name: String) -> String {
        for prefix in ["SKB_DROP_REASON_", "SKB_"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    /// `uname -r`.
    static func kernelRelease() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "(unknown)" }
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
