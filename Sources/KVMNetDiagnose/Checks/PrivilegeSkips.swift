import KVMNetModel
import KVMNetSources

extension CheckContext {
    /// The read error of `source` that only more privilege would have avoided (a
    /// directory or file the reader may not open), if any: checks that depend on that
    /// source are skipped and say so, rather than pass on data they never saw.
    func deniedRead(_ source: Source) -> SourceError? {
        snapshot.errors.first { $0.source == source && $0.kind == .permission }
    }

    /// The reason of such a skip.
    static func needsPrivilege(_ e: SourceError) -> String {
        "needs root: \(e.path) is not readable by this user (\(e.message))"
    }
}
