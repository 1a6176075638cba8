/// Joins per-link updates, FDB counts and procfs supplements into one ``Topology``.
///
/// Pure: the same inputs always give the same topology. Both faces use it: the agent's
/// state after every change, and `kvmnet-diag` after one read of the host.
public enum TopologyBuilder {
    /// Builds the topology.
    /// - Parameters:
    ///   - links: one update per link (the latest for each).
    ///   - fdb: FDB entry counts, or `nil` when the FDB was not read (bridges then have no summary).
    ///   - bondSupplements: what `/proc/net/bonding/<bond>` says, by bond name; it fills what
    ///     netlink and sysfs lack (slave speed and duplex, churn, LACPDU partner).
    ///   - vlanSupplements: VLAN devices from `/proc/net/vlan/config`, by device name; used
    ///     when a link's own update does not carry the VLAN id (sysfs has none).
    public static func build(
        links: [LinkUpdate], fdb: FDBCounts? = nil,
        bondSupplements: [String: Bond] = [:], vlanSupplements: [String: VLANDevice] = [:]
    ) -> Topology {
        var nameByIndex: [Int: String] = [:]
        for u in links where u.link.index > 0 { nameByIndex[u.link.index] = u.link.name }

        // Resolve relations given by index.
        var resolved: [LinkUpdate] = links.map { u in
            var u = u
            if u.link.master == nil, let m = u.masterIndex { u.link.master = nameByIndex[m] }
            if let l = u.lowerIndex, let lname = nameByIndex[l], !u.link.lowers.contains(lname) {
                u.link.lowers.append(lname)
            }
            if var v = u.vlan, v.parent.isEmpty, let l = u.lowerIndex, let p = nameByIndex[l] {
                v.parent = p
                u.vlan = v
            }
            if u.vlan == nil, let v = vlanSupplements[u.link.name] {
                u.vlan = v
                if u.link.kind == .physical || u.link.kind == .other { u.link.kind = .vlan }
            }
            return u
        }
        // Sorted through indexes: moving whole updates costs more than the comparisons.
        let byName = resolved.indices.sorted { resolved[$0].link.name < resolved[$1].link.name }
        resolved = byName.map { resolved[$0] }

        var topo = Topology()
        for u in resolved { topo.links[u.link.name] = u.link }

        var slavesByMaster: [String: [BondSlave]] = [:]
        var portsByMaster: [String: [BridgePort]] = [:]
        for u in resolved {
            guard let m = u.link.master else { continue }
            if let s = u.bondSlave {
                var s = s
                s.name = u.link.name
                slavesByMaster[m, default: []].append(s)
            } else if let p = u.bridgePort {
                var p = p
                p.name = u.link.name
                p.vlans = p.vlans ?? u.bridgeVLANs
                portsByMaster[m, default: []].append(p)
            } else if resolved.contains(where: { $0.link.name == m && $0.bridge != nil }) {
                portsByMaster[m, default: []].append(
                    BridgePort(name: u.link.name, state: u.link.isUp ? .forwarding : .disabled, vlans: u.bridgeVLANs))
            }
        }

        for u in resolved {
            if var bond = u.bond {
                bond.name = u.link.name
                if bond.activeSlave == nil, let i = u.bondActiveSlaveIndex { bond.activeSlave = nameByIndex[i] }
                if bond.primary == nil, let i = u.bondPrimaryIndex { bond.primary = nameByIndex[i] }
                bond.slaves = slaves(own: slavesByMaster[bond.name] ?? [], listed: bond.slaves)
                if let extra = bondSupplements[bond.name] { merge(&bond, procfs: extra) }
                if bond.mode == .activeBackup {
                    for i in bond.slaves.indices where bond.slaves[i].isActive == nil {
                        bond.slaves[i].isActive = bond.slaves[i].name == bond.activeSlave
                    }
                }
                topo.bonds[bond.name] = bond
            }
            if var br = u.bridge {
                br.name = u.link.name
                br.vlans = br.vlans ?? u.bridgeVLANs
                br.ports = portsByMaster[br.name] ?? br.ports
                if let fdb {
                    var summary = FDBSummary()
                    let idx = Int32(u.link.index)
                    for (k, n) in fdb.counts where k.bridgeIndex == idx {
                        let port = k.portIndex == idx ? br.name : (nameByIndex[Int(k.portIndex)] ?? "ifindex\(k.portIndex)")
                        summary.add(port: port, kind: k.kind, count: n)
                    }
                    br.fdb = summary
                }
                topo.bridges[br.name] = br
            }
            if var v = u.vlan {
                v.name = u.link.name
                if v.parent.isEmpty, let first = u.link.lowers.first { v.parent = first }
                topo.vlans[v.name] = v
            }
        }
        // A bond that only procfs knows (no sysfs/netlink attributes read).
        for (name, b) in bondSupplements where topo.bonds[name] == nil && topo.links[name] != nil {
            topo.bonds[name] = b
        }
        return topo
    }

