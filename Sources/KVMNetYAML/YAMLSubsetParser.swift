/// Parses the YAML subset of ``YAMLNode`` (no Foundation, no dependencies): what
/// hand-written configuration files contain, with the optional parts of a ``YAMLSubset``.
/// Anything outside it (anchors, aliases, tags, block scalars, multi-line values, several
/// documents, and what the subset leaves out) is an error naming the line, never a silent
/// misreading. Checked against libyaml (through Yams) by Tests/KVMNetWebConfigYAMLTests.
public struct YAMLSubsetParser {
    struct Line {
        var number: Int
        var indent: Int
        /// Content without the indentation, the comment and trailing blanks.
        var text: String
    }

    private var lines: [Line]
    private var index = 0
    private let subset: YAMLSubset
    private let leaveOut: Bool
    private var leftOut: [YAMLSyntaxError] = []

    /// Parses a whole document; an empty document is ``YAMLNode/null(line:)``. The first
    /// error is thrown.
    public static func parse(_ text: String, subset: YAMLSubset = .webConfig) throws(YAMLSyntaxError) -> YAMLNode {
        try document(text, subset: subset).root ?? .null(line: 1)
    }

    /// Parses a whole document. With `leaveOutUnsupported`, a value written with a feature
    /// of ``YAMLSyntaxError/isUnsupportedFeature`` (an alias, a tag, a block scalar, ...)
    /// is left out with its entry or list item, the error kept in ``YAMLDocument/leftOut``,
    /// and the rest read; any other error is thrown.
    public static func document(_ text: String, subset: YAMLSubset = .webConfig,
                                leaveOutUnsupported: Bool = false) throws(YAMLSyntaxError) -> YAMLDocument {
        var parser = YAMLSubsetParser(lines: try split(text), subset: subset, leaveOut: leaveOutUnsupported)
        guard !parser.lines.isEmpty else { return YAMLDocument(root: nil) }
        let node = try parser.parseBlock()
        if parser.index < parser.lines.count {
            let l = parser.lines[parser.index]
            throw YAMLSyntaxError(line: l.number, message: "unexpected content at indentation \(l.indent)")
        }
        return YAMLDocument(root: node, leftOut: parser.leftOut)
    }

    private init(lines: [Line], subset: YAMLSubset, leaveOut: Bool) {
        self.lines = lines
        self.subset = subset
        self.leaveOut = leaveOut
    }

    // MARK: lines

