// libFuzzer target: the two parsers of `kvmnet-diag watch` that read kernel output:
// ring-buffer records (FrameEventDecoder: the input as one record, and every 72-byte
// window of it) and /proc/kallsyms text (KernelSymbols, asked for addresses taken from
// the input itself so that hits, misses and offsets all occur).
import KVMNetModel
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let event = try? FrameEventDecoder.decode(bytes) { _ = event.protocolName }
    var offset = 0
    while offset + FrameEventDecoder.recordSize <= bytes.count && offset < 4096 {
        _ = try? FrameEventDecoder.decode(Array(bytes[offset..<(offset + FrameEventDecoder.recordSize)]))
        offset += 8
    }
    var wanted: Set<UInt64> = [0, UInt64.max]
    var i = 0
    while i + 8 <= bytes.count && wanted.count < 16 {
        wanted.insert((0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[i + $1]) })
        i += 8
    }
    if let names = try? KernelSymbols.symbolize(wanted, in: bytes) {
        for symbol in names.values { _ = symbol.description }
    }
    return 0
}
