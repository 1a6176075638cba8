/// A node of the small YAML subset that web configuration files use: block mappings,
/// block sequences, flow sequences of scalars, and plain or quoted scalars. Every node
/// knows its line so that errors can point at it.
indirect enum YAMLNode: Sendable, Equatable {
    /// A scalar; `quoted` when it was written in quotes (then `null` or `true` are strings).
    case scalar(String, quoted: Bool, line: Int)
    /// An ordered mapping; keys are unique.
    case mapping([YAMLEntry], line: Int)
    case sequence([YAMLNode], line: Int)
    /// An empty value (`key:` with nothing below, `~`, `null`).
    case null(line: Int)

    var line: Int {
        switch self {
        case .scalar(_, _, let l), .mapping(_, let l), .sequence(_, let l), .null(let l): return l
        }
    }

    /// What the node is, for error messages.
    var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .null: return "an empty value"
        }
    }
}

/// One `key: value` of a mapping.
struct YAMLEntry: Sendable, Equatable {
    var key: String
    var value: YAMLNode
    var line: Int
}

/// A syntax error, or a YAML feature outside the subset, at a line of the file.
struct YAMLSyntaxError: Error, Equatable, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line): \(message)" }
}
