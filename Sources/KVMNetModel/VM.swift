/// One network interface of a VM, as the host should see it: whose it is, the guest's MAC,
/// the tap on the host, the bridge it belongs on and the VLANs it asks for.
///
/// The agent serves these as `kvmnet_vm_interface_info`; the diagnosis checks the taps of
/// the topology against them. A source (libvirt's XML: KVMNetSources' `LibvirtVMs`;
/// Proxmox VE's guest configs: `ProxmoxVMs`) builds them, resolving the bridge with
/// ``intendedBridge(_:networkBridge:)``.
public struct VMInterface: Sendable, Hashable, Codable {
    /// The domain (VM) name; for a Proxmox guest its `name:` (`hostname:` of a
    /// container), or its vmid when it has none.
    public var domain: String
    /// The guest's MAC address, lower-case.
    public var mac: String?
    /// The host device of the interface (`<target dev='vnet0'/>`); only a running
    /// domain has one.
    public var tap: String?
    /// The bridge the interface belongs on; `nil` when it belongs on none (macvtap,
    /// user-mode networking) or its configuration does not say.
    public var bridge: String?
    /// The VLANs the interface asks for; `nil` when its configuration asks for none.
    public var vlan: VMVLANRequest?
    /// Which manager configures the VM; `nil` (older values) means libvirt.
    public var manager: VMManager?
    /// The Proxmox VE guest id (`100` of `tap100i0`); `nil` for libvirt domains.
    public var vmid: Int?

    public init(domain: String, mac: String? = nil, tap: String? = nil, bridge: String? = nil,
                vlan: VMVLANRequest? = nil, manager: VMManager? = nil, vmid: Int? = nil) {
        self.domain = domain
        self.mac = mac
        self.tap = tap
        self.bridge = bridge
        self.vlan = vlan
        self.manager = manager
        self.vmid = vmid
    }

    /// The bridge a VM interface belongs on: the one rule for the agent
    /// (`kvmnet_vm_interface_info`) and the diagnosis (`vm.*` checks, path tracing), in
    /// libvirt's terms:
    ///
    /// 1. `<interface type='bridge'>`: its `<source bridge>`, the bridge libvirt adds the
    ///    tap to.
    /// 2. `<interface type='network'>`: the `<bridge name>` of the network its
    ///    `<source network>` names. The network is authoritative: libvirt resolves the
    ///    interface through it when it plugs the tap, and re-plugs taps into the network's
    ///    bridge when the network restarts, while a domain's XML may be stale. Only when
    ///    the network is unknown (its file was not read, or it names no bridge) does the
    ///    `<source bridge>` of a running domain's status file stand in: it records the
    ///    bridge libvirt used when it started the domain.
    /// 3. A Proxmox VE NIC (`net0: ...,bridge=vmbr0,tag=10`): its `bridge=`, unless it has a
    ///    `tag=` and that bridge is not VLAN-aware: then Proxmox (`tap_plug` /
    ///    `activate_bridge_vlan` in pve-common's `PVE/Network.pm`) puts it on the bridge
    ///    `<bridge>v<tag>` that it builds over `<uplink>.<tag>`. With `firewall=1` this is
    ///    the bridge of the NIC's `fwpr<vmid>p<n>` veth; the tap itself sits on the NIC's
    ///    own `fwbr<vmid>i<n>` in between. When the bridge's VLAN awareness is unknown,
    ///    `bridge=` is taken as it is.
    /// 4. Any other attachment: no bridge.
    /// - Parameters:
    ///   - networkBridge: the bridge of a network, by name, as its definition says.
    ///   - vlanAware: whether a bridge, by name, filters VLANs (`nil`: unknown, absent).
    public static func intendedBridge(_ attachment: VMAttachment, networkBridge: (String) -> String?,
                                      vlanAware: (String) -> Bool? = { _ in nil }) -> String? {
        switch attachment {
        case .bridge(let bridge):
            return bridge
        case .network(let network, let statusBridge):
            return network.flatMap(networkBridge) ?? statusBridge
        case .proxmox(let bridge, let tag):
            guard let bridge else { return nil }
            if let tag, vlanAware(bridge) == false { return "\(bridge)v\(tag)" }
            return bridge
        case .none:
            return nil
        }
    }
}

/// How a VM interface's configuration attaches it to the host: the input of
/// ``VMInterface/intendedBridge(_:networkBridge:)``.
public enum VMAttachment: Sendable, Hashable {
    /// Straight onto a host bridge (libvirt's `type='bridge'`), with the bridge its
    /// `<source bridge>` names.
    case bridge(String?)
    /// Through a virtual network (libvirt's `type='network'`), with the network its
    /// `<source network>` names and the `<source bridge>` that a running domain's status
    /// file (`/run/libvirt/qemu/<domain>.xml`) adds.
    case network(String?, statusBridge: String?)
    /// A Proxmox VE NIC (`netN:` of a VM or container config), with its `bridge=` and
    /// `tag=`; `bridge == nil`: user-mode networking (a VM NIC without `bridge=`).
    case proxmox(bridge: String?, tag: Int?)
    /// Onto no host bridge: macvtap (`direct`), user-mode networking, `ethernet`, ...
    case none
}

/// Which manager configures a VM: the `manager` of ``VMInterface``.
public enum VMManager: String, Sendable, Hashable, Codable, CaseIterable {
    /// A libvirt domain.
    case libvirt
    /// A Proxmox VE virtual machine (`/etc/pve/qemu-server/<vmid>.conf`).
    case proxmoxQEMU = "proxmox_qemu"
    /// A Proxmox VE container (`/etc/pve/lxc/<vmid>.conf`).
    case proxmoxLXC = "proxmox_lxc"
}

/// The VLANs a VM interface asks for: libvirt's `<vlan>` element of an `<interface>`.
///
/// `<vlan><tag id='10'/></vlan>` asks for an access port in VLAN 10 (`tags == [10]`,
/// `trunk == false`); `<vlan trunk='yes'><tag id='10'/><tag id='20' nativeMode='untagged'/></vlan>`
/// for a trunk of VLANs 10 and 20 whose native VLAN, 20, travels untagged.
public struct VMVLANRequest: Sendable, Hashable, Codable {
    /// How the native VLAN of a trunk travels (`nativeMode` of its `<tag>`).
    public enum NativeMode: String, Sendable, Hashable, Codable {
        /// The VM sends and receives the native VLAN's frames without a tag.
        case untagged
        /// The native VLAN's frames keep their tag.
        case tagged
    }

    /// Every `<tag id>`, in document order.
    public var tags: [Int]
    /// `trunk='yes'`: the VM sends tagged frames of every VLAN in ``tags``.
    public var trunk: Bool
    /// The tag that has a `nativeMode`, if any.
    public var nativeTag: Int?
    public var nativeMode: NativeMode?

    public init(tags: [Int], trunk: Bool = false, nativeTag: Int? = nil, nativeMode: NativeMode? = nil) {
        self.tags = tags
        self.trunk = trunk
        self.nativeTag = nativeTag
        self.nativeMode = nativeMode
    }
}
