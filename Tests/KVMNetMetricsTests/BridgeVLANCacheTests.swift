@testable import KVMNetMetrics
import KVMNetModel
import KVMNetState
import KVMNetLock
import Testing

/// The kept rendering of the VLAN-aware bridge families (``BridgeVLANCollector/rendered(_:)``,
/// issue 13): made anew after every kind of VLAN change, kept after any other change, and
/// always the same bytes as rendering from scratch.
@Suite struct BridgeVLANCacheTests {
    static let trunk = BridgeVLANSet(ranges: [.init(first: 2, last: 4094)])
    static func access(_ vid: Int) -> BridgeVLANSet { BridgeVLANSet(ranges: [.init(vid: vid, untagged: true)], pvid: vid) }

    /// br0 (VLAN-aware, ifindex 1) with uplink bond0 (2-4094 trunk) and guests tap0..tap3
    /// (PVID 10, 20, 10, 20); br1 (not VLAN-aware) with veth0.
    static func host() -> HostState {
        let state = HostState(clock: { 1000 })
        var links = [
            LinkUpdate(link: Link(name: "br0", index: 1, kind: .bridge, operState: .up),
                       bridge: Bridge(name: "br0", stpEnabled: false, vlanFiltering: true, vlanProtocol: .dot1Q, defaultPVID: 1),
                       bridgeVLANs: access(1)),
            LinkUpdate(link: Link(name: "bond0", index: 2, kind: .bond, operState: .up), masterIndex: 1,
                       bridgePort: BridgePort(name: "bond0", state: .forwarding), bridgeVLANs: trunk),
            LinkUpdate(link: Link(name: "br1", index: 3, kind: .bridge, operState: .up),
                       bridge: Bridge(name: "br1", stpEnabled: false, vlanFiltering: false)),
            LinkUpdate(link: Link(name: "veth0", index: 4, kind: .veth, operState: .up), masterIndex: 3,
                       bridgePort: BridgePort(name: "veth0", state: .forwarding)),
        ]
        for i in 0..<4 {
            links.append(tap(i, index: 10 + i, vlans: access(i % 2 == 0 ? 10 : 20)))
        }
        state.resync(FullDump(links: links, fdb: []), reason: .initial)
        return state
    }

    static func tap(_ i: Int, index: Int, name: String? = nil, up: Bool = true, vlans: BridgeVLANSet?) -> LinkUpdate {
        let n = name ?? "tap\(i)"
        return LinkUpdate(link: Link(name: n, index: index, kind: .tap, operState: up ? .up : .down), masterIndex: 1,
                          bridgePort: BridgePort(name: n, state: .forwarding), bridgeVLANs: vlans)
    }

    static func bridge0(filtering: Bool, defaultPVID: Int = 1) -> LinkUpdate {
        LinkUpdate(link: Link(name: "br0", index: 1, kind: .bridge, operState: .up),
                   bridge: Bridge(name: "br0", stpEnabled: false, vlanFiltering: filtering, vlanProtocol: .dot1Q, defaultPVID: defaultPVID))
    }

    /// The VLAN families rendered from scratch: a new collector, nothing kept.
    static func fromScratch(_ snapshot: StateSnapshot) -> String {
        ExpositionRenderer.render(BridgeVLANCollector().collect(snapshot))
    }

