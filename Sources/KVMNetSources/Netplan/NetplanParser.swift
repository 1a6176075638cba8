import KVMNetModel
import KVMNetYAML

/// One YAML node of a netplan file, as a plain value with the file and line it was written
/// at (``YAMLSubsetParser``'s lines, which are libyaml's: Tests/KVMNetWebConfigYAMLTests):
/// the merge of several files keeps every
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

/// Parses netplan YAML (netplan(5)) with the project's YAML reader (``YAMLSubsetParser``,
/// subset ``YAMLSubset/netplan``: block and flow collections, mappings in lists, plain and
/// quoted scalars; no Foundation) into ``NetplanNode`` trees with lines. Pure: text in,
/// value out. A file that is not YAML, or uses YAML the reader leaves out and cannot skip
/// (multi-line values, several documents), is one problem with its line, and nothing of
/// that file is read; what YAML allows but netplan's files never use (anchors, aliases,
/// tags, block scalars, complex keys) is a problem at its line, and the rest is read.
public enum NetplanParser {
    /// Deeper flow or block nesting than this is refused (netplan's deepest key is four
    /// levels down; the limit keeps a hostile file from exhausting the stack).
    static let maxDepth = 64

    public static func parse(_ text: String, path: String) -> NetplanFile {
        if let line = tooDeep(text) {
            return NetplanFile(path: path, root: nil, problems: [ConfigProblem(line: line, message: "nested deeper than \(maxDepth) levels")])
        }
        let document: YAMLDocument
        do {
            document = try YAMLSubsetParser.document(text, subset: .netplan, leaveOutUnsupported: true)
        } catch {
            return NetplanFile(path: path, root: nil, problems: [ConfigProblem(line: error.line, message: "not valid YAML: \(error.message)")])
        }
        var problems = document.leftOut.map { ConfigProblem(line: $0.line, message: "\($0.message) (netplan's files do not use it): left out") }
        guard let node = document.root else { return NetplanFile(path: path, root: nil, problems: problems) }
        let root = convert(node, path: path, depth: 0, problems: &problems)
        return NetplanFile(path: path, root: root, problems: problems)
    }

    static func convert(_ node: YAMLNode, path: String, depth: Int, problems: inout [ConfigProblem]) -> NetplanNode? {
        guard depth < maxDepth else {
            problems.append(ConfigProblem(line: node.line, message: "nested deeper than \(maxDepth) levels"))
            return nil
        }
        switch node {
        case .scalar(let s, _, let line):
            return NetplanNode(.scalar(s), file: path, line: line)
        case .null(let line):
            return NetplanNode(.null, file: path, line: line)
        case .sequence(let seq, let line):
            let items = seq.compactMap { convert($0, path: path, depth: depth + 1, problems: &problems) }
            return NetplanNode(.sequence(items), file: path, line: line)
        case .mapping(let map, let line):
            // Keys are unique: the reader refuses a key written twice in one mapping.
            let entries = map.compactMap { e in
                convert(e.value, path: path, depth: depth + 1, problems: &problems)
                    .map { NetplanEntry(key: e.key, file: path, line: e.line, value: $0) }
            }
            return NetplanNode(.mapping(entries), file: path, line: line)
        }
    }

    /// The line where flow collections (`[`, `{`) nest deeper than ``maxDepth``, outside
    /// quotes and comments; `nil` when they do not. Checked before the reader, which
    /// recurses once per level.
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
