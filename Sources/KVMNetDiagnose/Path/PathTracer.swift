import KVMNetModel
import KVMNetSources

/// Walks the topology from an endpoint outwards (endpoint -> bridge -> uplink ->
/// VLAN device(s) -> bond or NIC -> slaves) and compares two such chains.
public struct PathTracer: Sendable {
    let snapshot: DiagSnapshot
    let context: CheckContext

    public init(snapshot: DiagSnapshot) {
        self.snapshot = snapshot
        self.context = CheckContext(snapshot: snapshot, mode: .path)
    }

    private var topology: Topology { snapshot.topology }

    /// Every chain from the endpoint: one per uplink of its bridge (one when it has none).
    public func chains(from endpoint: Endpoint) -> [Chain] {
        let device = endpoint.device
        var hops: [Hop] = []
        var bridgeName: String?
        if topology.bridges[device] != nil {
            bridgeName = device
            hops.append(Hop(kind: .endpoint, name: device, domain: endpoint.domain))
        } else if let bridge = topology.bridge(containing: device) {
            bridgeName = bridge.name
            hops.append(Hop(kind: .endpoint, name: device, domain: endpoint.domain))
            hops.append(Hop(kind: .bridge, name: bridge.name))
        } else if isVMSide(device) {
            // A tap on no bridge: the chain ends at once.
            return [Chain(endpoint: endpoint, hops: [Hop(kind: .endpoint, name: device, domain: endpoint.domain)])]
        } else {
            // A host device off any bridge (a VLAN device or NIC with an address): walk down from it.
            var chain = walkDown(from: device, endpoint: endpoint, hops: [])
            if let first = chain.hops.first, first.kind != .endpoint, first.name == device {
                chain.hops[0].domain = endpoint.domain
            }
            return [chain]
        }
        guard let bridgeName, let bridge = topology.bridges[bridgeName] else {
            return [Chain(endpoint: endpoint, hops: hops)]
        }
        var uplinks = bridge.ports.map(\.name).filter(context.isUplink).sorted()
        if uplinks.contains(device) { uplinks = [device] }  // the endpoint is the uplink itself
        guard !uplinks.isEmpty else { return [Chain(endpoint: endpoint, hops: hops, bridge: bridgeName)] }
        return uplinks.map { uplink in
            var chain = walkDown(from: uplink, endpoint: endpoint, hops: hops)
            if uplink == device, chain.hops.count > hops.count {
                // Its own hop is already the endpoint's: keep the endpoint, drop the repeat.
                chain.hops[0].vlanID = chain.hops[hops.count].vlanID
                chain.hops.remove(at: hops.count)
            }
            chain.bridge = bridgeName
            chain.uplink = uplink
            return chain
        }
    }

    private func isVMSide(_ device: String) -> Bool {
        guard let link = topology.links[device] else { return true }
        return !HostTopology.isUplinkKind(link.kind) || HostTopology.vmTargetDevices(snapshot.facts).contains(device)
    }

    /// From a device below the bridge down to the bond or NIC.
    private func walkDown(from start: String, endpoint: Endpoint, hops initial: [Hop]) -> Chain {
        var hops = initial
        var tags: [Int] = []
        var name = start
        for _ in 0..<8 {
            if let vlan = topology.vlans[name] {
                hops.append(Hop(kind: .vlan, name: name, vlanID: vlan.id))
                tags.append(vlan.id)
                name = vlan.parent
            } else if let bond = topology.bonds[name] {
                hops.append(Hop(kind: .bond, name: name))
                let slaves = bond.slaves.map(\.name)
                if !slaves.isEmpty { hops.append(Hop(kind: .slaves, name: name, devices: slaves)) }
                return Chain(endpoint: endpoint, hops: hops, tags: tags, trunk: name)
            } else if let bond = topology.bond(containing: name) {
                // A VLAN on a slave: frames leave through that NIC, on the bond's wires.
                hops.append(Hop(kind: .nic, name: name))
                return Chain(endpoint: endpoint, hops: hops, tags: tags, trunk: bond.name)
            } else {
                hops.append(Hop(kind: .nic, name: name))
                return Chain(endpoint: endpoint, hops: hops, tags: tags, trunk: name)
            }
        }
        return Chain(endpoint: endpoint, hops: hops, tags: tags)
    }

    /// How two chains' segments relate.
    public func relation(_ a: Chain, _ b: Chain) -> SegmentRelation {
        if a.endpoint.device == b.endpoint.device { return .same }
        if let ba = a.bridge, ba == b.bridge { return .sameBridge }
        if a.bridge == nil || b.bridge == nil {
            // A host device off any bridge still has a segment if it reaches a trunk.
            let aOff = a.bridge == nil && a.trunk == nil
            let bOff = b.bridge == nil && b.trunk == nil
            if aOff || bOff { return .detached }
        }
        guard let ta = a.trunk, let tb = b.trunk else { return .isolated }
        if ta != tb { return .differentTrunks }
        return a.tags == b.tags ? .sameSegment : .vlanMismatch
    }

    /// Traces both ends and picks the pair of chains that comes closest to sharing a segment.
    public func analyse(from a: [Endpoint], to b: [Endpoint]) -> PathAnalysis? {
        let order: [SegmentRelation] = [.same, .sameBridge, .sameSegment, .vlanMismatch, .differentTrunks, .isolated, .detached]
        var best: PathAnalysis?
        var bestRank = Int.max
        for ea in a {
            for eb in b {
                for ca in chains(from: ea) {
                    for cb in chains(from: eb) {
                        let rel = relation(ca, cb)
                        let rank = order.firstIndex(of: rel) ?? order.count
                        if rank < bestRank {
                            best = PathAnalysis(from: ca, to: cb, relation: rel)
                            bestRank = rank
                        }
                    }
                }
            }
        }
        return best
    }

    /// Traces A's way out: its first chain that reaches a trunk, else its first chain.
    public func analyseExternal(from a: [Endpoint]) -> PathAnalysis? {
        let all = a.flatMap(chains(from:))
        guard var chain = all.first(where: { $0.trunk != nil }) ?? all.first else { return nil }
        var routed = false
        if chain.trunk == nil, let bridge = chain.bridge,
           topology.links[bridge]?.addresses.contains(where: { IPv4Interface($0) != nil }) == true {
            routed = true
            chain.hops.append(Hop(kind: .host, name: "host", devices: ["host"]))
        }
        return PathAnalysis(from: chain, routedByHost: routed)
    }
}
