import KVMNetModel

/// One `<interface>` of a libvirt domain, as the domain XML describes it.
public struct LibvirtInterface: Sendable, Hashable, Codable {
    /// `bridge`, `network`, `direct`, `ethernet`, `user`, ...
    public var type: String
    /// `<source bridge='...'/>` (type `bridge`).
    public var sourceBridge: String?
    /// `<source network='...'/>` (type `network`).
    public var sourceNetwork: String?
    /// `<source dev='...'/>` (type `direct`, macvtap).
    public var sourceDevice: String?
    /// `<target dev='vnet0'/>`: the tap on the host (present for running domains).
    public var targetDevice: String?
    /// `<mac address='52:54:00:..'/>`, lower-case.
    public var mac: String?
    /// `<link state='up|down'/>`; `nil` when absent (which means up).
    public var linkState: String?
    /// `<model type='virtio'/>`.
    public var model: String?
    /// `<ip address='..' prefix='..'/>` children, as `address/prefix` (or bare address).
    public var addresses: [String]
    /// `<vlan>`: the VLANs the interface asks for; `nil` without one (or without a
    /// valid `<tag id>` in it). Only the interface's own element: a `<vlan>` of its
    /// network or port group is not read.
    public var vlan: VMVLANRequest?
    /// Line of the `<interface>` element in the XML file.
    public var line: Int?
    /// Line of each child element that matters for evidence: `source`, `target`, `mac`,
    /// `link`, `vlan`.
    public var childLines: [String: Int]

    public init(
        type: String, sourceBridge: String? = nil, sourceNetwork: String? = nil,
        sourceDevice: String? = nil, targetDevice: String? = nil, mac: String? = nil,
        linkState: String? = nil, model: String? = nil, addresses: [String] = [],
        vlan: VMVLANRequest? = nil, line: Int? = nil, childLines: [String: Int] = [:]
    ) {
        self.type = type
        self.sourceBridge = sourceBridge
        self.sourceNetwork = sourceNetwork
        self.sourceDevice = sourceDevice
        self.targetDevice = targetDevice
        self.mac = mac
        self.linkState = linkState
        self.model = model
        self.addresses = addresses
        self.vlan = vlan
        self.line = line
        self.childLines = childLines
    }

    /// Whether libvirt set the guest's link down (`<link state='down'/>`).
    public var linkDown: Bool { linkState == "down" }
}

/// A libvirt domain (VM) read from its XML.
public struct LibvirtDomain: Sendable, Hashable, Codable {
    public var name: String
    public var uuid: String?
    /// True when read from a `<domstatus>` document (`/run/libvirt/qemu`): the domain runs.
    public var running: Bool
    /// The file the domain was read from.
    public var file: String
    public var interfaces: [LibvirtInterface]

    public init(name: String, uuid: String? = nil, running: Bool, file: String,
                interfaces: [LibvirtInterface] = []) {
        self.name = name
        self.uuid = uuid
        self.running = running
        self.file = file
        self.interfaces = interfaces
    }
}

/// A libvirt virtual network (`<network>`), needed to know which bridge a
/// `type='network'` interface ends up on.
public struct LibvirtNetwork: Sendable, Hashable, Codable {
    public var name: String
    /// `<bridge name='virbr0'/>`.
    public var bridge: String?
    /// `<forward mode='nat|route|bridge|...'/>`; `nil` for an isolated network.
    public var forwardMode: String?
    /// True when read from a `<networkstatus>` document (`/run/libvirt/network`).
    public var active: Bool
    public var file: String

    public init(name: String, bridge: String? = nil, forwardMode: String? = nil,
                active: Bool, file: String) {
        self.name = name
        self.bridge = bridge
        self.forwardMode = forwardMode
        self.active = active
        self.file = file
    }
}
