/// Why a `--web.config.file` cannot be used. The description names the file and, where
/// there is one, the line.
public struct WebConfigError: Error, Equatable, CustomStringConvertible {
    /// The config file.
    public var file: String
    /// The line of the file, when the problem has one.
    public var line: Int?
    public var problem: Problem

    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// The config file or a file it names cannot be read.
        case unreadable(path: String, reason: String)
        /// Not YAML, or YAML outside the supported subset.
        case syntax(String)
        /// A field with no meaning (exporter-toolkit reads the file strictly too).
        case unknownField(field: String, section: String, known: [String])
        /// A field of the wrong kind or with a value out of its range.
        case badValue(field: String, message: String)
        /// A field exporter-toolkit knows that this agent does not implement.
        case unsupported(field: String, hint: String)
        /// A combination that cannot work, or a TLS file that does not load.
        case invalid(String)
    }

    public init(file: String, line: Int? = nil, problem: Problem) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String {
        let at = line.map { "\(file):\($0)" } ?? file
        let what: String
        switch problem {
        case .unreadable(let path, let reason):
            what = path == file ? "cannot read the file: \(reason)" : "cannot read \(path): \(reason)"
        case .syntax(let m):
            what = "not valid YAML: \(m)"
        case .unknownField(let field, let section, let known):
            what = "unknown field \"\(field)\" in \(section) (known: \(known.joined(separator: ", ")))"
        case .badValue(let field, let m):
            what = "\(field): \(m)"
        case .unsupported(let field, let hint):
            what = "\(field) is not supported by kvmnet-agent: \(hint)"
        case .invalid(let m):
            what = m
        }
        return "web config file \(at): \(what)"
    }
}
