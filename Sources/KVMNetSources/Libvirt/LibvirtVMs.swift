import KVMNetModel

/// libvirt's domains as the model's VM interfaces: the one mapping from the XML to
/// ``VMInterface``, for the agent and for the diagnosis.
public enum LibvirtVMs {
    /// The interfaces of running domains that have a tap, sorted by domain and tap.
    public static func runningInterfaces(domains: [LibvirtDomain], networks: [LibvirtNetwork]) -> [VMInterface] {
        var out: [VMInterface] = []
        for domain in domains where domain.running {
            for iface in domain.interfaces {
                guard let tap = iface.targetDevice, !tap.isEmpty else { continue }
                out.append(VMInterface(domain: domain.name, mac: iface.mac, tap: tap,
                                       bridge: bridge(of: iface, networks: networks), vlan: iface.vlan))
            }
        }
        return out.sorted { ($0.domain, $0.tap ?? "") < ($1.domain, $1.tap ?? "") }
    }

    /// The bridge `iface` belongs on (``VMInterface/intendedBridge(_:networkBridge:)``),
    /// with the bridges of `networks`.
    public static func bridge(of iface: LibvirtInterface, networks: [LibvirtNetwork]) -> String? {
        VMInterface.intendedBridge(iface.attachment) { name in networks.first { $0.name == name }?.bridge }
    }
}

extension LibvirtInterface {
    /// How the XML attaches the interface to the host.
    public var attachment: VMAttachment {
        switch type {
        case "bridge": return .bridge(sourceBridge)
        case "network": return .network(sourceNetwork, statusBridge: sourceBridge)
        default: return .none
        }
    }
}
