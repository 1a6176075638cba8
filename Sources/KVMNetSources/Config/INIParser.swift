/// One `key=value` line of an INI file, with its 1-based line.
public struct INIEntry: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
    public var line: Int

    public init(key: String, value: String, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// One `[section]` with its entries, in order. A section may appear more than once
/// (networkd's `[BridgeVLAN]`): each appearance is its own value.
public struct INISection: Sendable, Hashable, Codable {
    public var name: String
    public var line: Int
    public var entries: [INIEntry]

    public init(name: String, line: Int, entries: [INIEntry] = []) {
        self.name = name
        self.line = line
        self.entries = entries
    }

    /// The last assignment of `key`.
    public func entry(_ key: String) -> INIEntry? { entries.last { $0.key == key } }

    /// Every assignment of `key`, in order.
    public func all(_ key: String) -> [INIEntry] { entries.filter { $0.key == key } }
}

/// An INI file: the sections in order, and the lines that were not understood.
public struct INIFile: Sendable, Hashable, Codable {
    public var path: String
    public var sections: [INISection]
    public var problems: [ConfigProblem]

    public init(path: String, sections: [INISection] = [], problems: [ConfigProblem] = []) {
        self.path = path
        self.sections = sections
        self.problems = problems
    }

    /// The last assignment of `key` in any section called `section`.
    public func entry(_ section: String, _ key: String) -> INIEntry? {
        sections.filter { $0.name == section }.compactMap { $0.entry(key) }.last
    }

    /// Every section called `section`.
    public func sections(_ name: String) -> [INISection] { sections.filter { $0.name == name } }

    /// This file with `drop-in`'s sections after its own (systemd's drop-in order: a
    /// later assignment of a single-valued key wins).
    public func overlaid(with dropIn: INIFile) -> INIFile {
        INIFile(path: path, sections: sections + dropIn.sections, problems: problems)
    }
}

/// Pure parser of the INI dialects of GLib's key files (NetworkManager keyfiles) and
/// systemd unit files (networkd): `[section]` headers, `key=value`, `#` and `;` comment
/// lines, blank lines. systemd's trailing-`\` continuation is joined when `continuation`
/// is set. Lines that are neither, and assignments before the first section, are
/// reported as problems and left out.
public enum INIParser {
    public static func parse(_ text: String, path: String, continuation: Bool = false, gkeyEscapes: Bool = false) -> INIFile {
        var file = INIFile(path: path)
        var pending: (line: Int, text: String)?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            let number = index + 1
            if var p = pending {
                if continuation, line.last == "\\" {
                    p.text += " " + line.dropLast()
                    pending = p
                    continue
                }
                pending = nil
                handle(p.text + " " + line, line: p.line, into: &file, gkeyEscapes: gkeyEscapes)
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.first == "#" || trimmed.first == ";" { continue }
            if continuation, trimmed.last == "\\", trimmed.first != "[" {
                pending = (number, String(trimmed.dropLast()))
                continue
            }
            handle(String(trimmed), line: number, into: &file, gkeyEscapes: gkeyEscapes)
        }
        if let p = pending { handle(p.text, line: p.line, into: &file, gkeyEscapes: gkeyEscapes) }
        return file
    }

    private static func handle(_ text: String, line: Int, into file: inout INIFile, gkeyEscapes: Bool) {
        let text = trimmedTrailing(Substring(text))
        if text.first == "[" {
            guard text.last == "]", text.count > 2 else {
                file.problems.append(ConfigProblem(line: line, message: "malformed section header '\(text)'"))
                return
            }
            file.sections.append(INISection(name: String(text.dropFirst().dropLast()), line: line))
            return
        }
        guard let eq = text.firstIndex(of: "=") else {
            file.problems.append(ConfigProblem(line: line, message: "not a key=value line: '\(text.prefix(60))'"))
            return
        }
        let key = trimmedTrailing(text[..<eq])
        guard !key.isEmpty else {
            file.problems.append(ConfigProblem(line: line, message: "assignment without a key"))
            return
        }
        guard !file.sections.isEmpty else {
            file.problems.append(ConfigProblem(line: line, message: "'\(key)=' before the first [section]"))
            return
        }
        var value = String(text[text.index(after: eq)...].drop { $0 == " " || $0 == "\t" })
        if gkeyEscapes { value = unescapeGKey(value) }
        file.sections[file.sections.count - 1].entries.append(INIEntry(key: String(key), value: value, line: line))
    }

    private static func trimmedTrailing(_ s: Substring) -> String {
        var s = s
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }

    /// GLib key-file escapes: `\s`, `\t`, `\n`, `\r`, `\\`.
    static func unescapeGKey(_ value: String) -> String {
        guard value.contains("\\") else { return value }
        var out = ""
        var escaped = false
        for c in value {
            if escaped {
                switch c {
                case "s": out.append(" ")
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
