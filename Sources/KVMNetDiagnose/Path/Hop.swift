/// What a hop of a path is.
public enum HopKind: String, Sendable, Hashable, Codable {
    /// The VM's tap (with its domain) or the device given as an endpoint.
    case endpoint
    case bridge
    /// A VLAN device, with its tag.
    case vlan
    case bond
    /// The slaves of a bond, as one hop.
    case slaves
    /// A NIC (or other lowest device) the segment leaves the host through.
    case nic
    /// The host routing (a bridge without uplink whose traffic the host routes or NATs).
    case host
    /// A veth pair from one bridge to another, as one hop: Proxmox VE's firewall pair
    /// `fwln100i0` (on `fwbr100i0`) = `fwpr100p0` (on the NIC's bridge); `devices` holds
    /// both ends, `name` the first.
    case veth

    /// Whether the hop is on the guest's side of its bridge, or that bridge: the endpoint,
    /// bridges and veth crossings (not VLAN devices, bonds, NICs below).
    public var isAccess: Bool { self == .endpoint || self == .bridge || self == .veth }
}

/// One hop of a traced path.
public struct Hop: Sendable, Hashable, Codable {
    public var kind: HopKind
    /// The main device of the hop.
    public var name: String
    /// The domain, for an endpoint hop that is a VM's tap.
    public var domain: String?
    /// The VLAN id: for a VLAN hop its tag; for a bridge hop of a VLAN-aware bridge the
    /// VLAN the frame is in there; for the port a VLAN-aware bridge sends it out of
    /// tagged, the tag it leaves with.
    public var vlanID: Int?
    /// For an endpoint on a VLAN-aware bridge: its port's PVID (`0`: the port has none);
    /// for a veth hop, the PVID of its far end's port.
    public var pvid: Int?
    /// Devices this hop stands for (a slaves hop stands for every slave).
    public var devices: [String]
    /// Ids of the failing checks on this hop (filled by the diagnosis).
    public var failures: [String]

    public init(kind: HopKind, name: String, domain: String? = nil, vlanID: Int? = nil, pvid: Int? = nil,
                devices: [String]? = nil, failures: [String] = []) {
        self.kind = kind
        self.name = name
        self.domain = domain
        self.vlanID = vlanID
        self.pvid = pvid
        self.devices = devices ?? [name]
        self.failures = failures
    }

    enum CodingKeys: String, CodingKey {
        case kind, name, domain
        case vlanID = "vlan_id"
        case pvid, devices, failures
    }

    public var broken: Bool { !failures.isEmpty }

    /// The hop as text, facing away from the start (`vm1 vnet0`) or towards it (`vnet1 vm2`).
    public func label(reversed: Bool = false, untagged: Bool = false) -> String {
        var text: String
        switch kind {
        case .endpoint:
            let port = pvid.map { "\(name) [pvid \($0 == 0 ? "none" : String($0))]" } ?? name
            if let domain { text = reversed ? "\(port) \(domain)" : "\(domain) \(port)" } else { text = port }
        case .vlan:
            text = "\(name) [vlan \(vlanID.map(String.init) ?? "?")]"
        case .slaves:
            text = devices.joined(separator: "+")
        case .host:
            text = "(host routing)"
        case .veth:
            text = (reversed ? devices.reversed() : devices).joined(separator: "=")
            if let pvid { text += " [pvid \(pvid == 0 ? "none" : String(pvid))]" }
        case .bridge, .bond, .nic:
            text = vlanID.map { reversed ? "[vlan \($0)] \(name)" : "\(name) [vlan \($0)]" } ?? name
        }
        if untagged { text += " [untagged]" }
        if !failures.isEmpty { text += " [" + failures.joined(separator: ", ") + "]" }
        return text
    }
}
