// libFuzzer target: kvmnet-diag's --http.config (HTTPClientConfigDecoder), with a file
// reader that answers every *_file with a fixed text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let decoder = HTTPClientConfigDecoder(file: "fuzz.yml") { path in path.count > 100 ? "" : "secret-from-\(path)\n" }
    if let config = try? decoder.decode(text) { _ = config.authorizationHeader }
    return 0
}
