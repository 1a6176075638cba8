import KVMNetModel
import Yams

/// One YAML node of a netplan file, as a plain value with the file and line it was written
/// at (libyaml's marks, through Yams' composer): the merge of several files keeps every
/// value's own place, so each is cited where it was written.
public struct NetplanNode: Sendable, Hashable {
    /// What the node holds.
    public enum Value: Sendable, Hashable {
        /// A scalar as written (quotes removed); YAML's types are netplan's business
        /// (``NetplanIntended`` reads `yes`, `true` and `on` alike).
        case scalar(String)
        /// `~`, `null` or nothing after a key.
        case null
        case sequence([NetplanNode])
        case mapping([NetplanEntry])
    }

    public var value: Value
    /// The file the node was written in.
    public var file: String
    /// 1-based line of the node's first character.
    public var line: Int

    public init(_ value: Value, file: String, line: Int) {
        self.value = value
        self.file = file
        self.line = line
    }

    /// The scalar text; `nil` for anything else.
    public var scalar: String? {
        if case .scalar(let s) = value { return s }
        return nil
    }

    /// The entries of a mapping (`nil` for anything else; an empty mapping for null).
    public var entries: [NetplanEntry]? {
        switch value {
        case .mapping(let e): return e
        case .null: return []
        default: return nil
        }
    }

    /// The value of `key` in a mapping.
    public subscript(key: String) -> NetplanNode? { entries?.first { $0.key == key }?.value }

    /// The entry of `key` in a mapping (with the key's own line).
    public func entry(_ key: String) -> NetplanEntry? { entries?.first { $0.key == key } }

    /// What the node is, for messages: `a sequence`.
    public var kindName: String {
        switch value {
        case .scalar: return "a scalar"
        case .null: return "null"
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        }
    }
}

/// One key of a YAML mapping, with the place of the key (where a netplan id is declared).
public struct NetplanEntry: Sendable, Hashable {
    public var key: String
    /// The file of the key: the first file that wrote it, when files were merged.
    public var file: String
    /// 1-based line of the key.
    public var line: Int
    public var value: NetplanNode

    public init(key: String, file: String, line: Int, value: NetplanNode) {
        self.key = key
        self.file = file
        self.line = line
        self.value = value
    }
}

/// One netplan YAML file as parsed: its top-level node (`nil` for an empty file or one
/// that is not YAML) and what could not be understood, each with its line.
public struct NetplanFile: Sendable, Hashable {
    public var path: String
    public var root: NetplanNode?
    public var problems: [ConfigProblem]

    public init(path: String, root: NetplanNode?, problems: [ConfigProblem] = []) {
        self.path = path
        self.root = root
        self.problems = problems
    }

    /// The device types netplan defines devices under (`network.ethernets`, ...); the
    /// ones kvmnet does not model (wifis, tunnels) count too: the file configures something.
    static let deviceTypes = ["ethernets", "bonds", "bridges", "vlans", "wifis", "modems", "tunnels", "vrfs",
                              "nm-devices", "dummy-devices", "virtual-ethernets"]

    /// Whether the file defines at least one device (a file with `network: {version: 2}`
    /// only, or with a renderer only, does not).
    public var definesDevices: Bool {
        guard let network = root?["network"] else { return false }
        return Self.deviceTypes.contains { network[$0]?.entries?.isEmpty == false }
    }
}

/// Parses netplan YAML (netplan(5)): YAML 1.1 through Yams (libyaml), into ``NetplanNode``
/// trees with lines. Pure: text in, value out. A file that is not YAML is one problem with
/// libyaml's line (libyaml cannot resume after a syntax error, so nothing of that file is
/// read); what YAML allows but netplan's files never use (complex keys, aliases, several
/// documents) is a problem at its line, and the rest is read.
public enum NetplanParser {
    /// Deeper flow or block nesting than this is refused (netplan's deepest key is four
    /// levels down; the limit keeps a hostile file from exhausting the stack).
    static let maxDepth = 64

    public static func parse(_ text: String, path: String) -> NetplanFile {
        var problems: [ConfigProblem] = []
        if let line = tooDeep(text) {
            return NetplanFile(path: path, root: nil, problems: [ConfigProblem(line: line, message: "nested deeper than \(maxDepth) levels")])
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return NetplanFile(path: path, root: nil, problems: [problem(error)])
        } catch {
            return NetplanFile(path: path, root: nil, problems: [ConfigProblem(line: 1, message: "not YAML: \(error)")])
        }
        guard let node else { return NetplanFile(path: path, root: nil) }
        let root = convert(node, path: path, depth: 0, problems: &problems)
        return NetplanFile(path: path, root: root, problems: problems)
    }

