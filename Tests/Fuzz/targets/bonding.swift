// libFuzzer target: /proc/net/bonding/<bond> (BondingFileParser).
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let f = try? BondingFileParser.parse(text, name: "bond0", file: "/proc/net/bonding/bond0") {
        // What the agent does with a parsed file must not trap either.
        _ = f.bond.slaves.map { ($0.name, $0.linkFailureCount, $0.speedMbps) }
    }
    return 0
}