    /// Each kind of VLAN change, in turn, on one host: the kept collector must make its
    /// families anew (a miss) and give what a render from scratch gives, which differs from
    /// the rendering before the change (so serving the kept bytes would fail the test).
    @Test(arguments: [
        "port VLAN added", "port VLAN removed", "PVID changed", "port VLANs gone", "bridge self VLANs changed",
        "default PVID changed", "vlan_filtering off", "vlan_filtering on again", "port removed", "port renamed",
        "bridge renamed", "port left the bridge", "uplink became a guest", "port added",
    ])
    func everyVLANChangeIsRenderedAnew(change: String) throws {
        let state = Self.host()
        let collector = BridgeVLANCollector()
        let renderer = MetricsRenderer(collectors: [collector])
        // The states a change may start from: vlan_filtering on again needs it off first.
        if change == "vlan_filtering on again" { state.apply([.linkUpdated(Self.bridge0(filtering: false))]) }
        let before = renderer.render(state.snapshot())
        #expect(before == Self.fromScratch(state.snapshot()))

        switch change {
        case "port VLAN added":
            state.apply([.bridgeVLANsUpdated(index: 10, name: "tap0", vlans: BridgeVLANSet(ranges: [.init(vid: 10, untagged: true), .init(vid: 30)], pvid: 10))])
        case "port VLAN removed":
            state.apply([.bridgeVLANsUpdated(index: 2, name: "bond0", vlans: BridgeVLANSet(ranges: [.init(first: 2, last: 19), .init(first: 21, last: 4094)]))])
        case "PVID changed":
            state.apply([.bridgeVLANsUpdated(index: 11, name: "tap1", vlans: BridgeVLANSet(ranges: [.init(vid: 10, untagged: true), .init(vid: 20, untagged: true)], pvid: 10))])
        case "port VLANs gone":
            state.apply([.bridgeVLANsUpdated(index: 12, name: "tap2", vlans: nil)])
        case "bridge self VLANs changed":
            state.apply([.bridgeVLANsUpdated(index: 1, name: "br0", vlans: Self.access(5))])
        case "default PVID changed":
            state.apply([.linkUpdated(Self.bridge0(filtering: true, defaultPVID: 7))])
        case "vlan_filtering off":
            state.apply([.linkUpdated(Self.bridge0(filtering: false))])
        case "vlan_filtering on again":
            state.apply([.linkUpdated(Self.bridge0(filtering: true))])
            state.apply([.bridgeVLANsUpdated(index: 10, name: "tap0", vlans: Self.access(10))])
        case "port removed":
            state.apply([.linkRemoved(index: 13, name: "tap3")])
        case "port renamed":
            state.apply([.linkUpdated(Self.tap(2, index: 12, name: "guest2", vlans: nil))])
        case "bridge renamed":
            state.apply([.linkUpdated(LinkUpdate(link: Link(name: "br9", index: 3, kind: .bridge, operState: .up),
                                                 bridge: Bridge(name: "br9", stpEnabled: false, vlanFiltering: false)))])
        case "port left the bridge":
            state.apply([.linkUpdated(LinkUpdate(link: Link(name: "tap1", index: 11, kind: .tap, operState: .up)))])
        case "uplink became a guest":
            // bond0 gone, a tap of the same name in its place (same VLANs: only the kind differs).
            state.apply([.linkRemoved(index: 2, name: "bond0"),
                         .linkUpdated(Self.tap(9, index: 20, name: "bond0", vlans: Self.trunk))])
        case "port added":
            state.apply([.linkUpdated(Self.tap(4, index: 14, vlans: Self.access(30)))])
        default:
            Issue.record("unknown change \(change)")
        }
        let misses = collector.cache.statistics.misses
        let after = renderer.render(state.snapshot())
        #expect(after != before, "the change must show in the VLAN families, or this test proves nothing")
        #expect(after == Self.fromScratch(state.snapshot()), "stale VLAN families after: \(change)")
        #expect(collector.cache.statistics.misses == misses + 1)
    }

    /// Changes that leave every VLAN as it was (a flap, an FDB entry, a counter): the kept
    /// bytes are served, and they are still what a render from scratch gives.
    @Test func otherChangesReuseTheKeptBytes() {
        let state = Self.host()
        let collector = BridgeVLANCollector()
        let renderer = MetricsRenderer(collectors: [collector, BridgeCollector(), LinkCollector()])
        let first = renderer.render(state.snapshot())
        let changes: [[TopologyChange]] = [
            [.linkUpdated(Self.tap(0, index: 10, up: false, vlans: Self.access(10)))],   // a flap (VLANs repeated)
            [.linkUpdated(Self.tap(0, index: 10, up: true, vlans: nil))],                // an update without VLANs keeps them
            [.fdbAdded(FDBEntry(mac: 0x0200_0000_0001, vlan: 10, bridgeIndex: 1, portIndex: 10, kind: .learned))],
        ]
        for (n, c) in changes.enumerated() {
            state.apply(c)
            let snapshot = state.snapshot()
            let text = renderer.render(snapshot)
            #expect(text.contains("kvmnet_bridge_port_pvid{bridge=\"br0\",port=\"tap1\"} 20"))
            #expect(MetricsRenderer(collectors: [collector]).render(snapshot) == Self.fromScratch(snapshot))
            #expect(collector.cache.statistics == (hits: 2 * (n + 1), misses: 1), "after change \(n)")
        }
        #expect(renderer.render(state.snapshot()) != first, "the flap and the FDB entry show elsewhere")
    }

