/// A small non-validating XML reader for the files libvirt writes: elements, attributes,
/// text, the five predefined entities and character references, comments, processing
/// instructions, CDATA, and a DOCTYPE (skipped; no entity of it is expanded).
///
/// Pure and without Foundation (the agent reads libvirt's files with it; Foundation's
/// XMLParser would bring libxml2 and ICU into the agent). It reports what a well-formed
/// document holds and refuses what is not well formed: mismatched or missing end tags,
/// text or elements outside the root, unknown entities, unquoted or repeated attributes.
public enum XMLScanner {
    /// What the reader saw, in document order.
    public enum Event: Sendable, Hashable {
        /// A start tag (also for `<empty/>`, then followed by its ``end``).
        case start(name: String, attributes: [String: String], line: Int)
        case end(name: String, line: Int)
        /// Character data inside an element, entities decoded (CDATA as it is).
        case text(String)
    }

    /// Why the text is not well-formed XML, and the line where that was found.
    public struct Failure: Error, Sendable, Hashable {
        public var line: Int
        public var message: String
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    /// Reads `text`, calling `handle` for each event. Throws at the first error; events
    /// before it have been delivered.
    public static func scan(_ text: String, _ handle: (Event) -> Void) throws(Failure) {
        var r = Reader(bytes: Array(text.utf8))
        try r.document(handle)
    }
}

private struct Reader {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var stack: [String] = []
    var rootSeen = false

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 } // UTF-8 byte order mark
    }

    func fail(_ message: String) -> XMLScanner.Failure { XMLScanner.Failure(line: line, message: message) }

    var atEnd: Bool { i >= bytes.count }

    func peek(_ s: String) -> Bool {
        bytes[i...].starts(with: s.utf8)
    }

    mutating func advance() {
        if bytes[i] == 0x0A { line += 1 }
        i += 1
    }

    /// Moves past `terminator`, returning what came before it.
    mutating func skip(past terminator: String, what: String) throws(XMLScanner.Failure) -> ArraySlice<UInt8> {
        let start = i
        while !atEnd {
            if peek(terminator) {
                let body = bytes[start..<i]
                i += terminator.utf8.count
                return body
            }
            advance()
        }
        throw fail("unterminated \(what)")
    }

    mutating func skipSpace() {
        while !atEnd, Self.isSpace(bytes[i]) { advance() }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "_"), UInt8(ascii: ":"), 0x80...0xFF:
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return !first
        default:
            return false
        }
    }

    mutating func name(_ what: String) throws(XMLScanner.Failure) -> String {
        let start = i
        while !atEnd, Self.isNameByte(bytes[i], first: i == start) { i += 1 }
        guard i > start else { throw fail("expected \(what) name") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func document(_ handle: (XMLScanner.Event) -> Void) throws(XMLScanner.Failure) {
        while !atEnd {
            if bytes[i] == UInt8(ascii: "<") {
                try markup(handle)
            } else {
                let start = i
                while !atEnd, bytes[i] != UInt8(ascii: "<") { advance() }
                let raw = bytes[start..<i]
                if stack.isEmpty {
                    guard raw.allSatisfy(Self.isSpace) else {
                        throw fail(rootSeen ? "text after the root element" : "text before the root element")
                    }
                } else {
                    handle(.text(try decode(raw)))
                }
            }
        }
        if let open = stack.last { throw fail("document ends before </\(open)>") }
        guard rootSeen else { throw fail("no root element") }
    }

    mutating func markup(_ handle: (XMLScanner.Event) -> Void) throws(XMLScanner.Failure) {
        if peek("<?") {
            i += 2
            _ = try skip(past: "?>", what: "processing instruction")
        } else if peek("<!--") {
            i += 4
            _ = try skip(past: "-->", what: "comment")
        } else if peek("<![CDATA[") {
            guard !stack.isEmpty else { throw fail("CDATA outside the root element") }
            i += 9
            handle(.text(String(decoding: try skip(past: "]]>", what: "CDATA section"), as: UTF8.self)))
        } else if peek("<!DOCTYPE") {
            guard !rootSeen else { throw fail("DOCTYPE after the root element") }
            i += 9
            var depth = 0
            while true {
                guard !atEnd else { throw fail("unterminated DOCTYPE") }
                let b = bytes[i]
                advance()
                if b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "]") { depth -= 1 }
                if b == UInt8(ascii: ">") && depth <= 0 { break }
            }
        } else if peek("</") {
            let tagLine = line
            i += 2
            let n = try name("element")
            skipSpace()
            guard !atEnd, bytes[i] == UInt8(ascii: ">") else { throw fail("expected > to end </\(n)") }
            i += 1
            guard let open = stack.last else { throw fail("</\(n)> without a start tag") }
            guard open == n else { throw fail("</\(n)> does not close <\(open)>") }
            stack.removeLast()
            handle(.end(name: n, line: tagLine))
        } else {
            try startTag(handle)
        }
    }

    mutating func startTag(_ handle: (XMLScanner.Event) -> Void) throws(XMLScanner.Failure) {
        let tagLine = line
        i += 1
        let n = try name("element")
        if stack.isEmpty && rootSeen { throw fail("<\(n)> after the root element") }
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = !atEnd && Self.isSpace(bytes[i])
            skipSpace()
            guard !atEnd else { throw fail("unterminated <\(n)> tag") }
            if peek("/>") {
                i += 2
                rootSeen = true
                handle(.start(name: n, attributes: attributes, line: tagLine))
                handle(.end(name: n, line: tagLine))
                return
            }
            if bytes[i] == UInt8(ascii: ">") {
                i += 1
                rootSeen = true
                stack.append(n)
                handle(.start(name: n, attributes: attributes, line: tagLine))
                return
            }
            guard hadSpace else { throw fail("expected a space before an attribute of <\(n)>") }
            let key = try name("attribute")
            skipSpace()
            guard !atEnd, bytes[i] == UInt8(ascii: "=") else { throw fail("attribute \(key) of <\(n)> has no value") }
            i += 1
            skipSpace()
            guard !atEnd, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                throw fail("value of attribute \(key) of <\(n)> is not quoted")
            }
            let quote = bytes[i]
            i += 1
            let start = i
            while !atEnd, bytes[i] != quote {
                guard bytes[i] != UInt8(ascii: "<") else { throw fail("< in the value of attribute \(key)") }
                advance()
            }
            guard !atEnd else { throw fail("unterminated value of attribute \(key)") }
            let value = try decode(bytes[start..<i])
            i += 1
            guard attributes.updateValue(value, forKey: key) == nil else {
                throw fail("attribute \(key) repeated in <\(n)>")
            }
        }
    }

    /// Character data with entity and character references replaced.
    func decode(_ raw: ArraySlice<UInt8>) throws(XMLScanner.Failure) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var j = raw.startIndex
        while j < raw.endIndex {
            let b = raw[j]
            guard b == UInt8(ascii: "&") else {
                out.append(b)
                j += 1
                continue
            }
            guard let semi = raw[j...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw fail("& without a ; (write &amp;)")
            }
            let ref = String(decoding: raw[(j + 1)..<semi], as: UTF8.self)
            switch ref {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                guard ref.hasPrefix("#"),
                      let code = ref.hasPrefix("#x") ? UInt32(ref.dropFirst(2), radix: 16) : UInt32(ref.dropFirst(), radix: 10),
                      code != 0, let scalar = Unicode.Scalar(code) else {
                    throw fail("unknown entity &\(ref);")
                }
                out += Array(String(Character(scalar)).utf8)
            }
            j = semi + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
