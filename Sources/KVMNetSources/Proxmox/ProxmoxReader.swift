import KVMNetModel

/// What the Proxmox VE directories held.
public struct ProxmoxReading: Sendable {
    public var guests: [ProxmoxGuest] = []
    public var files: [SourceFile] = []
    /// The guest directories that existed (`<root>/qemu-server`, `<root>/lxc`, ...).
    public var directories: [String] = []
    public var errors: [SourceError] = []
}

/// Reads the guest configs of a Proxmox VE node: `<root>/qemu-server/<vmid>.conf` (VMs)
/// and `<root>/lxc/<vmid>.conf` (containers), where `root` is `/etc/pve` on a real host.
/// There `qemu-server` and `lxc` are symlinks to `nodes/<this node>/...`; the node's own
/// directories are read too when a node name is given (a copied tree without the
/// symlinks). Other nodes' guests are not this host's and are never read. A guest found
/// twice (through the symlink and the node directory) counts once, as first found.
///
/// Errors are ``SourceError`` values of source ``Source/proxmox``; a line the parser
/// could not take is one such error (kind `other`), the rest of the file still counts.
public enum ProxmoxReader {
    /// Where Proxmox VE keeps its cluster file system.
    public static let defaultRoot = "/etc/pve"

    /// The guest directories of `root` (and of `nodes/<node>` under it), with their kind.
    public static func directories(root: String, node: String?) -> [(String, ProxmoxGuestKind)] {
        var out: [(String, ProxmoxGuestKind)] = [(HostFiles.join(root, "qemu-server"), .qemu), (HostFiles.join(root, "lxc"), .lxc)]
        if let node, !node.isEmpty, !node.contains("/") {
            let base = HostFiles.join(HostFiles.join(root, "nodes"), node)
            out += [(HostFiles.join(base, "qemu-server"), .qemu), (HostFiles.join(base, "lxc"), .lxc)]
        }
        return out
    }

    /// Reads every guest config under `root`.
    public static func read(root: String, node: String? = nil) -> ProxmoxReading {
        var reading = ProxmoxReading()
        var seen = Set<Int>()
        for (directory, kind) in directories(root: root, node: node) {
            guard let listing = HostFiles.list(directory, source: .proxmox) else { continue }
            reading.directories.append(directory)
            switch listing {
            case .failure(let error):
                reading.errors.append(error)
            case .success(let names):
                for name in names {
                    guard let vmid = ProxmoxConfigParser.vmid(ofFileName: name), !seen.contains(vmid) else { continue }
                    let path = HostFiles.join(directory, name)
                    switch HostFiles.load(path, source: .proxmox) {
                    case .text(let text):
                        seen.insert(vmid)
                        let parse = ProxmoxConfigParser.parse(text, kind: kind, vmid: vmid, path: path)
                        reading.guests.append(parse.guest)
                        reading.files.append(SourceFile(kind: "proxmox", path: path, text: text))
                        reading.errors += parse.issues.map {
                            SourceError(source: .proxmox, path: path, kind: .other, message: "line \($0.line): \($0.message)")
                        }
                    case .absent:
                        continue
                    case .failed(let error):
                        reading.errors.append(error)
                    }
                }
            }
        }
        reading.guests.sort { $0.vmid < $1.vmid }
        return reading
    }
}

/// Proxmox VE guests as the model's VM interfaces: the one mapping from their configs to
/// ``VMInterface``, for the agent and the diagnosis.
public enum ProxmoxVMs {
    /// How a NIC's config attaches it to the host (``VMAttachment/proxmox(bridge:tag:)``).
    public static func attachment(_ nic: ProxmoxNIC) -> VMAttachment { .proxmox(bridge: nic.bridge, tag: nic.tag) }

    /// The bridge a NIC belongs on (``VMInterface/intendedBridge(_:networkBridge:vlanAware:)``),
    /// given whether bridges filter VLANs (`nil`: unknown).
    public static func bridge(of nic: ProxmoxNIC, vlanAware: (String) -> Bool?) -> String? {
        VMInterface.intendedBridge(attachment(nic), networkBridge: { _ in nil }, vlanAware: vlanAware)
    }

    /// The VLANs a NIC asks for: `tag=` (access) and `trunks=` (tagged VLANs; with a
    /// `tag=` too, that one is the native, untagged VLAN).
    public static func vlanRequest(_ nic: ProxmoxNIC) -> VMVLANRequest? {
        if nic.trunks.isEmpty { return nic.tag.map { VMVLANRequest(tags: [$0]) } }
        let tags = nic.tag.map { [$0] + nic.trunks.filter { $0 != nic.tag } } ?? nic.trunks
        return VMVLANRequest(tags: tags, trunk: true, nativeTag: nic.tag, nativeMode: nic.tag == nil ? nil : .untagged)
    }

    /// Every NIC of `guests` whose host device exists (`exists`: the guest runs), sorted by
    /// domain and tap.
    public static func interfaces(guests: [ProxmoxGuest], exists: (String) -> Bool,
                                  vlanAware: (String) -> Bool?) -> [VMInterface] {
        var out: [VMInterface] = []
        for guest in guests {
            for nic in guest.nics {
                let tap = guest.devices(nic).tap
                guard exists(tap) else { continue }
                out.append(VMInterface(domain: guest.displayName, mac: nic.mac, tap: tap,
                                       bridge: bridge(of: nic, vlanAware: vlanAware), vlan: vlanRequest(nic),
                                       manager: guest.kind.manager, vmid: guest.vmid))
            }
        }
        return out.sorted { ($0.domain, $0.tap ?? "") < ($1.domain, $1.tap ?? "") }
    }
}
