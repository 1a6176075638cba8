/// One network interface of a VM, as the host should see it: whose it is, the guest's MAC,
/// the tap on the host, the bridge it belongs on and the VLANs it asks for.
///
/// The agent serves these as `kvmnet_vm_interface_info`; the diagnosis checks the taps of
/// the topology against them. A source (libvirt's XML: KVMNetSources' `LibvirtVMs`)
/// builds them, resolving the bridge with ``intendedBridge(_:networkBridge:)``.
public struct VMInterface: Sendable, Hashable, Codable {
    /// The domain (VM) name.
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

    public init(domain: String, mac: String? = nil, tap: String? = nil, bridge: String? = nil,
                vlan: VMVLANRequest? = nil) {
        self.domain = domain
        self.mac = mac
        self.tap = tap
        self.bridge = bridge
        self.vlan = vlan
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
    /// 3. Any other attachment: no bridge.
    /// - Parameter networkBridge: the bridge of a network, by name, as its definition says.
    public static func intendedBridge(_ attachment: VMAttachment, networkBridge: (String) -> String?) -> String? {
        switch attachment {
        case .bridge(let bridge):
            return bridge
        case .network(let network, let statusBridge):
            return network.flatMap(networkBridge) ?? statusBridge
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
    /// Onto no host bridge: macvtap (`direct`), user-mode networking, `ethernet`, ...
    case none
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
