// libFuzzer target: rtnetlink messages as the kernel sends them (RTM_NEWLINK with
// IFLA_LINKINFO for bonds, bond slaves, bridges and VLANs; AF_BRIDGE RTM_NEWLINK /
// RTM_DELLINK with IFLA_AF_SPEC bridge VLAN entries; RTM_NEWNEIGH FDB entries;
// RTM_NEWADDR), through the decoder the monitor and the dump use.
import KVMNetNetlink

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? NetlinkMessageDecoder.changes(in: bytes)
    _ = try? NetlinkMessageDecoder.change(in: bytes)
    _ = try? NetlinkMessageDecoder.linkUpdate(in: bytes)
    _ = try? NetlinkMessageDecoder.bridgeVLANs(in: bytes)
    _ = try? NetlinkMessageDecoder.fdbEntry(in: bytes)
    _ = try? NetlinkMessageDecoder.address(in: bytes)
    return 0
}