    /// The whole exposition with the kept VLAN families is the one without them, for the
    /// standard renderer too (families interleave by name: `kvmnet_bridge_port_pvid` sorts
    /// between two of the bridge collector's families).
    @Test func keptFamiliesTakeTheirSortedPlace() {
        let state = Self.host()
        let kept = MetricsRenderer.standard(version: "t", netlink: true)
        let scratch = MetricsRenderer(collectors: kept.collectors.map { c -> any Collector in
            c is BridgeVLANCollector ? Uncached(BridgeVLANCollector()) : c
        })
        for flap in [false, true, false] {
            state.apply([.linkUpdated(Self.tap(3, index: 13, up: !flap, vlans: nil))])
            let (a, b) = kept.renderParts(state.snapshot())
            let (c, d) = scratch.renderParts(state.snapshot())
            #expect(a == c)
            #expect(b == d)
        }
        let names = kept.render(state.snapshot()).split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
        #expect(names.contains("kvmnet_bridge_port_pvid") && names.contains("kvmnet_bridge_port_state"))
    }

    /// The cardinality guard still applies to the VLAN families: over the cap they are cut
    /// and counted at every render as without the cache; back under it the guard sees them.
    @Test func theGuardStillCutsAndCountsTheVLANFamilies() {
        let state = Self.host()
        let changes = Locked<[SeriesGuard.Change]>([])
        let withCache = MetricsRenderer(collectors: [BridgeVLANCollector(), LinkCollector()])
        let without = MetricsRenderer(collectors: [Uncached(BridgeVLANCollector()), LinkCollector()])
        let guardA = SeriesGuard(maxSeriesPerFamily: 5) { c in changes.withLock { $0.append(c) } }
        let guardB = SeriesGuard(maxSeriesPerFamily: 5)
        // br0 and its 5 ports: 6 series of kvmnet_bridge_port_pvid, one over the cap.
        for _ in 0..<2 {
            let a = withCache.render(state.snapshot(), seriesGuard: guardA)
            #expect(a == without.render(state.snapshot(), seriesGuard: guardB))
        }
        #expect(guardA.droppedTotals["kvmnet_bridge_port_pvid"] == 2, "one series left out at each of two renders")
        // Two ports fewer: back under the cap, served by the kept path; the guard is told.
        state.apply([.linkRemoved(index: 12, name: "tap2"), .linkRemoved(index: 13, name: "tap3")])
        let a = withCache.render(state.snapshot(), seriesGuard: guardA)
        #expect(a == without.render(state.snapshot(), seriesGuard: guardB))
        #expect(a.contains("kvmnet_series_dropped_total{family=\"kvmnet_bridge_port_pvid\"} 2"))
        #expect(changes.withLock { $0 }.contains(.init(family: "kvmnet_bridge_port_pvid", series: 4, dropped: 0, limit: 5)))
    }

    /// A rendered family is the text the renderer writes for it; an empty one is left out.
    @Test func aRenderedFamilyIsItsExpositionText() {
        var f = MetricFamily(name: "kvmnet_x", help: "h \\ \"q\"", type: .gauge)
        f.add([("port", "b\"1")], 2)
        f.add([("port", "a")], 1)
        let r = RenderedFamily(f)
        #expect(r.series == 2)
        #expect(r.bytes == ExpositionRenderer.renderBytes([f]))
        #expect(RenderedFamily(MetricFamily(name: "kvmnet_y", help: "h", type: .gauge)).bytes.isEmpty)
        var g = MetricFamily(name: "kvmnet_w", help: "w", type: .counter)
        g.add([], 3)
        #expect(ExpositionRenderer.renderBytes([g], rendered: [r]) == ExpositionRenderer.renderBytes([g, f]))
    }
}

/// A collector's families without its kept rendering: what the renderer did before.
struct Uncached: Collector {
    let base: any Collector
    init(_ base: any Collector) { self.base = base }
    func collect(_ snapshot: StateSnapshot) -> [MetricFamily] { base.collect(snapshot) }
}
