// libFuzzer target: libvirt domain and network XML (LibvirtXMLParser).
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? LibvirtXMLParser.parse(text, file: "/etc/libvirt/qemu/vm.xml")
    return 0
}
