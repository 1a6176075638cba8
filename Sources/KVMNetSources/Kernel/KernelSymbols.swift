/// Kernel text addresses named from `/proc/kallsyms`: `kvmnet-diag watch` turns a drop's
/// `location` into `br_handle_frame_finish+0x1a4`.
///
/// `/proc/kallsyms` has some 200,000 lines; only a handful of addresses are ever asked
/// for, so ``symbolize(_:in:)`` makes one pass over the text keeping, for each address,
/// the closest text symbol at or below it, instead of building and sorting a table.
public enum KernelSymbols {
    /// A named address: `function+0xoffset [module]`.
    public struct Symbol: Sendable, Hashable, Codable {
        public var function: String
        public var offset: UInt64
        /// The module, for symbols of a loadable module (`[bridge]`); `nil` for vmlinux.
        public var module: String?

        public init(function: String, offset: UInt64, module: String? = nil) {
            self.function = function
            self.offset = offset
            self.module = module
        }

        /// `br_forward+0x5c [bridge]`.
        public var description: String {
            "\(function)+0x\(String(offset, radix: 16))" + (module.map { " [\($0)]" } ?? "")
        }
    }

    /// Why the symbols could not be used.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Every address reads 0: `kernel.kptr_restrict` hides them from this process
        /// (not root, or `kptr_restrict=2`).
        case addressesHidden
        /// Not one line had the `address type name` form.
        case malformed(lines: Int)

        public var description: String {
            switch self {
            case .addressesHidden:
                return "/proc/kallsyms shows every address as 0 (kernel.kptr_restrict hides them; run as root, with kptr_restrict 0 or 1)"
            case .malformed(let lines):
                return "/proc/kallsyms is not in the `address type name [module]` form (\(lines) lines, none readable)"
            }
        }
    }

    /// Names each of `addresses` after the text symbol (`t`/`T`/`w`/`W`) closest at or
    /// below it; addresses below every symbol are left out. Lines that do not parse are
    /// skipped; the result fails only when none does, or when all addresses are hidden.
    public static func symbolize(_ addresses: Set<UInt64>, in kallsyms: some Collection<UInt8>) throws(Failure) -> [UInt64: Symbol] {
        let wanted = addresses.sorted()
        var best: [(address: UInt64, line: ArraySlice<UInt8>)?] = Array(repeating: nil, count: wanted.count)
        var lines = 0, readable = 0, nonzero = 0
        let bytes = Array(kallsyms)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let line = bytes[start..<end]
            start = end + 1
            if line.isEmpty { continue }
            lines += 1
            guard let (address, type, nameStart) = parseHead(line) else { continue }
            readable += 1
            if address != 0 { nonzero += 1 }
            guard type == UInt8(ascii: "t") || type == UInt8(ascii: "T") || type == UInt8(ascii: "w") || type == UInt8(ascii: "W"),
                  address != 0 else { continue }
            // The wanted addresses at or above this symbol: binary search for the first one.
            var low = 0, high = wanted.count
            while low < high {
                let mid = (low + high) / 2
                if wanted[mid] < address { low = mid + 1 } else { high = mid }
            }
            var i = low
            while i < wanted.count {
                if let current = best[i], current.address >= address { break }
                best[i] = (address, line[nameStart...])
                i += 1
            }
        }
        if readable == 0 && lines > 0 { throw .malformed(lines: lines) }
        if readable > 0 && nonzero == 0 { throw .addressesHidden }
        var out: [UInt64: Symbol] = [:]
        for (i, address) in wanted.enumerated() {
            guard let found = best[i] else { continue }
            let (function, module) = nameAndModule(found.line)
            out[address] = Symbol(function: function, offset: address - found.address, module: module)
        }
        return out
    }

    /// `ffffffff81e8db20 t kfree_skbmem`: the address, the type letter and where the name starts.
    private static func parseHead(_ line: ArraySlice<UInt8>) -> (UInt64, UInt8, Int)? {
        var i = line.startIndex
        var address: UInt64 = 0
        var digits = 0
        while i < line.endIndex, let v = hexValue(line[i]) {
            guard digits < 16 else { return nil }
            address = address << 4 | UInt64(v)
            digits += 1
            i += 1
        }
        guard digits > 0, i < line.endIndex, line[i] == 0x20 else { return nil }
        i += 1
        guard i < line.endIndex else { return nil }
        let type = line[i]
        i += 1
        guard i < line.endIndex, line[i] == 0x20, i + 1 < line.endIndex else { return nil }
        return (address, type, i + 1)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `br_forward\t[bridge]` -> ("br_forward", "bridge").
    private static func nameAndModule(_ rest: ArraySlice<UInt8>) -> (String, String?) {
        let split = rest.firstIndex { $0 == 0x09 || $0 == 0x20 }
        let name = String(decoding: rest[..<(split ?? rest.endIndex)], as: UTF8.self)
        guard let split else { return (name, nil) }
        let tail = rest[split...].drop { $0 == 0x09 || $0 == 0x20 }
        guard tail.first == UInt8(ascii: "["), let close = tail.firstIndex(of: UInt8(ascii: "]")) else { return (name, nil) }
        return (name, String(decoding: tail[tail.index(after: tail.startIndex)..<close], as: UTF8.self))
    }
}
