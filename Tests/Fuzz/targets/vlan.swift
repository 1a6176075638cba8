// libFuzzer target: /proc/net/vlan/config and /proc/net/vlan/<device> (VLANConfigParser,
// VLANDeviceParser), and the binary brforward records of /sys/class/net/<br>/brforward.
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? VLANConfigParser.parse(text, file: "/proc/net/vlan/config")
    _ = try? VLANDeviceParser.parse(text, file: "/proc/net/vlan/bond0.10")
    if let entries = try? BrforwardParser.parse(bytes, file: "brforward") {
        // Round trip: what encode writes, parse reads back the same.
        let again = try? BrforwardParser.parse(BrforwardParser.encode(entries), file: "brforward")
        if again != entries { fatalError("brforward round trip differs") }
    }
    return 0
}
