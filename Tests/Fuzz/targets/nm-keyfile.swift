// libFuzzer target: NetworkManager keyfiles (INIParser with GLib escapes, KeyfileIntended)
// and systemd's INI dialect (continuations).
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let file = INIParser.parse(text, path: "/etc/NetworkManager/system-connections/vlan20.nmconnection", gkeyEscapes: true)
    _ = KeyfileIntended.devices([file, file])
    _ = KeyfileIntended.vlanSet(text)
    _ = INIParser.parse(text, path: "/etc/systemd/network/10-x.network", continuation: true)
    return 0
}
