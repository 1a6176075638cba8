import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
#if canImport(KVMNetNetlink)
import KVMNetNetlink
#endif

/// The rtnetlink dump as a ``LinkDumpSource`` for the collector.
struct NetlinkDumpSource: LinkDumpSource {
    var source: Source { .netlink }

    /// The netlink source, or `nil` when this build has no netlink (then sysfs is read).
    static func make() -> NetlinkDumpSource? {
        #if canImport(KVMNetNetlink)
        return NetlinkDumpSource()
        #else
        return nil
        #endif
    }

    func dump() -> Result<FullDump, SourceError> {
        #if canImport(KVMNetNetlink)
        do {
            return .success(try NetlinkTopologyDump.dump())
        } catch {
            return .failure(SourceError(source: .netlink, path: "rtnetlink", message: "\(error)"))
        }
        #else
        return .failure(SourceError(source: .netlink, path: "rtnetlink", message: "built without netlink"))
        #endif
    }
}
