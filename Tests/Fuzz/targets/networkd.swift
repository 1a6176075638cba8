// libFuzzer target: systemd-networkd files (INIParser with continuations, NetworkdIntended):
// the input as a .netdev, as a .network and as a drop-in of each, and its values through
// the time-span, size and boolean parsers.
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let netdev = INIParser.parse(text, path: "/etc/systemd/network/10-bond0.20.netdev", continuation: true)
    let network = INIParser.parse(text, path: "/etc/systemd/network/20-bond0.network", continuation: true)
    let dropIn = INIParser.parse(text, path: "/etc/systemd/network/20-bond0.network.d/x.conf", continuation: true)
    _ = NetworkdIntended.read([
        NetworkdFile(kind: .netdev, main: netdev, dropIns: [dropIn]),
        NetworkdFile(kind: .network, main: network, dropIns: [dropIn, dropIn]),
    ])
    _ = NetworkdIntended.milliseconds(text)
    _ = NetworkdIntended.bytes(text)
    _ = NetworkdIntended.boolean(text)
    _ = NetworkdIntended.label(text)
    return 0
}
