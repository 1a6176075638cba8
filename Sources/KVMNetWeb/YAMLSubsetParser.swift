/// Parses the YAML subset of ``YAMLNode``: what a hand-written exporter-toolkit web
/// configuration file contains. Anything outside it (anchors, aliases, tags, block
/// scalars, multi-line plain scalars, mappings inside lists, several documents) is an
/// error naming the line, never a silent misreading.
struct YAMLSubsetParser {
    private struct Line {
        var number: Int
        var indent: Int
        /// Content without the indentation, the comment and trailing blanks.
        var text: String
    }

    private let lines: [Line]
    private var index = 0

    /// Parses a whole document; an empty document is ``YAMLNode/null(line:)``.
    static func parse(_ text: String) throws(YAMLSyntaxError) -> YAMLNode {
        var parser = YAMLSubsetParser(lines: try Self.split(text))
        guard !parser.lines.isEmpty else { return .null(line: 1) }
        let node = try parser.parseBlock()
        if parser.index < parser.lines.count {
            let l = parser.lines[parser.index]
            throw YAMLSyntaxError(line: l.number, message: "unexpected content at indentation \(l.indent)")
        }
        return node
    }

    private init(lines: [Line]) { self.lines = lines }

    // MARK: lines

    private static func split(_ text: String) throws(YAMLSyntaxError) -> [Line] {
        var result: [Line] = []
        var sawContent = false
        var sawEnd = false
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
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
            return try Self.parseInline(first.text, line: first.number)
        }
        if Self.isSequenceItem(first.text) { return try parseSequence(indent: first.indent) }
        return try parseMapping(indent: first.indent)
    }

    private mutating func parseMapping(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        let startLine = lines[index].number
        var entries: [YAMLEntry] = []
        while index < lines.count {
            let l = lines[index]
            if l.indent < indent { break }
            if l.indent > indent {
                throw YAMLSyntaxError(line: l.number, message: "unexpected indentation (values must fit on one line)")
            }
            if Self.isSequenceItem(l.text) {
                throw YAMLSyntaxError(line: l.number, message: "a list item where a \"key: value\" was expected")
            }
            let (key, rest) = try Self.splitKey(l.text, line: l.number)
            if entries.contains(where: { $0.key == key }) {
                throw YAMLSyntaxError(line: l.number, message: "key \"\(key)\" is already set in this mapping")
            }
            index += 1
            let value: YAMLNode
            if !rest.isEmpty {
                value = try Self.parseInline(rest, line: l.number)
            } else if index < lines.count && lines[index].indent > indent {
                value = try parseBlock()
            } else if index < lines.count && lines[index].indent == indent && Self.isSequenceItem(lines[index].text) {
                value = try parseSequence(indent: indent)
            } else {
                value = .null(line: l.number)
            }
            entries.append(YAMLEntry(key: key, value: value, line: l.number))
        }
        return .mapping(entries, line: startLine)
    }

    private mutating func parseSequence(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        let startLine = lines[index].number
        var items: [YAMLNode] = []
        while index < lines.count && lines[index].indent == indent && Self.isSequenceItem(lines[index].text) {
            let l = lines[index]
            let rest = String(l.text.dropFirst().drop { $0 == " " })
            index += 1
            if rest.isEmpty {
                if index < lines.count && lines[index].indent > indent {
                    items.append(try parseBlock())
                } else {
                    items.append(.null(line: l.number))
                }
            } else if (try? Self.splitKey(rest, line: l.number)) != nil && !rest.hasPrefix("\"") && !rest.hasPrefix("'") {
                throw YAMLSyntaxError(line: l.number, message: "mappings inside lists are not supported here")
            } else {
                items.append(try Self.parseInline(rest, line: l.number))
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

    /// Splits `key: rest` (rest may be empty); the key may be quoted.
    private static func splitKey(_ text: String, line: Int) throws(YAMLSyntaxError) -> (String, String) {
        if text == "?" || text.hasPrefix("? ") {
            throw YAMLSyntaxError(line: line, message: "complex keys (?) are not supported")
        }
        if let q = text.first, q == "\"" || q == "'" {
            let (key, after) = try quotedScalar(Substring(text), line: line)
            guard after.first == ":" && (after.count == 1 || after.dropFirst().first == " ") else {
                throw YAMLSyntaxError(line: line, message: "expected \":\" after the quoted key \(String(q))\(key)\(String(q))")
            }
            return (key, String(after.dropFirst().drop { $0 == " " }))
        }
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == ":" {
                let next = text.index(after: i)
                if next == text.endIndex || text[next] == " " {
                    var keyText = Substring(text[..<i])
                    while keyText.last == " " { keyText = keyText.dropLast() }
                    guard !keyText.isEmpty else { throw YAMLSyntaxError(line: line, message: "empty key") }
                    let key = String(keyText)
                    try checkPlain(key, line: line)
                    return (key, String(text[next...].drop { $0 == " " }))
                }
            }
            i = text.index(after: i)
        }
        throw YAMLSyntaxError(line: line, message: "expected \"key: value\", got \"\(text)\"")
    }

    // MARK: scalars

    /// A value written on the key's line: a scalar or a flow sequence of scalars.
    private static func parseInline(_ text: String, line: Int) throws(YAMLSyntaxError) -> YAMLNode {
        guard let first = text.first else { return .null(line: line) }
        switch first {
        case "\"", "'":
            let (value, after) = try quotedScalar(Substring(text), line: line)
            guard after.isEmpty else { throw YAMLSyntaxError(line: line, message: "unexpected text after the quoted value: \"\(after)\"") }
            return .scalar(value, quoted: true, line: line)
        case "[":
            return try flowSequence(text, line: line)
        case "{":
            guard text.filter({ $0 != " " }) == "{}" else {
                throw YAMLSyntaxError(line: line, message: "flow mappings ({...}) are not supported; write one \"key: value\" per line")
            }
            return .mapping([], line: line)
        default:
            return try plainScalar(text, line: line)
        }
    }

    private static func plainScalar(_ text: String, line: Int) throws(YAMLSyntaxError) -> YAMLNode {
        if text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null(line: line) }
        try checkPlain(text, line: line)
        if text.contains(": ") || text.hasSuffix(":") {
            throw YAMLSyntaxError(line: line, message: "a value may not contain \": \" unless quoted: \(text)")
        }
        return .scalar(text, quoted: false, line: line)
    }

    private static func checkPlain(_ text: String, line: Int) throws(YAMLSyntaxError) {
        guard let first = text.first else { return }
        switch first {
        case "&", "*": throw YAMLSyntaxError(line: line, message: "anchors and aliases (& and *) are not supported")
        case "!": throw YAMLSyntaxError(line: line, message: "tags (!) are not supported")
        case "|", ">": throw YAMLSyntaxError(line: line, message: "block scalars (| and >) are not supported; write the value on one line")
        case "@", "`": throw YAMLSyntaxError(line: line, message: "a plain value may not start with \(first); quote it")
        case "?": throw YAMLSyntaxError(line: line, message: "complex keys (?) are not supported")
        default: return
        }
    }

    private static func flowSequence(_ text: String, line: Int) throws(YAMLSyntaxError) -> YAMLNode {
        guard text.last == "]" else { throw YAMLSyntaxError(line: line, message: "unterminated flow list: \(text)") }
        var body = Substring(text.dropFirst().dropLast())
        var items: [YAMLNode] = []
        while true {
            body = body.drop { $0 == " " }
            if body.isEmpty { break }
            var item: YAMLNode
            if let q = body.first, q == "\"" || q == "'" {
                let (value, after) = try quotedScalar(body, line: line)
                item = .scalar(value, quoted: true, line: line)
                body = after.drop { $0 == " " }
            } else {
                let end = body.firstIndex(of: ",") ?? body.endIndex
                var raw = body[..<end]
                while raw.last == " " { raw = raw.dropLast() }
                if raw.contains("[") || raw.contains("{") || raw.contains("]") || raw.contains("}") {
                    throw YAMLSyntaxError(line: line, message: "nested flow collections are not supported")
                }
                item = try plainScalar(String(raw), line: line)
                body = body[end...]
            }
            items.append(item)
            if body.isEmpty { break }
            guard body.first == "," else { throw YAMLSyntaxError(line: line, message: "expected \",\" in the flow list") }
            body = body.dropFirst()
        }
        return .sequence(items, line: line)
    }

    /// Reads a quoted scalar at the start of `text`; returns it and what follows.
    private static func quotedScalar(_ text: Substring, line: Int) throws(YAMLSyntaxError) -> (String, Substring) {
        guard let quote = text.first else { return ("", text) }
        var out = ""
        var i = text.index(after: text.startIndex)
        while i < text.endIndex {
            let c = text[i]
            if quote == "'" && c == "'" {
                let next = text.index(after: i)
                if next < text.endIndex && text[next] == "'" {
                    out.append("'")
                    i = text.index(after: next)
                    continue
                }
                return (out, text[next...])
            }
            if quote == "\"" && c == "\"" { return (out, text[text.index(after: i)...]) }
            if quote == "\"" && c == "\\" {
                i = text.index(after: i)
                guard i < text.endIndex else { break }
                let (scalar, next) = try escape(text, at: i, line: line)
                out.unicodeScalars.append(scalar)
                i = next
                continue
            }
            out.append(c)
            i = text.index(after: i)
        }
        throw YAMLSyntaxError(line: line, message: "unterminated quoted value (quoted values must fit on one line)")
    }

    private static func escape(_ text: Substring, at i: Substring.Index, line: Int) throws(YAMLSyntaxError) -> (Unicode.Scalar, Substring.Index) {
        let c = text[i]
        let next = text.index(after: i)
        switch c {
        case "\\": return ("\\", next)
        case "\"": return ("\"", next)
        case "/": return ("/", next)
        case " ": return (" ", next)
        case "n": return ("\n", next)
        case "t": return ("\t", next)
        case "r": return ("\r", next)
        case "0": return ("\0", next)
        case "x", "u", "U":
            let width = c == "x" ? 2 : (c == "u" ? 4 : 8)
            let digits = text[next...].prefix(width)
            guard digits.count == width, let v = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(v) else {
                throw YAMLSyntaxError(line: line, message: "bad \\\(c) escape in a quoted value")
            }
            return (scalar, text.index(next, offsetBy: width))
        default:
            throw YAMLSyntaxError(line: line, message: "unknown escape \\\(c) in a quoted value")
        }
    }
}
