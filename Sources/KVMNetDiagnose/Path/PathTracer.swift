import KVMNetModel
import KVMNetSources

/// Walks the topology from an endpoint outwards, as a frame the endpoint sends would go,
/// down any stack of devices to the wire (bridge -> VLAN device -> bridge -> bond ->
/// slaves, VLAN devices on VLAN-aware bridges, 802.1ad over 802.1Q), and compares two
/// such chains.
///
/// At every hop the tracer knows which tags the frame carries. On a VLAN-aware bridge it
/// applies the kernel's rules (`net/bridge/br_vlan.c`): an untagged frame enters a port in
/// the port's PVID (dropped without one), a tagged one only in a VLAN the port is a member
/// of; it leaves only through ports that are members of its VLAN, untagged where the
/// member is egress-untagged. A frame whose outer tag is not of the bridge's protocol
/// counts as untagged there (so an 802.1ad bridge adds an outer tag: QinQ).
public struct PathTracer: Sendable {
    let snapshot: DiagSnapshot
    let context: CheckContext

    public init(snapshot: DiagSnapshot) {
        self.snapshot = snapshot
        self.context = CheckContext(snapshot: snapshot, mode: .path)
    }

    private var topology: Topology { snapshot.topology }

    /// Stacks deeper than this are cut (a loop in a damaged snapshot).
    private static let maxDepth = 16

    /// One tag of a frame.
    struct Tag: Hashable {
        var id: Int
        var proto: VLANProtocol
    }

    /// Every chain from the endpoint: one per uplink its frames can leave through (one
    /// when there is none).
    public func chains(from endpoint: Endpoint) -> [Chain] {
        let device = endpoint.device
        if topology.bridges[device] != nil {
            // The bridge device itself (the host's address on it): frames enter through
            // the bridge's own port.
            let start = Chain(endpoint: endpoint, hops: [Hop(kind: .endpoint, name: device, domain: endpoint.domain)])
            return enter(bridge: device, from: nil, frame: [], chain: start, depth: 0, endpoint: true)
        }
        if let bridge = topology.bridge(containing: device), context.isUplink(device) {
            // The endpoint is its bridge's uplink (a VLAN device or bond given by name):
            // its way out is its own way down; its hop is the endpoint's.
            let start = Chain(endpoint: endpoint, hops: [Hop(kind: .endpoint, name: device, domain: endpoint.domain),
                                                         Hop(kind: .bridge, name: bridge.name)],
                              bridge: bridge.name, uplink: device)
            return walkDown(from: device, frame: [], chain: start, depth: 0).map { chain in
                var chain = chain
                if chain.hops.count > 2, chain.hops[2].name == device {
                    chain.hops[0].vlanID = chain.hops[2].vlanID
                    chain.hops.remove(at: 2)
                }
                return chain
            }
        }
        if let bridge = topology.bridge(containing: device), !context.isUplink(device),
           let link = bridge.ports.map(\.name).sorted().first(where: { HostTopology.vethCrossing(topology, from: $0) != nil }),
           let crossing = HostTopology.vethCrossing(topology, from: link) {
            // A Proxmox firewall bridge (tap100i0 -> fwbr100i0 -> fwln100i0 = fwpr100p0 ->
            // vmbr0): the guest's segment is the bridge of the veth's far end, which it
            // enters through fwpr100p0 (where Proxmox sets the NIC's VLANs).
            var veth = Hop(kind: .veth, name: link, devices: [link, crossing.peer])
            var chain = Chain(endpoint: endpoint, hops: [Hop(kind: .endpoint, name: device, domain: endpoint.domain),
                                                         Hop(kind: .bridge, name: bridge.name)])
            guard let outer = crossing.bridge, let outerBridge = topology.bridges[outer] else {
                // The far end is on no bridge: the guest's frames end there.
                chain.hops.append(veth)
                return [chain]
            }
            if outerBridge.vlanAware, let vlans = outerBridge.port(named: crossing.peer)?.vlans { veth.pvid = vlans.pvid ?? 0 }
            chain.hops.append(veth)
            return enter(bridge: outer, from: crossing.peer, frame: [], chain: chain, depth: 1, endpoint: true)
        }
        if let bridge = topology.bridge(containing: device) {
            let port = bridge.port(named: device)
            var hop = Hop(kind: .endpoint, name: device, domain: endpoint.domain)
            if bridge.vlanAware, let vlans = port?.vlans { hop.pvid = vlans.pvid ?? 0 }
            let start = Chain(endpoint: endpoint, hops: [hop])
            return enter(bridge: bridge.name, from: device, frame: [], chain: start, depth: 0, endpoint: true)
        }
        if isVMSide(device) {
            // A tap on no bridge: the chain ends at once.
            return [Chain(endpoint: endpoint, hops: [Hop(kind: .endpoint, name: device, domain: endpoint.domain)])]
        }
        // A host device off any bridge (a VLAN device or NIC with an address): walk down from it.
        var chains = walkDown(from: device, frame: [], chain: Chain(endpoint: endpoint, hops: []), depth: 0)
        for i in chains.indices where chains[i].hops.first?.name == device {
            chains[i].hops[0].domain = endpoint.domain
        }
        return chains
    }

