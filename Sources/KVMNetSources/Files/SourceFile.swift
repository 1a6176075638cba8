/// The text of one file as it was read, kept in the snapshot so that a saved
/// snapshot shows exactly what the diagnosis saw and evidence can cite lines.
public struct SourceFile: Sendable, Hashable, Codable {
    /// Kind of file: `libvirt`, `ifcfg`, `bonding`, `vlan`.
    public var kind: String
    /// Absolute path the file was read from.
    public var path: String
    public var text: String

    public init(kind: String, path: String, text: String) {
        self.kind = kind
        self.path = path
        self.text = text
    }

    /// The file's lines, without line terminators.
    public var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// 1-based number of the first line, at or after line `from`, whose trimmed text starts
    /// with `prefix`.
    public func lineNumber(startingWith prefix: String, from: Int = 1) -> Int? {
        for (i, line) in lines.enumerated() where i + 1 >= from {
            if line.trimmingLeadingSpaces().hasPrefix(prefix) { return i + 1 }
        }
        return nil
    }

    /// The trimmed text of 1-based line `number`.
    public func line(_ number: Int) -> String? {
        let all = lines
        guard number >= 1, number <= all.count else { return nil }
        return String(all[number - 1].trimmingLeadingSpaces())
    }
}

extension Substring {
    func trimmingLeadingSpaces() -> Substring {
        drop { $0 == " " || $0 == "\t" }
    }
}
