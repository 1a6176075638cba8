import KVMNetModel

/// What kind of Proxmox VE guest a config describes.
public enum ProxmoxGuestKind: String, Sendable, Hashable, Codable {
    /// A QEMU VM: `/etc/pve/qemu-server/<vmid>.conf`, NICs on `tap<vmid>i<n>`, changed with `qm set`.
    case qemu
    /// A container: `/etc/pve/lxc/<vmid>.conf`, NICs on `veth<vmid>i<n>`, changed with `pct set`.
    case lxc

    /// The command that changes such a guest's config (`qm`, `pct`).
    public var command: String { self == .qemu ? "qm" : "pct" }

    /// The model's name for the manager of such a guest.
    public var manager: VMManager { self == .qemu ? .proxmoxQEMU : .proxmoxLXC }
}

/// One `net<n>:` line of a guest's current config (the part before the first `[section]`).
///
/// A VM's: `net0: virtio=BC:24:11:12:34:56,bridge=vmbr0,firewall=1,tag=10,trunks=20;30-32,mtu=9000`
/// (the model key's value is the MAC; `macaddr=` also works). A container's:
/// `net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:..,ip=10.0.0.2/24,gw=10.0.0.1,tag=10,firewall=1`.
public struct ProxmoxNIC: Sendable, Hashable, Codable {
    /// `n` of `net<n>`: the device index in the host device names.
    public var index: Int
    /// Line of the `net<n>:` entry in the config file.
    public var line: Int
    /// The property string as written (after `net<n>:`), for fixes in Proxmox's terms.
    public var value: String
    /// The NIC model of a VM (`virtio`, `e1000`, ...); `nil` for a container.
    public var model: String?
    /// The guest's MAC, lower-case (`virtio=`/`macaddr=` of a VM, `hwaddr=` of a container).
    public var mac: String?
    /// `bridge=`; `nil`: a VM NIC in user-mode networking.
    public var bridge: String?
    /// `tag=`: the access VLAN.
    public var tag: Int?
    /// `trunks=` as written (`20;30-32`), and the VLANs it names.
    public var trunksText: String?
    public var trunks: [Int]
    /// `firewall=1`: the NIC goes through the iptables firewall bridge `fwbr<vmid>i<n>`.
    public var firewall: Bool
    /// `mtu=`; `1` on a VM means "the bridge's MTU".
    public var mtu: Int?
    /// `link_down=1`: the guest's cable is unplugged.
    public var linkDown: Bool
    /// A container's guest-side interface name (`name=eth0`).
    public var guestName: String?
    /// A container's static addresses (`ip=`, `ip6=` with a prefix; not `dhcp`/`auto`/`manual`).
    public var addresses: [String]

    public init(index: Int, line: Int, value: String, model: String? = nil, mac: String? = nil,
                bridge: String? = nil, tag: Int? = nil, trunksText: String? = nil, trunks: [Int] = [],
                firewall: Bool = false, mtu: Int? = nil, linkDown: Bool = false, guestName: String? = nil,
                addresses: [String] = []) {
        self.index = index
        self.line = line
        self.value = value
        self.model = model
        self.mac = mac
        self.bridge = bridge
        self.tag = tag
        self.trunksText = trunksText
        self.trunks = trunks
        self.firewall = firewall
        self.mtu = mtu
        self.linkDown = linkDown
        self.guestName = guestName
        self.addresses = addresses
    }

    /// `net<n>`.
    public var key: String { "net\(index)" }
}

/// A Proxmox VE guest (VM or container) as its config file describes it.
public struct ProxmoxGuest: Sendable, Hashable, Codable {
    public var kind: ProxmoxGuestKind
    public var vmid: Int
    /// `name:` of a VM, `hostname:` of a container.
    public var name: String?
    /// Line of `name:` / `hostname:`.
    public var nameLine: Int?
    /// The file it was read from.
    public var file: String
    /// Its NICs, by index.
    public var nics: [ProxmoxNIC]

    public init(kind: ProxmoxGuestKind, vmid: Int, name: String? = nil, nameLine: Int? = nil,
                file: String, nics: [ProxmoxNIC] = []) {
        self.kind = kind
        self.vmid = vmid
        self.name = name
        self.nameLine = nameLine
        self.file = file
        self.nics = nics
    }

    /// The name to show: `name:` / `hostname:`, else the vmid.
    public var displayName: String { name ?? String(vmid) }

    /// The host devices of one of its NICs.
    public func devices(_ nic: ProxmoxNIC) -> ProxmoxDevices { ProxmoxDevices(kind: kind, vmid: vmid, index: nic.index) }
}

/// The host devices Proxmox VE creates for one guest NIC (pve-common's `PVE/Network.pm`,
/// `$compute_fwbr_names`): the tap (a container's host-side veth), and with `firewall=1`
/// the firewall bridge and the veth pair that joins it to the NIC's bridge.
///
/// `tap100i0 -> fwbr100i0 <- fwln100i0 (veth) <-> fwpr100p0 (veth) -> vmbr0`.
public struct ProxmoxDevices: Sendable, Hashable {
    public var kind: ProxmoxGuestKind
    public var vmid: Int
    public var index: Int

    public init(kind: ProxmoxGuestKind, vmid: Int, index: Int) {
        self.kind = kind
        self.vmid = vmid
        self.index = index
    }

    /// `tap<vmid>i<n>` (VM) or `veth<vmid>i<n>` (container).
    public var tap: String { "\(kind == .qemu ? "tap" : "veth")\(vmid)i\(index)" }
    /// `fwbr<vmid>i<n>`: the firewall bridge the tap is on with `firewall=1`.
    public var firewallBridge: String { "fwbr\(vmid)i\(index)" }
    /// `fwln<vmid>i<n>`: the veth end on the firewall bridge.
    public var firewallLink: String { "fwln\(vmid)i\(index)" }
    /// `fwpr<vmid>p<n>`: the veth end on the NIC's bridge (where its VLANs are set).
    public var firewallPeer: String { "fwpr\(vmid)p\(index)" }

    /// The veth end on a Proxmox firewall bridge's peer: `fwpr100p0` for `fwln100i0`, and
    /// the other way round; `nil` for any other name.
    public static func firewallVethPeer(of name: String) -> String? {
        for (prefix, separator, peerPrefix, peerSeparator) in [("fwln", "i", "fwpr", "p"), ("fwpr", "p", "fwln", "i")] {
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            let parts = rest.split(separator: Character(separator), omittingEmptySubsequences: false)
            guard parts.count == 2, let vmid = Int(parts[0]), let n = Int(parts[1]),
                  parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
                  String(vmid) == parts[0], String(n) == parts[1] else { return nil }
            return "\(peerPrefix)\(vmid)\(peerSeparator)\(n)"
        }
        return nil
    }
}
