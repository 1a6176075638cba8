import KVMNetModel

/// A read or parse problem in one source. The read goes on without that piece.
public struct SourceError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The source, as in `kvmnet_source_errors_total{source}`.
    public var source: Source
    public var path: String
    /// What kept the file from being read (``ReadError/Kind``); `.other` for a file read
    /// but not understood.
    public var kind: ReadError.Kind
    /// For people: the system's text for the error, or what the parser found wrong.
    public var message: String

    public init(source: Source, path: String, kind: ReadError.Kind = .other, message: String) {
        self.source = source
        self.path = path
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(source): \(path): \(message)" }

    enum CodingKeys: String, CodingKey { case source, path, kind, message }

    /// Snapshots written before errors had a kind decode with `.other`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(Source.self, forKey: .source)
        path = try c.decode(String.self, forKey: .path)
        kind = try c.decodeIfPresent(ReadError.Kind.self, forKey: .kind) ?? .other
        message = try c.decode(String.self, forKey: .message)
    }
}