    /// A bond's slaves, in name order: those described by their own update (netlink, or
    /// the slave's sysfs directory), then those only the bond's update lists (read through
    /// the bond's `lower_<dev>`/`slave_<dev>` links: a tree without the slave's directory).
    /// A slave in both is taken from its own update.
    static func slaves(own: [BondSlave], listed: [BondSlave]) -> [BondSlave] {
        let named = Set(own.map(\.name))
        return (own + listed.filter { !named.contains($0.name) }).sorted { $0.name < $1.name }
    }

    /// Fills the fields of `bond` that procfs knows and netlink/sysfs do not.
    static func merge(_ bond: inout Bond, procfs: Bond) {
        if bond.slaves.isEmpty { bond.slaves = procfs.slaves }
        for i in bond.slaves.indices {
            guard let p = procfs.slave(named: bond.slaves[i].name) else { continue }
            var s = bond.slaves[i]
            s.speedMbps = s.speedMbps ?? p.speedMbps
            s.duplex = s.duplex ?? p.duplex
            s.actorChurnState = s.actorChurnState ?? p.actorChurnState
            s.partnerChurnState = s.partnerChurnState ?? p.partnerChurnState
            s.actorChurnedCount = s.actorChurnedCount ?? p.actorChurnedCount
            s.partnerChurnedCount = s.partnerChurnedCount ?? p.partnerChurnedCount
            s.partnerSystemMAC = s.partnerSystemMAC ?? p.partnerSystemMAC
            s.permanentAddress = s.permanentAddress ?? p.permanentAddress
            // 802.3ad state changes without a netlink event: the procfs read, taken on
            // every bond change and at a short interval, is the fresher one.
            s.aggregatorID = p.aggregatorID ?? s.aggregatorID
            s.actorPortState = p.actorPortState ?? s.actorPortState
            s.partnerPortState = p.partnerPortState ?? s.partnerPortState
            bond.slaves[i] = s
        }
        bond.xmitHashPolicy = bond.xmitHashPolicy ?? procfs.xmitHashPolicy
        bond.failOverMAC = bond.failOverMAC ?? procfs.failOverMAC
        bond.minLinks = bond.minLinks ?? procfs.minLinks
        if bond.arpTargets.isEmpty { bond.arpTargets = procfs.arpTargets }
        if let pl = procfs.lacp {
            var l = bond.lacp ?? pl
            l.rate = l.rate ?? pl.rate
            l.adSelect = l.adSelect ?? pl.adSelect
            l.active = l.active ?? pl.active
            l.systemPriority = l.systemPriority ?? pl.systemPriority
            l.systemMAC = l.systemMAC ?? pl.systemMAC
            l.activeAggregator = pl.activeAggregator ?? l.activeAggregator
            bond.lacp = l
        }
    }
}
