// libFuzzer target: what kvmnet-diag reads from other hosts across hosts: the agent API's
// answers (AgentAPIParser: snapshot and FDB lookup), Prometheus' query and targets
// answers (PrometheusAPIParser), --peer/--prometheus addresses (HTTPAddress); a snapshot
// that decodes is masked and diagnosed across hosts against itself.
import KVMNetDiagnose
import KVMNetModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let url = "http://fuzz:9834/api/v1/snapshot"
    _ = try? AgentAPIParser.fdb(bytes, url: url)
    _ = try? PrometheusAPIParser.vector(bytes, url: url)
    _ = try? PrometheusAPIParser.activeTargets(bytes, url: url)
    _ = try? HTTPAddress(parsing: String(decoding: bytes.prefix(200), as: UTF8.self))
    if let snapshot = try? AgentAPIParser.snapshot(bytes, url: url) {
        let masked = snapshot.maskingSecrets()
        let lookup = try? AgentAPIParser.fdb(bytes, url: url)
        _ = diagnoseAcrossHosts(HostHalf(host: "a", source: url, snapshot: masked, endpoint: "vm1", fdb: lookup),
                                HostHalf(host: "b", source: url, snapshot: snapshot, endpoint: "vm2", fdb: lookup))
    }
    return 0
}
