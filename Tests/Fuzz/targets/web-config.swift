// libFuzzer target: the exporter-toolkit web config file (KVMNetYAML, WebConfigDecoder).
// Compiled into one module with the decoder's sources, linked with the KVMNetYAML module.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? WebConfigDecoder(file: "/nonexistent/web.yml").decode(text)
    return 0
}
