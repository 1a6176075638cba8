// libFuzzer target: Proxmox VE guest configs (ProxmoxConfigParser), as a VM's and as a
// container's, and the trunks, file-name and firewall-veth helpers.
import KVMNetSources

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for kind in [ProxmoxGuestKind.qemu, .lxc] {
        let parse = ProxmoxConfigParser.parse(text, kind: kind, vmid: 100, path: "/etc/pve/qemu-server/100.conf")
        for nic in parse.guest.nics { _ = parse.guest.devices(nic).firewallPeer }
    }
    _ = ProxmoxConfigParser.trunks(text)
    _ = ProxmoxConfigParser.vmid(ofFileName: text)
    _ = ProxmoxDevices.firewallVethPeer(of: text)
    return 0
}
