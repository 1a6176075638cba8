import CLibBPF
import KVMNetLock

/// libbpf's messages (its print callback is process-wide): warnings and info are kept, so
/// a failed open, load or attach can say what libbpf and the verifier said; debug output
/// is dropped. Nothing is printed.
enum LibBPFLog {
    /// The lines since the last ``take()``; bounded, the newest kept.
    private static let lines = Locked<[String]>([])
    private static let limit = 400

    private static let installed: Void = {
        _ = libbpf_set_print { level, format, arguments in
            guard level != LIBBPF_DEBUG, let format, let arguments else { return 0 }
            guard let text = kvmnet_libbpf_vformat(format, arguments) else { return 0 }
            defer { free(text) }
            LibBPFLog.append(String(cString: text))
            return 0
        }
    }()

    /// Installs the callback (once) and forgets earlier lines: call before an operation
    /// whose messages ``take()`` then returns.
    static func start() {
        _ = installed
        lines.withLock { $0.removeAll() }
    }

    /// The lines since ``start()``, trailing newlines removed.
    static func take() -> [String] {
        lines.withLock { lines in
            defer { lines.removeAll() }
            return lines
        }
    }

    private static func append(_ message: String) {
        var text = Substring(message)
        while text.last == "\n" { text = text.dropLast() }
        guard !text.isEmpty else { return }
        lines.withLock { lines in
            lines.append(String(text))
            if lines.count > limit { lines.removeFirst(lines.count - limit) }
        }
    }
}
