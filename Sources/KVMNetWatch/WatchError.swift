/// Why `kvmnet-diag watch` cannot watch frames on this host.
public enum WatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kernel has no BTF at `path` (/sys/kernel/btf/vmlinux): built without
    /// `CONFIG_DEBUG_INFO_BTF`. The program's CO-RE relocations and tp_btf attachments need it.
    case noBTF(path: String)
    /// The kernel's BTF has no `enum skb_drop_reason` (Linux older than 5.17): `kfree_skb`
    /// has no reason argument.
    case noDropReasons(kernel: String)
    /// The kernel's BTF exists but could not be read.
    case btf(message: String)
    /// A bpf(2) call was refused (EPERM or EACCES without a verifier verdict): not root, or
    /// without CAP_BPF and CAP_PERFMON. The associated text says which step.
    case permission(String)
    /// Opening or loading the object failed; the message holds libbpf's warnings,
    /// including the verifier's log when a program was rejected.
    case load(message: String)
    /// A program could not be attached to its tracepoint.
    case attach(program: String, message: String)
    /// The ring buffer could not be set up or read.
    case ringBuffer(message: String)
    /// The filter cannot be handed to the kernel (a bad address, too many addresses).
    case invalidFilter(reason: String)

    /// A sentence saying what is missing or what failed.
    public var description: String {
        switch self {
        case .noBTF(let path):
            return "The kernel has no BTF type information (\(path) is missing): it was built without CONFIG_DEBUG_INFO_BTF, which kvmnet-diag watch needs."
        case .noDropReasons(let kernel):
            return "Linux \(kernel) has no enum skb_drop_reason in its BTF (drop reasons came with Linux 5.17): kvmnet-diag watch needs them."
        case .btf(let message):
            return "The kernel's BTF type information could not be read: \(message)."
        case .permission(let step):
            return "Not permitted to use BPF (\(step)): run as root, or with CAP_BPF and CAP_PERFMON."
        case .load(let message):
            return "The watch BPF program could not be loaded: \(message)"
        case .attach(let program, let message):
            return "The watch BPF program \(program) could not be attached: \(message)"
        case .ringBuffer(let message):
            return "The watch BPF ring buffer failed: \(message)"
        case .invalidFilter(let reason):
            return "The watch filter is invalid: \(reason)."
        }
    }
}
