/// Renders a path across hosts on one line: host A's half from the VM down to its
/// uplink, the wire, host B's half up to its VM; broken hops and junctions marked `  X  `
/// as on one host:
///
///     [hostA] vm1 vnet0 -- br0 -- eth0 [untagged] ==wire==  X  [untagged] eth0 -- br0 -- vnet0 vm3 [hostB]
enum CrossHostRenderer {
    static let wire = " ==wire== "

    static func render(_ a: TracedHalf, _ b: TracedHalf, wireBroken: Bool) -> String {
        func pieces(_ h: TracedHalf) -> [Hop] { h.hops.filter { $0.kind != .slaves && $0.kind != .host } }
        func tagText(_ h: TracedHalf) -> String {
            guard h.chain?.trunk != nil else { return "[stays on host]" }
            let tags = h.chain?.tags ?? []
            return tags.isEmpty ? "[untagged]" : "[" + tags.reversed().map { "vlan \($0)" }.joined(separator: "/") + "]"
        }
        func side(_ hops: [Hop], reversed: Bool) -> String {
            var out = ""
            for (i, hop) in hops.enumerated() {
                if i > 0 {
                    let broken = reversed ? hops[i].broken : hops[i - 1].broken
                    out += broken ? PathRenderer.broken : PathRenderer.link
                }
                out += hop.label(reversed: reversed)
            }
            return out
        }
        let left = pieces(a), right = Array(pieces(b).reversed())
        let leftBroken = left.last?.broken ?? false
        let rightBroken = right.first?.broken ?? false
        let junction = (wireBroken || leftBroken || rightBroken) ? String(wire.dropLast()) + PathRenderer.broken : wire
        return "[\(a.host)] " + side(left, reversed: false) + " " + tagText(a) + junction + tagText(b) + " "
            + side(right, reversed: true) + " [\(b.host)]"
    }
}
