import KVMNetModel
import KVMNetState

/// VLAN-aware bridges: whether a bridge filters VLANs, each port's PVID and VLAN list,
/// and, for every VLAN the bridge's guests are in, how many uplinks carry it.
///
/// Series are bounded by ports, never by the width of a VLAN range: a port's VLAN list is
/// one info series whose label holds the ranges (`2-4094` is six characters), beside
/// gauges with the counts. A label longer than ``maxListLength`` is cut at a range
/// boundary and ends in `,...`; the counts stay exact.
///
/// Its families change only when a VLAN does (or a bridge or port comes, goes or is
/// renamed): a render after a link flap or an FDB change reuses their bytes from the last
/// render (``rendered(_:)``, kept while the ``BridgeVLANInput`` is equal).
public struct BridgeVLANCollector: RenderingCollector {
    /// Longest VLAN list label value, in bytes (about 150 scattered single VLANs).
    public static let maxListLength = 768

    /// The families last rendered and their input; shared by the copies of a collector.
    let cache = RenderedFamilyCache<BridgeVLANInput>()

    public init() {}

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        Self.families(BridgeVLANInput(snapshot.topology))
    }

    public func rendered(_ snapshot: StateSnapshot) -> [RenderedFamily] {
        cache.rendered(for: BridgeVLANInput(snapshot.topology), Self.families)
    }

    static func families(_ input: BridgeVLANInput) -> [MetricFamily] {
        var filtering = MetricFamily(name: "kvmnet_bridge_vlan_filtering", help: "Whether the bridge forwards by VLAN (vlan_filtering 1: a VLAN-aware bridge).", type: .gauge)
        var proto = MetricFamily(name: "kvmnet_bridge_vlan_protocol_info", help: "The tag protocol of a VLAN-aware bridge (802.1Q or 802.1ad); value is always 1.", type: .gauge)
        var defaultPVID = MetricFamily(name: "kvmnet_bridge_default_pvid", help: "The PVID a new port of a VLAN-aware bridge gets (0: none).", type: .gauge)
        var pvid = MetricFamily(name: "kvmnet_bridge_port_pvid", help: "PVID of a port of a VLAN-aware bridge (the VLAN of untagged ingress); 0: none, untagged frames are dropped. port is the bridge's name for its own port.", type: .gauge)
        var count = MetricFamily(name: "kvmnet_bridge_port_vlans", help: "Number of VLANs a port of a VLAN-aware bridge is a member of.", type: .gauge)
        var untagged = MetricFamily(name: "kvmnet_bridge_port_vlans_untagged", help: "Number of VLANs that leave a port of a VLAN-aware bridge untagged.", type: .gauge)
        var list = MetricFamily(name: "kvmnet_bridge_port_vlan_info", help: "The VLANs of a port of a VLAN-aware bridge as ranges (vlans), and those that leave untagged (untagged); value is always 1.", type: .gauge)
        var uplinks = MetricFamily(name: "kvmnet_bridge_vlan_uplinks", help: "For each VLAN that is the PVID of a guest port of a VLAN-aware bridge: how many uplink ports carry it (0: its frames never leave the host).", type: .gauge)

        for br in input.bridges {
            let b = [("bridge", br.name)]
            if let f = br.vlanFiltering { filtering.add(b, f) }
            guard br.vlanAware else { continue }
            if let p = br.vlanProtocol { proto.add(b + [("protocol", p.rawValue)], 1) }
            if let d = br.defaultPVID { defaultPVID.add(b, d) }
            let members = [(br.name, br.selfVLANs)] + br.ports.map { ($0.name, $0.vlans) }
            for case let (port, set?) in members {
                let labels = b + [("port", port)]
                pvid.add(labels, set.pvid ?? 0)
                count.add(labels, set.count)
                untagged.add(labels, set.untaggedCount)
                list.add(labels + [("vlans", Self.capped(set.text)), ("untagged", Self.capped(set.untaggedText))], 1)
            }
            let ups = br.ports.filter(\.uplink)
            guard ups.allSatisfy({ $0.vlans != nil }) else { continue }
            let guestVLANs = Set(br.ports.filter { !$0.uplink }.compactMap { $0.vlans?.pvid })
            for vid in guestVLANs {
                uplinks.add(b + [("vlan_id", String(vid))], ups.filter { $0.vlans?.contains(vid) == true }.count)
            }
        }
        return [filtering, proto, defaultPVID, pvid, count, untagged, list, uplinks]
    }

    /// `text` if it fits ``maxListLength``, else its longest prefix of whole ranges + `,...`.
    public static func capped(_ text: String) -> String {
        guard text.utf8.count > maxListLength else { return text }
        var out = ""
        for part in text.split(separator: ",") {
            if out.utf8.count + part.utf8.count + 5 > maxListLength { break }
            out += (out.isEmpty ? "" : ",") + part
        }
        return out + ",..."
    }
}