    private static func split(_ text: String) throws(YAMLSyntaxError) -> [Line] {
        var result: [Line] = []
        var sawContent = false
        var sawEnd = false
        var number = 0
        // By bytes: "\r\n" is one Character, which a split at "\n" would not cut.
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(String(decoding: raw, as: UTF8.self))
            if line.last == "\r" { line = line.dropLast() }
            // Line breaks for YAML 1.1 (libyaml) that this reader does not cut lines at.
            if line.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
                throw YAMLSyntaxError(line: number, message: "a line break other than \\n or \\r\\n (CR, NEL, LS or PS) inside a line")
            }
            if number == 1 && line.first == "\u{FEFF}" { line = line.dropFirst() }
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            let content = stripComment(line.dropFirst(indentation.count))
            if content.isEmpty { continue }
            if indentation.contains("\t") {
                throw YAMLSyntaxError(line: number, message: "tabs are not allowed for indentation; use spaces")
            }
            if indentation.isEmpty && content.hasPrefix("%") && !sawContent { continue }  // %YAML directive
            if indentation.isEmpty && (content == "---" || content.hasPrefix("--- ")) {
                if sawContent || sawEnd { throw YAMLSyntaxError(line: number, message: "several YAML documents in one file are not supported") }
                let rest = stripComment(content.dropFirst(3))
                if !rest.isEmpty { throw YAMLSyntaxError(line: number, message: "content after --- is not supported") }
                continue
            }
            if indentation.isEmpty && content == "..." {
                // The end of the document: only blanks and comments may follow (a second
                // document would otherwise be dropped without a word).
                sawEnd = true
                continue
            }
            if sawEnd {
                throw YAMLSyntaxError(line: number, message: "several YAML documents in one file are not supported")
            }
            sawContent = true
            result.append(Line(number: number, indent: indentation.count, text: String(content)))
        }
        return result
    }

    /// Cuts a `#` comment (at the start or after a blank, outside quotes) and trailing blanks.
    private static func stripComment(_ s: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        var end = s.endIndex
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if let q = quote {
                if q == "\"" && c == "\\" {
                    i = s.index(after: i)
                    if i < s.endIndex { previous = s[i]; i = s.index(after: i) }
                    continue
                }
                if c == q { quote = nil }
            } else if (c == "\"" || c == "'") && " \t[{,:".contains(previous) {
                quote = c
            } else if c == "#" && (previous == " " || previous == "\t") {
                end = i
                break
            }
            previous = c
            i = s.index(after: i)
        }
        var result = s[s.startIndex..<end]
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }

    // MARK: blocks

    private mutating func parseBlock() throws(YAMLSyntaxError) -> YAMLNode {
        let first = lines[index]
        if first.text.hasPrefix("{") || first.text.hasPrefix("[") {
            index += 1
            return try YAMLScalars(subset: subset).inline(first.text, line: first.number)
        }
        if Self.isSequenceItem(first.text) { return try parseSequence(indent: first.indent) }
        let scalars = YAMLScalars(subset: subset)
        if !scalars.isKey(first.text, line: first.number) {
            // A scalar on a line of its own (below its key, or the whole document).
            index += 1
            return try scalars.inline(first.text, line: first.number)
        }
        return try parseMapping(indent: first.indent)
    }

    /// Leaves out what `error` concerns when it may be (the lines from `start` and every
    /// line below indented deeper than `indent`), else throws it.
    private mutating func leaveOut(_ error: YAMLSyntaxError, from start: Int, deeperThan indent: Int) throws(YAMLSyntaxError) {
        guard leaveOut && error.isUnsupportedFeature else { throw error }
        leftOut.append(error)
        index = start + 1
        while index < lines.count && lines[index].indent > indent { index += 1 }
        // A complex key's value: its `:` line below it.
        if lines[start].text.hasPrefix("?"), index < lines.count, lines[index].indent == indent,
           lines[index].text == ":" || lines[index].text.hasPrefix(": ") {
            index += 1
            while index < lines.count && lines[index].indent > indent { index += 1 }
        }
    }

    private mutating func parseMapping(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        let startLine = lines[index].number
        var entries: [YAMLEntry] = []
        let scalars = YAMLScalars(subset: subset)
        while index < lines.count {
            let l = lines[index]
            if l.indent < indent { break }
            if l.indent > indent {
                throw YAMLSyntaxError(line: l.number, message: "unexpected indentation (values must fit on one line)")
            }
            if Self.isSequenceItem(l.text) {
                throw YAMLSyntaxError(line: l.number, message: "a list item where a \"key: value\" was expected")
            }
            let start = index
            do throws(YAMLSyntaxError) {
                let (key, rest) = try scalars.splitKey(l.text, line: l.number)
                if entries.contains(where: { $0.key == key }) {
                    throw YAMLSyntaxError(line: l.number, message: "key \"\(key)\" is already set in this mapping")
                }
                index += 1
                let value: YAMLNode
                if !rest.isEmpty {
                    value = try scalars.inline(rest, line: l.number)
                } else if index < lines.count && lines[index].indent > indent {
                    value = try parseBlock()
                } else if index < lines.count && lines[index].indent == indent && Self.isSequenceItem(lines[index].text) {
                    value = try parseSequence(indent: indent)
                } else {
                    value = .null(line: l.number)
                }
                entries.append(YAMLEntry(key: key, value: value, line: l.number))
            } catch {
                try leaveOut(error, from: start, deeperThan: indent)
            }
        }
        return .mapping(entries, line: startLine)
    }

    private mutating func parseSequence(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        let startLine = lines[index].number
        var items: [YAMLNode] = []
        let scalars = YAMLScalars(subset: subset)
        while index < lines.count && lines[index].indent == indent && Self.isSequenceItem(lines[index].text) {
            let l = lines[index]
            let rest = String(l.text.dropFirst().drop { $0 == " " })
            let start = index
            do throws(YAMLSyntaxError) {
                if rest.isEmpty {
                    index += 1
                    if index < lines.count && lines[index].indent > indent {
                        items.append(try parseBlock())
                    } else {
                        items.append(.null(line: l.number))
                    }
                } else if Self.isSequenceItem(rest) || scalars.isKey(rest, line: l.number) {
                    guard subset.collectionsInSequences else {
                        throw YAMLSyntaxError(line: l.number, message: Self.isSequenceItem(rest)
                            ? "lists inside lists are not supported here" : "mappings inside lists are not supported here")
                    }
                    // The item's content is read as a block of its own, indented at its column.
                    lines[index] = Line(number: l.number, indent: indent + l.text.count - rest.count, text: rest)
                    items.append(try parseBlock())
                } else {
                    index += 1
                    items.append(try scalars.inline(rest, line: l.number))
                }
            } catch {
                try leaveOut(error, from: start, deeperThan: indent)
            }
        }
        if index < lines.count && lines[index].indent > indent {
            throw YAMLSyntaxError(line: lines[index].number, message: "unexpected indentation after a list item")
        }
        return .sequence(items, line: startLine)
    }

    private static func isSequenceItem(_ text: String) -> Bool {
        text == "-" || text.hasPrefix("- ")
    }
}
