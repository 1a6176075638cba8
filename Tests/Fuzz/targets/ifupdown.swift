// libFuzzer target: Debian interfaces(5) files (InterfacesParser) and their mapping onto
// the intended-network model (InterfacesIntended).
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let file = InterfacesParser.parse(text, path: "/etc/network/interfaces")
    _ = InterfacesIntended.devices([file, file])
    _ = InterfacesParser.isDirectoryEntryName(text)
    _ = VLANName.parse(text)
    _ = VIDList.ranges(text)
    return 0
}