    private func isVMSide(_ device: String) -> Bool {
        guard let link = topology.links[device] else { return true }
        return !HostTopology.isUplinkKind(link.kind) || HostTopology.vmTargetDevices(snapshot.facts).contains(device)
    }

    /// A frame enters `bridge` through port `from` (`nil`: through the bridge's own port,
    /// from the host's stack or a VLAN device on the bridge) and leaves through each uplink
    /// that will take it.
    private func enter(bridge name: String, from port: String?, frame: [Tag], chain: Chain,
                       depth: Int, endpoint isEndpointBridge: Bool) -> [Chain] {
        guard let bridge = topology.bridges[name], depth < Self.maxDepth else { return [chain] }
        var chain = chain
        var frame = frame
        if isEndpointBridge { chain.bridge = name }
        // The bridge's own hop; none when the endpoint is the bridge itself (its endpoint
        // hop stands for it).
        var bridgeHop: Hop? = port == nil && chain.endpoint.device == name ? nil : Hop(kind: .bridge, name: name)

        // VLAN-aware: the VLAN the frame is in inside the bridge.
        var vlan: Int?
        let ingress = port.flatMap { bridge.port(named: $0)?.vlans } ?? (port == nil ? bridge.vlans : nil)
        if bridge.vlanAware, let ingress {
            let proto = bridge.vlanProtocol ?? .dot1Q
            if let outer = frame.last, outer.proto == proto {
                guard ingress.contains(outer.id) else {
                    chain.hops += [bridgeHop].compactMap { $0 }
                    chain.blocked = VLANBlock(reason: .notOnPort, bridge: name, port: port ?? name, vlan: outer.id)
                    return [chain]
                }
                vlan = outer.id
                frame.removeLast()
            } else {
                guard let pvid = ingress.pvid else {
                    chain.hops += [bridgeHop].compactMap { $0 }
                    chain.blocked = VLANBlock(reason: .noPVID, bridge: name, port: port ?? name)
                    return [chain]
                }
                vlan = pvid
            }
            bridgeHop?.vlanID = vlan
            if isEndpointBridge { chain.bridgeVLAN = vlan }
        }
        chain.hops += [bridgeHop].compactMap { $0 }

        let uplinks = bridge.ports.map(\.name).filter { $0 != port && context.isUplink($0) }.sorted()
        guard !uplinks.isEmpty else { return [chain] }
        var out: [Chain] = []
        for uplink in uplinks {
            var egress = frame
            var pushed: Int?
            if let vlan, let member = bridge.port(named: uplink)?.vlans {
                guard let untagged = member.egressUntagged(vlan) else { continue }
                if !untagged {
                    egress.append(Tag(id: vlan, proto: bridge.vlanProtocol ?? .dot1Q))
                    pushed = vlan
                }
            }
            var c = chain
            if isEndpointBridge { c.uplink = uplink }
            out += walkDown(from: uplink, frame: egress, chain: c, depth: depth + 1, egressTag: pushed)
        }
        if out.isEmpty, let vlan {
            chain.blocked = VLANBlock(reason: .notOnUplink, bridge: name, port: name, vlan: vlan)
            return [chain]
        }
        return out
    }

