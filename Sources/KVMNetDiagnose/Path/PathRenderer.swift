/// Renders a traced path on one line, hops joined by ` -- `, the broken junction
/// marked `  X  `:
///
///     vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]  X  bond0.20 [vlan 20] -- brvlan-20 -- vnet1 vm2
///
/// A hop with failing checks carries their ids in brackets; the junction on its far side
/// (towards the other end) is an X.
public enum PathRenderer {
    public static let link = " -- "
    public static let broken = "  X  "

    /// One element of the rendered line.
    struct Piece {
        var hop: Hop
        var reversed: Bool
        var untagged = false
    }

    public static func render(_ analysis: PathAnalysis) -> String {
        guard let to = analysis.to, let relation = analysis.relation else {
            let pieces = analysis.from.hops.map { Piece(hop: $0, reversed: false) }
            return join(left: pieces, right: [], breakBetween: false)
        }
        let from = analysis.from
        switch relation {
        case .same:
            return join(left: from.hops.prefix(1).map { Piece(hop: $0, reversed: false) }, right: [], breakBetween: false)
        case .sameBridge:
            let shared = from.bridge ?? ""
            let left = from.hops(upTo: shared)
            let right = to.hops(upTo: shared).filter { $0.name != shared || $0.kind != .bridge }
            return join(left: left.map { Piece(hop: $0, reversed: false) },
                        right: right.reversed().map { Piece(hop: $0, reversed: true) }, breakBetween: false)
        case .sameSegment:
            let left = from.trunkIndex.map { Array(from.hops[...$0]) } ?? from.hops
            return join(left: left.map { Piece(hop: $0, reversed: false) },
                        right: to.hopsAboveTrunk.reversed().map { Piece(hop: $0, reversed: true) }, breakBetween: false)
        case .vlanMismatch where from.bridge != nil && from.bridge == to.bridge:
            // Two ports of one VLAN-aware bridge in different VLANs: the break is inside it.
            let shared = from.bridge ?? ""
            return join(left: from.hops(upTo: shared).map { Piece(hop: $0, reversed: false) },
                        right: to.hops(upTo: shared).reversed().map { Piece(hop: $0, reversed: true) }, breakBetween: true)
        case .vlanMismatch:
            return join(left: side(from, reversed: false), right: side(to, reversed: true).reversed(), breakBetween: true)
        case .differentTrunks:
            let left = from.hops.filter { $0.kind != .slaves }.map { Piece(hop: $0, reversed: false) }
            let right = to.hops.filter { $0.kind != .slaves }.reversed().map { Piece(hop: $0, reversed: true) }
            return join(left: left, right: Array(right), breakBetween: true)
        case .isolated, .detached, .blocked:
            // The segments end at the bridges: what lies below them does not matter.
            let upToBridge: (Chain) -> [Hop] = { $0.hops.filter { $0.kind.isAccess } }
            return join(left: upToBridge(from).map { Piece(hop: $0, reversed: false) },
                        right: upToBridge(to).reversed().map { Piece(hop: $0, reversed: true) }, breakBetween: true)
        }
    }

    /// The hops above the trunk; the trunk itself, marked untagged, when the bridge's
    /// uplink is the trunk.
    private static func side(_ chain: Chain, reversed: Bool) -> [Piece] {
        var pieces = chain.hopsAboveTrunk.map { Piece(hop: $0, reversed: reversed) }
        if chain.tags.isEmpty, let i = chain.trunkIndex {
            pieces.append(Piece(hop: chain.hops[i], reversed: reversed, untagged: true))
        }
        return pieces
    }

    private static func join(left: [Piece], right: [Piece], breakBetween: Bool) -> String {
        var out = ""
        for (i, piece) in left.enumerated() {
            if i > 0 { out += left[i - 1].hop.broken ? broken : link }
            out += piece.hop.label(reversed: false, untagged: piece.untagged)
        }
        if !right.isEmpty {
            let leftBroken = left.last?.hop.broken ?? false
            let rightBroken = right.first?.hop.broken ?? false
            if !left.isEmpty { out += (breakBetween || leftBroken || rightBroken) ? broken : link }
            for (i, piece) in right.enumerated() {
                if i > 0 { out += right[i].hop.broken ? broken : link }
                out += piece.hop.label(reversed: true, untagged: piece.untagged)
            }
        } else if breakBetween || (left.last?.hop.broken ?? false) {
            out += broken.trimmingTrailingSpaces()
        }
        return out
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
