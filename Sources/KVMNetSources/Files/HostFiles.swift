#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import KVMNetModel

/// The fact readers' view of the file system, on top of `FileReader`:
/// an absent file or directory is told apart from an unreadable one, and failures
/// become ``SourceError`` values tagged with the kind of source.
public enum HostFiles {
    /// What became of a read: the text, the file being absent, or an error.
    public enum Outcome: Sendable, Equatable {
        case text(String)
        case absent
        case failed(SourceError)
    }

    /// Reads a whole file. A missing file is `.absent`, not an error: callers decide
    /// whether absence matters (a missing bridge-nf sysctl only means br_netfilter is
    /// not loaded).
    public static func load(_ path: String, source: Source) -> Outcome {
        switch FileReader.readText(path) {
        case .success(let text): return .text(text)
        case .failure(let error):
            if isAbsent(error) { return .absent }
            return .failed(sourceError(error, source: source))
        }
    }

    /// Names of the entries of a directory, sorted; `nil` when the directory does not
    /// exist; an error when it exists but cannot be listed.
    public static func list(_ directory: String, source: Source) -> Result<[String], SourceError>? {
        switch FileReader.list(directory) {
        case .success(let names): return .success(names)
        case .failure(let error):
            if isAbsent(error) { return nil }
            return .failure(sourceError(error, source: source))
        }
    }

    /// Joins a directory and a name with exactly one slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func isAbsent(_ error: ReadError) -> Bool {
        error.isMissing || error.errno == ENOTDIR
    }

    private static func sourceError(_ error: ReadError, source: Source) -> SourceError {
        SourceError(source: source, path: error.path, kind: error.kind, message: error.reason)
    }
}
