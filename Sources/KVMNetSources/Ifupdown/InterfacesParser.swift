/// One line of a configuration file that its parser could not make sense of. The file is
/// still read; the line is left out, as the system itself leaves it out (or refuses it).
public struct ConfigProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 1-based.
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// One option line of an `iface` stanza: `bond-mode 802.3ad` is key `bond-mode`, value
/// `802.3ad` (the rest of the line, spaces collapsed; ifupdown's `_` in keys spelled `-`:
/// `bridge_ports` is `bridge-ports`). The same shape as an INI assignment.
public typealias InterfacesOption = INIEntry

/// An `iface NAME [inet|inet6 METHOD]` stanza and its options.
public struct InterfacesStanza: Sendable, Hashable, Codable {
    public var name: String
    /// `inet`, `inet6`; `nil` when not given (ifupdown2 allows `iface bond0`).
    public var family: String?
    /// `static`, `manual`, `dhcp`, `loopback`.
    public var method: String?
    public var line: Int
    public var options: [InterfacesOption]

    public init(name: String, family: String?, method: String?, line: Int, options: [InterfacesOption] = []) {
        self.name = name
        self.family = family
        self.method = method
        self.line = line
        self.options = options
    }

    /// The last option called `key`.
    public func option(_ key: String) -> InterfacesOption? { options.last { $0.key == key } }
}

/// A `source` or `source-directory` line.
public struct InterfacesInclude: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `source PATTERN`: the files matching a shell glob.
        case source
        /// `source-directory DIR`: the files of DIR whose names run-parts accepts.
        case directory = "source-directory"
    }

    public var kind: Kind
    public var pattern: String
    public var line: Int
}

/// A name on an `auto` (or `allow-auto`, `allow-hotplug`) line.
public struct InterfacesAuto: Sendable, Hashable, Codable {
    public var name: String
    public var line: Int
}

/// One interfaces(5) file, parsed: stanzas, `auto`/`allow-*` lines and includes, in
/// the order written.
public struct InterfacesFile: Sendable, Hashable, Codable {
    public var path: String
    public var stanzas: [InterfacesStanza] = []
    /// Names brought up at boot (`auto`, `allow-auto`, `allow-hotplug`), with their line.
    public var auto: [InterfacesAuto] = []
    public var includes: [InterfacesInclude] = []
    public var problems: [ConfigProblem] = []

    public init(path: String) { self.path = path }
}

/// Pure parser of Debian's `/etc/network/interfaces` (interfaces(5), as ifupdown and
/// ifupdown2 read it): `#` comments at the start of a line, `\` continuations, the
/// stanzas `iface`, `auto`, `allow-*`, `source`, `source-directory`, `mapping` (skipped
/// with its lines) and option lines belonging to the last `iface`.
public enum InterfacesParser {
    public static func parse(_ text: String, path: String) -> InterfacesFile {
        var file = InterfacesFile(path: path)
        var current: InterfacesStanza?
        var inMapping = false
        func flush() {
            if let c = current { file.stanzas.append(c) }
            current = nil
        }
        for (number, words) in logicalLines(text) {
            guard let keyword = words.first else { continue }
            let rest = Array(words.dropFirst())
            switch keyword {
            case "iface":
                flush()
                inMapping = false
                guard let name = rest.first else {
                    file.problems.append(ConfigProblem(line: number, message: "iface without an interface name"))
                    continue
                }
                current = InterfacesStanza(name: name, family: rest.count > 1 ? rest[1] : nil,
                                           method: rest.count > 2 ? rest[2] : nil, line: number)
            case "auto", "allow-auto", "allow-hotplug":
                flush()
                inMapping = false
                if rest.isEmpty { file.problems.append(ConfigProblem(line: number, message: "\(keyword) without an interface name")) }
                file.auto += rest.map { InterfacesAuto(name: $0, line: number) }
            case "source", "source-directory":
                flush()
                inMapping = false
                guard let pattern = rest.first else {
                    file.problems.append(ConfigProblem(line: number, message: "\(keyword) without a path"))
                    continue
                }
                file.includes.append(InterfacesInclude(kind: keyword == "source" ? .source : .directory, pattern: pattern, line: number))
            case "mapping":
                flush()
                inMapping = true
            default:
                if keyword.hasPrefix("allow-") {
                    flush()
                    inMapping = false
                    continue
                }
                if inMapping { continue }
                guard current != nil else {
                    file.problems.append(ConfigProblem(line: number, message: "option '\(keyword)' outside an iface stanza"))
                    continue
                }
                let key = String(keyword.map { $0 == "_" ? "-" : $0 })
                current?.options.append(InterfacesOption(key: key, value: rest.joined(separator: " "), line: number))
            }
        }
        flush()
        return file
    }

    /// Non-comment lines split into words, with the number of their first physical line;
    /// a line ending in `\` goes on in the next.
    static func logicalLines(_ text: String) -> [(Int, [String])] {
        var out: [(Int, [String])] = []
        var pending = ""
        var start = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            if pending.isEmpty {
                start = index + 1
                if line.drop(while: { $0 == " " || $0 == "\t" }).first == "#" { continue }
            }
            if line.last == "\\" {
                pending += line.dropLast() + " "
                continue
            }
            let full = pending + line
            pending = ""
            let words = full.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if !words.isEmpty { out.append((start, words)) }
        }
        if !pending.isEmpty {
            let words = pending.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if !words.isEmpty { out.append((start, words)) }
        }
        return out
    }

    /// Whether `source-directory` takes a file of this name: run-parts' rule, letters,
    /// digits, `_` and `-` only (no dots: `*.dpkg-old` is skipped).
    public static func isDirectoryEntryName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
