/// Pure parser of ifcfg files: shell-style `KEY=value` lines.
///
/// Handles `#` comments, blank lines, `export KEY=...`, double quotes (with backslash
/// escapes), single quotes and unquoted values ending at whitespace. Lines that are not
/// assignments are skipped, as the network scripts do when they source the file.
public enum IfcfgParser {
    /// Parses the text of `ifcfg-<name>` read from `path`.
    public static func parse(_ text: String, path: String) -> IfcfgFile {
        var entries: [IfcfgEntry] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            guard isShellName(key) else { continue }
            entries.append(IfcfgEntry(key: key, value: unquote(line[line.index(after: eq)...]), line: index + 1))
        }
        return IfcfgFile(path: path, name: name(ofPath: path), entries: entries)
    }

    /// `ens37.20` for `/etc/sysconfig/network-scripts/ifcfg-ens37.20`.
    public static func name(ofPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.hasPrefix("ifcfg-") ? String(file.dropFirst("ifcfg-".count)) : file
    }

    /// Whether initscripts would read a file of this name: `ifcfg-*` without the backup
    /// suffixes they skip.
    public static func isConfigFileName(_ file: String) -> Bool {
        guard file.hasPrefix("ifcfg-"), file.count > "ifcfg-".count else { return false }
        let ignored = ["~", ".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", ".old"]
        return !ignored.contains { file.hasSuffix($0) }
    }

    private static func isShellName(_ key: String) -> Bool {
        guard let first = key.first, first == "_" || first.isLetter else { return false }
        return key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// Removes shell quoting from the value part of an assignment.
    static func unquote(_ raw: Substring) -> String {
        var out = ""
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            switch c {
            case "\"":
                i = raw.index(after: i)
                while i < raw.endIndex, raw[i] != "\"" {
                    if raw[i] == "\\", raw.index(after: i) < raw.endIndex {
                        i = raw.index(after: i)
                    }
                    out.append(raw[i])
                    i = raw.index(after: i)
                }
            case "'":
                i = raw.index(after: i)
                while i < raw.endIndex, raw[i] != "'" {
                    out.append(raw[i])
                    i = raw.index(after: i)
                }
            case " ", "\t", "\r":
                return out
            case "\\":
                let next = raw.index(after: i)
                if next < raw.endIndex {
                    out.append(raw[next])
                    i = next
                }
            default:
                out.append(c)
            }
            if i < raw.endIndex { i = raw.index(after: i) }
        }
        return out
    }
}
