// libFuzzer target: RHEL-style ifcfg files (IfcfgParser).
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = IfcfgParser.parse(text, path: "/etc/sysconfig/network-scripts/ifcfg-bond0")
    _ = IfcfgParser.name(ofPath: text)
    _ = IfcfgParser.isConfigFileName(text)
    return 0
}
