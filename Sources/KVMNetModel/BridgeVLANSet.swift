/// The VLANs one port of a VLAN-aware bridge is a member of (or the bridge device itself:
/// its "self" port), held as ranges, as the kernel reports them with
/// `RTEXT_FILTER_BRVLAN_COMPRESSED`: a `2-4094` trunk is one range, not 4093 entries.
///
/// Semantics (`net/bridge/br_vlan.c`): a frame entering the port untagged is put in the
/// ``pvid`` VLAN (dropped when there is none); a tagged frame enters only when its VLAN is
/// a member; a frame leaves only through ports that are members of its VLAN, untagged
/// where the member is ``Range/untagged``, tagged elsewhere.
public struct BridgeVLANSet: Sendable, Hashable, Codable {
    /// A run of consecutive VLAN ids with the same egress flag.
    public struct Range: Sendable, Hashable, Codable, Comparable {
        public var first: Int
        public var last: Int
        /// `BRIDGE_VLAN_INFO_UNTAGGED`: frames of these VLANs leave the port untagged.
        public var untagged: Bool

        public init(first: Int, last: Int, untagged: Bool = false) {
            self.first = min(first, last)
            self.last = max(first, last)
            self.untagged = untagged
        }

        public init(vid: Int, untagged: Bool = false) { self.init(first: vid, last: vid, untagged: untagged) }

        public var count: Int { last - first + 1 }
        public func contains(_ vid: Int) -> Bool { vid >= first && vid <= last }

        public static func < (lhs: Range, rhs: Range) -> Bool { (lhs.first, lhs.last) < (rhs.first, rhs.last) }

        /// `10` or `2-4094`.
        public var text: String { first == last ? String(first) : "\(first)-\(last)" }
    }

    /// Sorted by first id, not overlapping; neighbours with the same flag are joined.
    public private(set) var ranges: [Range]
    /// `BRIDGE_VLAN_INFO_PVID`: the VLAN of untagged ingress; `nil`: untagged frames are dropped.
    public private(set) var pvid: Int?

    /// Normalises `ranges` (sorts, joins neighbours with the same flag; where two overlap
    /// the later flag wins for the overlap) and keeps `pvid` only if it is a member.
    public init(ranges: [Range] = [], pvid: Int? = nil) {
        self.ranges = Self.normalised(ranges)
        self.pvid = nil
        if let pvid, self.ranges.contains(where: { $0.contains(pvid) }) { self.pvid = pvid }
    }

    /// Whether frames of `vid` may pass the port.
    public func contains(_ vid: Int) -> Bool { range(containing: vid) != nil }

    /// Whether frames of `vid` leave the port untagged; `nil` when `vid` is not a member.
    public func egressUntagged(_ vid: Int) -> Bool? { range(containing: vid)?.untagged }

    /// The VLAN an untagged frame entering the port is put in (`nil`: dropped).
    public var untaggedIngressVLAN: Int? { pvid }

    public var isEmpty: Bool { ranges.isEmpty }
    /// Number of VLAN ids that are members.
    public var count: Int { ranges.reduce(0) { $0 + $1.count } }
    /// Number of VLAN ids that leave untagged.
    public var untaggedCount: Int { ranges.filter(\.untagged).reduce(0) { $0 + $1.count } }

    /// Member ids as compact text, `1,10,20-30` (untagged ones included); `""` when none.
    public var text: String { Self.text(ranges.map { ($0.first, $0.last) }) }
    /// Ids that leave untagged, compact text; `""` when none.
    public var untaggedText: String { Self.text(ranges.filter(\.untagged).map { ($0.first, $0.last) }) }

    /// The ids that are members of both sets (flags dropped), in order.
    public func intersection(_ other: BridgeVLANSet) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        var i = 0, j = 0
        let a = ranges, b = other.ranges
        while i < a.count && j < b.count {
            let lo = max(a[i].first, b[j].first), hi = min(a[i].last, b[j].last)
            if lo <= hi {
                if let last = out.last, last.upperBound + 1 == lo { out[out.count - 1] = last.lowerBound...hi } else { out.append(lo...hi) }
            }
            if a[i].last < b[j].last { i += 1 } else { j += 1 }
        }
        return out
    }

    func range(containing vid: Int) -> Range? {
        // Binary search: ranges are sorted and disjoint.
        var lo = 0, hi = ranges.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let r = ranges[mid]
            if vid < r.first { hi = mid - 1 } else if vid > r.last { lo = mid + 1 } else { return r }
        }
        return nil
    }

    static func normalised(_ input: [Range]) -> [Range] {
        guard !input.isEmpty else { return [] }
        // Split into per-flag intervals resolved in input order: a later range overrides
        // the flag of an earlier one where they overlap (rare: the kernel never sends it).
        var resolved: [Range] = []
        for r in input {
            var next: [Range] = []
            for e in resolved {
                if e.last < r.first || e.first > r.last { next.append(e); continue }
                if e.first < r.first { next.append(Range(first: e.first, last: r.first - 1, untagged: e.untagged)) }
                if e.last > r.last { next.append(Range(first: r.last + 1, last: e.last, untagged: e.untagged)) }
            }
            next.append(r)
            resolved = next
        }
        resolved.sort()
        var out: [Range] = []
        for r in resolved {
            if var last = out.last, last.untagged == r.untagged, last.last + 1 >= r.first {
                last.last = max(last.last, r.last)
                out[out.count - 1] = last
            } else {
                out.append(r)
            }
        }
        return out
    }

    static func text(_ spans: [(Int, Int)]) -> String {
        var joined: [(Int, Int)] = []
        for s in spans {
            if let l = joined.last, l.1 + 1 == s.0 { joined[joined.count - 1].1 = s.1 } else { joined.append(s) }
        }
        return joined.map { $0.0 == $0.1 ? String($0.0) : "\($0.0)-\($0.1)" }.joined(separator: ",")
    }
}

/// The protocol a VLAN-aware bridge (or a VLAN device) tags with (`IFLA_BR_VLAN_PROTOCOL`,
/// `IFLA_VLAN_PROTOCOL`).
public enum VLANProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case dot1Q = "802.1Q"
    case dot1ad = "802.1ad"

    /// From the EtherType (host order): 0x8100 or 0x88a8.
    public init?(etherType: UInt16) {
        switch etherType {
        case 0x8100: self = .dot1Q
        case 0x88a8: self = .dot1ad
        default: return nil
        }
    }

    public var etherType: UInt16 { self == .dot1Q ? 0x8100 : 0x88a8 }
}