    /// libyaml's error, at its line.
    static func problem(_ error: YamlError) -> ConfigProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { "\($0.text) " } ?? ""
            return ConfigProblem(line: max(mark.line, 1), message: "not valid YAML: \(where_)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigProblem(line: max(context.mark.line, 1), message: "key written twice in one mapping: \(duplicates.joined(separator: ", "))")
        case .reader(let problem, let offset, _, _):
            return ConfigProblem(line: 1, message: "not readable as YAML: \(problem)\(offset.map { " at byte \($0)" } ?? "")")
        default:
            return ConfigProblem(line: 1, message: "not valid YAML: \(error)")
        }
    }

    static func convert(_ node: Node, path: String, depth: Int, problems: inout [ConfigProblem]) -> NetplanNode? {
        let line = node.mark?.line ?? 1
        guard depth < maxDepth else {
            problems.append(ConfigProblem(line: line, message: "nested deeper than \(maxDepth) levels"))
            return nil
        }
        switch node {
        case .scalar(let s):
            if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
                return NetplanNode(.null, file: path, line: line)
            }
            return NetplanNode(.scalar(s.string), file: path, line: line)
        case .sequence(let seq):
            var items: [NetplanNode] = []
            for item in seq {
                if let n = convert(item, path: path, depth: depth + 1, problems: &problems) { items.append(n) }
            }
            return NetplanNode(.sequence(items), file: path, line: line)
        case .mapping(let map):
            var entries: [NetplanEntry] = []
            for (key, value) in map {
                guard case .scalar(let k) = key else {
                    problems.append(ConfigProblem(line: key.mark?.line ?? line, message: "a mapping key that is not a scalar"))
                    continue
                }
                guard let v = convert(value, path: path, depth: depth + 1, problems: &problems) else { continue }
                let entry = NetplanEntry(key: k.string, file: path, line: key.mark?.line ?? line, value: v)
                // A key written twice in one mapping: the later one updates the earlier, as
                // when a later file writes it.
                if let i = entries.firstIndex(where: { $0.key == entry.key }) {
                    entries[i].value = NetplanMerge.merge(entries[i].value, entry.value)
                } else {
                    entries.append(entry)
                }
            }
            return NetplanNode(.mapping(entries), file: path, line: line)
        case .alias:
            problems.append(ConfigProblem(line: line, message: "a YAML alias (netplan's files do not use them): left out"))
            return nil
        }
    }

    /// The line where flow collections (`[`, `{`) nest deeper than ``maxDepth``, outside
    /// quotes and comments; `nil` when they do not. Checked before libyaml's composer,
    /// which recurses once per level.
    static func tooDeep(_ text: String) -> Int? {
        var depth = 0
        var line = 1
        var quote: UInt8?
        var comment = false
        var previous: UInt8 = 10
        for byte in text.utf8 {
            if byte == 10 { line += 1; comment = false; previous = byte; continue }
            if comment { continue }
            if let q = quote {
                if byte == q { quote = nil }
            } else {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
                case UInt8(ascii: "#") where previous == 32 || previous == 9 || previous == 10: comment = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > maxDepth { return line }
                case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
                default: break
                }
            }
            previous = byte
        }
        // Block nesting: indentation deeper than two spaces a level would allow.
        var indentLine = 1
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if l.prefix(while: { $0 == " " || $0 == "-" }).count > maxDepth * 4 { return indentLine }
            indentLine += 1
        }
        return nil
    }
}

/// netplan's merge of its files (netplan-generate(8), "Handling multiple files"): a later
/// file's scalars replace the earlier ones, its sequences are appended to the earlier
/// ones, and its mappings are merged key by key by the same rules.
public enum NetplanMerge {
    public static func merge(_ earlier: NetplanNode, _ later: NetplanNode) -> NetplanNode {
        switch (earlier.value, later.value) {
        case (.mapping(var old), .mapping(let new)):
            for e in new {
                if let i = old.firstIndex(where: { $0.key == e.key }) {
                    old[i].value = merge(old[i].value, e.value)
                } else {
                    old.append(e)
                }
            }
            return NetplanNode(.mapping(old), file: earlier.file, line: earlier.line)
        case (.mapping, .null):
            // `ens1:` after `ens1: {mtu: 9000}` adds nothing.
            return earlier
        case (.sequence(let old), .sequence(let new)):
            return NetplanNode(.sequence(old + new), file: later.file, line: later.line)
        default:
            return later
        }
    }
}