    /// From a device below a bridge (or a host device) down to the bond or NIC; through any
    /// bridge a VLAN device sits on.
    private func walkDown(from start: String, frame initial: [Tag], chain initialChain: Chain,
                          depth: Int, egressTag: Int? = nil) -> [Chain] {
        var chain = initialChain
        var frame = initial
        var name = start
        var tagOnHop = egressTag
        for _ in depth..<Self.maxDepth {
            defer { tagOnHop = nil }
            if let vlan = topology.vlans[name] {
                chain.hops.append(Hop(kind: .vlan, name: name, vlanID: vlan.id))
                frame.append(Tag(id: vlan.id, proto: vlan.proto.flatMap(VLANProtocol.init(rawValue:)) ?? .dot1Q))
                name = vlan.parent
                if topology.bridges[name] != nil {
                    // A host device's first bridge (br0.10 on br0) is its segment, as a
                    // VM's is the bridge of its tap.
                    return enter(bridge: name, from: nil, frame: frame, chain: chain, depth: depth + 1,
                                 endpoint: chain.bridge == nil)
                }
            } else if let bond = topology.bonds[name] {
                chain.hops.append(Hop(kind: .bond, name: name, vlanID: tagOnHop))
                let slaves = bond.slaves.map(\.name)
                if !slaves.isEmpty { chain.hops.append(Hop(kind: .slaves, name: name, devices: slaves)) }
                return [finish(chain, frame: frame, trunk: name)]
            } else if let bond = topology.bond(containing: name) {
                // A VLAN on a slave: frames leave through that NIC, on the bond's wires.
                chain.hops.append(Hop(kind: .nic, name: name, vlanID: tagOnHop))
                return [finish(chain, frame: frame, trunk: bond.name)]
            } else {
                chain.hops.append(Hop(kind: .nic, name: name, vlanID: tagOnHop))
                return [finish(chain, frame: frame, trunk: name)]
            }
        }
        chain.tags = frame.map(\.id)
        return [chain]
    }

    private func finish(_ chain: Chain, frame: [Tag], trunk: String) -> Chain {
        var chain = chain
        chain.tags = frame.map(\.id)
        chain.trunk = trunk
        return chain
    }

    /// How two chains' segments relate.
    public func relation(_ a: Chain, _ b: Chain) -> SegmentRelation {
        if a.endpoint.device == b.endpoint.device { return .same }
        if let ba = a.bridge, ba == b.bridge {
            return sameBridgeRelation(a, b, bridge: ba)
        }
        if a.blocked != nil || b.blocked != nil { return .blocked }
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

    /// Two endpoints on one bridge: on a VLAN-aware bridge they meet only in one VLAN,
    /// delivered untagged to both (the VMs send and expect untagged frames).
    private func sameBridgeRelation(_ a: Chain, _ b: Chain, bridge name: String) -> SegmentRelation {
        guard let bridge = topology.bridges[name], bridge.vlanAware else { return .sameBridge }
        if let block = a.blocked ?? b.blocked, block.bridge == name, block.reason != .notOnUplink { return .blocked }
        guard let va = a.bridgeVLAN, let vb = b.bridgeVLAN else { return .sameBridge }
        if va != vb { return .vlanMismatch }
        for end in [a, b] {
            // The far end's port must let the VLAN out untagged (the bridge device
            // itself receives tagged frames through its VLAN devices, so it is exempt).
            guard let vlans = bridge.port(named: Self.bridgePort(of: end))?.vlans else { continue }
            if vlans.egressUntagged(va) != true { return .vlanMismatch }
        }
        return .sameBridge
    }

    /// The endpoint's port on its bridge: the device itself, or the far end of the veth
    /// crossing it came through (Proxmox's `fwpr100p0`).
    static func bridgePort(of chain: Chain) -> String {
        chain.hops.last { $0.kind == .veth }?.devices.last ?? chain.endpoint.device
    }

    /// Traces both ends and picks the pair of chains that comes closest to sharing a segment.
    public func analyse(from a: [Endpoint], to b: [Endpoint]) -> PathAnalysis? {
        let order: [SegmentRelation] = [.same, .sameBridge, .sameSegment, .vlanMismatch, .blocked, .differentTrunks, .isolated, .detached]
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
        if chain.trunk == nil, chain.blocked == nil, let bridge = chain.bridge,
           topology.links[bridge]?.addresses.contains(where: { IPv4Interface($0) != nil }) == true {
            routed = true
            chain.hops.append(Hop(kind: .host, name: "host", devices: ["host"]))
        }
        return PathAnalysis(from: chain, routedByHost: routed)
    }
}
