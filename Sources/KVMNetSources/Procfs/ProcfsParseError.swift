/// A /proc file whose text the parsers of this module could not read.
///
/// Parsers throw it (typed throws) and never trap: every malformed input ends here.
public struct ProcfsParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path or name given to the parser.
    public var file: String
    /// 1-based line number, when the error is tied to a line.
    public var line: Int?
    /// Plain words: what was expected, what was found.
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, or `file: message` when no line applies.
    public var description: String {
        if let line {
            return "\(file):\(line): \(message)"
        }
        return "\(file): \(message)"
    }
}

/// Text helpers shared by the /proc parsers of this module (no Foundation).
enum ProcfsParseText {
    /// Splits on `\n` (and `\r\n`, which Swift sees as one Character); keeps empty lines,
    /// but not the empty piece after the file's final newline.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines
    }

    /// Drops leading and trailing whitespace (spaces, TABs, stray `\r`).
    static func trimmed<S: StringProtocol>(_ text: S) -> S.SubSequence {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, text[start].isWhitespace { start = text.index(after: start) }
        while end > start {
            let before = text.index(before: end)
            if !text[before].isWhitespace { break }
            end = before
        }
        return text[start..<end]
    }

    /// Splits on runs of whitespace (spaces, TABs).
    static func fields<S: StringProtocol>(_ text: S) -> [S.SubSequence] {
        text.split(whereSeparator: { $0.isWhitespace })
    }
}
