/// A node of the YAML subset that ``YAMLSubsetParser`` reads: block mappings, block
/// sequences, flow collections of scalars, and plain or quoted scalars. Every node knows
/// its line so that errors can point at it.
public indirect enum YAMLNode: Sendable, Equatable {
    /// A scalar; `quoted` when it was written in quotes (then `null` or `true` are strings).
    case scalar(String, quoted: Bool, line: Int)
    /// An ordered mapping; keys are unique.
    case mapping([YAMLEntry], line: Int)
    /// A block or flow sequence.
    case sequence([YAMLNode], line: Int)
    /// An empty value (`key:` with nothing below, `~`, `null`).
    case null(line: Int)

    /// The 1-based line of the node's first character (for an empty value: its key's or
    /// its `-`'s line, as libyaml places it).
    public var line: Int {
        switch self {
        case .scalar(_, _, let l), .mapping(_, let l), .sequence(_, let l), .null(let l): return l
        }
    }

    /// What the node is, for error messages.
    public var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .null: return "an empty value"
        }
    }
}

/// One `key: value` of a mapping.
public struct YAMLEntry: Sendable, Equatable {
    /// The key as written (quotes removed); keys are always strings.
    public var key: String
    public var value: YAMLNode
    /// The 1-based line of the key.
    public var line: Int

    public init(key: String, value: YAMLNode, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// A syntax error, or a YAML feature outside the subset, at a line of the file.
public struct YAMLSyntaxError: Error, Equatable, CustomStringConvertible {
    /// The 1-based line the error is at.
    public var line: Int
    /// What is wrong, or which feature is not supported.
    public var message: String
    /// Valid YAML that the subset does not read, and whose extent is clear: anchors,
    /// aliases, tags, block scalars, complex keys. ``YAMLSubsetParser/document(_:subset:leaveOutUnsupported:)``
    /// can leave such a value out and read the rest. Not compared by `==`.
    public var isUnsupportedFeature: Bool

    public init(line: Int, message: String, isUnsupportedFeature: Bool = false) {
        self.line = line
        self.message = message
        self.isUnsupportedFeature = isUnsupportedFeature
    }

    public var description: String { "line \(line): \(message)" }

    public static func == (a: YAMLSyntaxError, b: YAMLSyntaxError) -> Bool {
        a.line == b.line && a.message == b.message
    }
}

/// Which of the optional parts of the subset a reader accepts. Outside them the parser
/// refuses with the line and the feature, as everywhere else.
public struct YAMLSubset: Sendable, Hashable {
    /// Mappings and sequences as list items (`- to: default` / `  via: 10.0.0.1`, `- - a`).
    public var collectionsInSequences: Bool
    /// Non-empty flow mappings (`{to: default, via: 10.0.0.1}`); `{}` is always read.
    public var flowMappings: Bool
    /// Flow collections inside flow collections (`{addresses: [10.0.0.1]}`).
    public var nestedFlowCollections: Bool

    public init(collectionsInSequences: Bool, flowMappings: Bool, nestedFlowCollections: Bool) {
        self.collectionsInSequences = collectionsInSequences
        self.flowMappings = flowMappings
        self.nestedFlowCollections = nestedFlowCollections
    }

    /// What a hand-written exporter-toolkit web configuration file (or Prometheus' http
    /// client config) holds: values on one line, flow lists of scalars, no mappings in lists.
    public static let webConfig = YAMLSubset(collectionsInSequences: false, flowMappings: false, nestedFlowCollections: false)
    /// What netplan's files use (netplan(5)'s examples): also mappings in lists (`routes:`,
    /// addresses with options) and flow mappings (`match: {macaddress: ...}`), nested.
    public static let netplan = YAMLSubset(collectionsInSequences: true, flowMappings: true, nestedFlowCollections: true)
}

/// A parsed document: its root (`nil` when the text holds no node, only comments or
/// blanks) and the values left out (see ``YAMLSyntaxError/isUnsupportedFeature``).
public struct YAMLDocument: Sendable, Equatable {
    public var root: YAMLNode?
    public var leftOut: [YAMLSyntaxError]

    public init(root: YAMLNode?, leftOut: [YAMLSyntaxError] = []) {
        self.root = root
        self.leftOut = leftOut
    }
}
