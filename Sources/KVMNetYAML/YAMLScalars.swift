/// The parts of a YAML line: keys, scalars (plain, single- and double-quoted) and flow
/// collections, all on one line (the line given is every node's line).
struct YAMLScalars {
    let subset: YAMLSubset

    /// Whether `text` (a list item's content) starts with a `key:`.
    func isKey(_ text: String, line: Int) -> Bool {
        guard let first = text.first, first != "[" && first != "{" else { return false }
        return (try? splitKey(text, line: line)) != nil
    }

    /// Splits `key: rest` (rest may be empty); the key may be quoted.
    func splitKey(_ text: String, line: Int) throws(YAMLSyntaxError) -> (String, String) {
        if text == "?" || text.hasPrefix("? ") {
            throw YAMLSyntaxError(line: line, message: "complex keys (?) are not supported", isUnsupportedFeature: true)
        }
        if let q = text.first, q == "\"" || q == "'" {
            let (key, after) = try Self.quotedScalar(Substring(text), line: line)
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
                    try Self.checkPlain(key, line: line, key: true)
                    return (key, String(text[next...].drop { $0 == " " }))
                }
            }
            i = text.index(after: i)
        }
        throw YAMLSyntaxError(line: line, message: "expected \"key: value\", got \"\(text)\"")
    }

    /// A value written on the key's (or the `-`'s) line: a scalar or a flow collection.
    func inline(_ text: String, line: Int) throws(YAMLSyntaxError) -> YAMLNode {
        guard let first = text.first else { return .null(line: line) }
        switch first {
        case "\"", "'":
            let (value, after) = try Self.quotedScalar(Substring(text), line: line)
            guard after.isEmpty else { throw YAMLSyntaxError(line: line, message: "unexpected text after the quoted value: \"\(after)\"") }
            return .scalar(value, quoted: true, line: line)
        case "[", "{":
            var flow = Flow(rest: Substring(text), line: line, subset: subset)
            let node = try flow.collection(nested: false)
            flow.skipBlanks()
            guard flow.rest.isEmpty else {
                throw YAMLSyntaxError(line: line, message: "unexpected text after the flow collection: \"\(flow.rest)\"")
            }
            return node
        default:
            return try Self.plainScalar(text, line: line)
        }
    }

    /// A plain scalar; `inFlow`: cut by ``Flow/plain()``, which stops at a `:` that
    /// indicates a value (the flow collection then refuses or reads it).
    static func plainScalar(_ text: String, line: Int, inFlow: Bool = false) throws(YAMLSyntaxError) -> YAMLNode {
        if text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null(line: line) }
        try checkPlain(text, line: line, key: false)
        if !inFlow && (text.contains(": ") || text.hasSuffix(":")) {
            throw YAMLSyntaxError(line: line, message: "a value may not contain \": \" unless quoted: \(text)")
        }
        return .scalar(text, quoted: false, line: line)
    }

    /// Refuses what YAML reads otherwise than as a plain scalar starting this way.
    static func checkPlain(_ text: String, line: Int, key: Bool) throws(YAMLSyntaxError) {
        guard let first = text.first else { return }
        func unsupported(_ message: String) -> YAMLSyntaxError {
            YAMLSyntaxError(line: line, message: message, isUnsupportedFeature: true)
        }
        switch first {
        case "&", "*": throw unsupported("anchors and aliases (& and *) are not supported")
        case "!": throw unsupported("tags (!) are not supported")
        case "|", ">": throw unsupported("block scalars (| and >) are not supported; write the value on one line")
        case "?": throw unsupported("complex keys (?) are not supported")
        case "[" where key, "{" where key: throw unsupported("complex keys (flow collections as keys) are not supported")
        case "@", "`", "%", ",", "]", "}": throw YAMLSyntaxError(line: line, message: "a plain value may not start with \(first); quote it")
        case "-" where text == "-" || text.hasPrefix("- "):
            throw YAMLSyntaxError(line: line, message: "a list item may not start on a key's line")
        default: return
        }
    }

    /// Reads a quoted scalar at the start of `text`; returns it and what follows.
    static func quotedScalar(_ text: Substring, line: Int) throws(YAMLSyntaxError) -> (String, Substring) {
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

    // MARK: flow collections

    /// A flow collection on one line: `[a, "b"]`, `{to: default, via: 10.0.0.1}`, nested
    /// as the subset allows.
    private struct Flow {
        var rest: Substring
        let line: Int
        let subset: YAMLSubset

        mutating func skipBlanks() { rest = rest.drop { $0 == " " || $0 == "\t" } }

        /// At `[` or `{`.
        mutating func collection(nested: Bool) throws(YAMLSyntaxError) -> YAMLNode {
            if nested && !subset.nestedFlowCollections {
                throw YAMLSyntaxError(line: line, message: "nested flow collections are not supported")
            }
            let open = rest.removeFirst()
            return open == "[" ? try sequence() : try mapping()
        }

        /// Past blanks, whether the collection ends here (its `closer` is then consumed);
        /// the end of the line before it is an error.
        private mutating func closes(_ closer: Character, _ what: String) throws(YAMLSyntaxError) -> Bool {
            skipBlanks()
            guard let c = rest.first else {
                throw YAMLSyntaxError(line: line, message: "unterminated \(what) (flow collections must fit on one line)")
            }
            if c == closer { rest.removeFirst() }
            return c == closer
        }

        private mutating func sequence() throws(YAMLSyntaxError) -> YAMLNode {
            var items: [YAMLNode] = []
            while true {
                if try closes("]", "flow list") { return .sequence(items, line: line) }
                items.append(try item())
                skipBlanks()
                switch rest.first {
                case ",": rest.removeFirst()
                case "]": continue
                case ":": throw YAMLSyntaxError(line: line, message: "a \"key: value\" inside a flow list is not supported; quote the value")
                case nil: continue
                default: throw YAMLSyntaxError(line: line, message: "expected \",\" in the flow list")
                }
            }
        }

        private mutating func mapping() throws(YAMLSyntaxError) -> YAMLNode {
            var entries: [YAMLEntry] = []
            while true {
                if try closes("}", "flow mapping") { return .mapping(entries, line: line) }
                guard subset.flowMappings else {
                    throw YAMLSyntaxError(line: line, message: "flow mappings ({...}) are not supported; write one \"key: value\" per line")
                }
                let key: String
                if rest.first == "\"" || rest.first == "'" {
                    (key, rest) = try YAMLScalars.quotedScalar(rest, line: line)
                } else {
                    key = try plain()
                    try YAMLScalars.checkPlain(key, line: line, key: true)
                }
                if entries.contains(where: { $0.key == key }) {
                    throw YAMLSyntaxError(line: line, message: "key \"\(key)\" is already set in this mapping")
                }
                skipBlanks()
                var value = YAMLNode.null(line: line)
                if rest.first == ":" {
                    rest.removeFirst()
                    skipBlanks()
                    if let v = rest.first, v != "," && v != "}" { value = try item() }
                }
                entries.append(YAMLEntry(key: key, value: value, line: line))
                skipBlanks()
                switch rest.first {
                case ",": rest.removeFirst()
                case "}", nil: continue
                default: throw YAMLSyntaxError(line: line, message: "expected \",\" in the flow mapping")
                }
            }
        }

        private mutating func item() throws(YAMLSyntaxError) -> YAMLNode {
            switch rest.first {
            case "[", "{": return try collection(nested: true)
            case "\"", "'":
                let (value, after) = try YAMLScalars.quotedScalar(rest, line: line)
                rest = after
                return .scalar(value, quoted: true, line: line)
            default:
                return try YAMLScalars.plainScalar(plain(), line: line, inFlow: true)
            }
        }

        /// A plain scalar's text: up to `,`, a bracket or brace, or a `:` that indicates
        /// a value (followed by a blank, the end, or one of `,?[]{}`, as libyaml reads it).
        private mutating func plain() throws(YAMLSyntaxError) -> String {
            var end = rest.startIndex
            scan: while end < rest.endIndex {
                switch rest[end] {
                case ",", "[", "]", "{", "}": break scan
                case ":":
                    let next = rest.index(after: end)
                    if next == rest.endIndex || " \t,?[]{}".contains(rest[next]) { break scan }
                default: break
                }
                end = rest.index(after: end)
            }
            var text = rest[..<end]
            rest = rest[end...]
            while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
            guard !text.isEmpty else { throw YAMLSyntaxError(line: line, message: "an empty entry in a flow collection") }
            return String(text)
        }
    }
}
