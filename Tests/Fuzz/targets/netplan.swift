// libFuzzer target: netplan YAML (NetplanParser through KVMNetYAML, NetplanIntended):
// the input as one file, as two files merged by name (the same text twice: every list
// appended, every scalar overridden), and its text through the value parsers.
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let first = NetplanParser.parse(text, path: "/etc/netplan/10-a.yaml")
    let second = NetplanParser.parse(text, path: "/run/netplan/20-b.yaml")
    _ = NetplanIntended.read([first])
    _ = NetplanIntended.read([second, first])
    _ = first.definesDevices
    _ = NetplanIntended.milliseconds(text)
    _ = NetplanIntended.boolean(text)
    _ = NetplanIntended.isGeneratedOutput(text)
    return 0
}
