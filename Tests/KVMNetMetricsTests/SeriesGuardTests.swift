import KVMNetMetrics
import KVMNetModel
import KVMNetState
import KVMNetLock
import Testing

/// The cardinality guard (`--web.max-series-per-family`) and the label audit.
@Suite struct SeriesGuardTests {
    func family(_ name: String, _ n: Int) -> MetricFamily {
        var f = MetricFamily(name: name, help: "h", type: .gauge)
        for i in (0..<n).reversed() { f.add([("device", "dev" + String(String(i + 1000).dropFirst()))], i) }
        return f
    }

    func dropped(_ families: [MetricFamily]) -> [String: String] {
        var out: [String: String] = [:]
        for s in families.first(where: { $0.name == SeriesGuard.droppedFamily })?.samples ?? [] {
            out[s.labels[0].value] = s.value.text
        }
        return out
    }

    @Test func capsAFamilyKeepsTheFirstSeriesInOrderAndCountsTheRest() {
        let changes = Locked<[SeriesGuard.Change]>([])
        let g = SeriesGuard(maxSeriesPerFamily: 3) { c in changes.withLock { $0.append(c) } }

        let first = g.apply([family("big", 5), family("small", 2)])
        let big = first.first { $0.name == "big" }!
        #expect(big.samples.map { $0.labels[0].value }.sorted() == ["dev000", "dev001", "dev002"])
        #expect(first.first { $0.name == "small" }!.samples.count == 2)
        #expect(dropped(first) == ["big": "2"])
        #expect(changes.withLock { $0 } == [.init(family: "big", series: 5, dropped: 2, limit: 3)])

        // The same excess again: counted, not logged again.
        let second = g.apply([family("big", 5), family("small", 2)])
        #expect(dropped(second) == ["big": "4"])
        #expect(changes.withLock { $0.count } == 1)

        // A different excess is a change; so is going back under the cap.
        _ = g.apply([family("big", 4)])
        let under = g.apply([family("big", 3)])
        #expect(changes.withLock { $0 }.suffix(2) == [.init(family: "big", series: 4, dropped: 1, limit: 3),
                                                      .init(family: "big", series: 3, dropped: 0, limit: 3)])
        #expect(dropped(under) == ["big": "5"], "the counter stays once a family went over")
        #expect(under.first { $0.name == "big" }!.samples.count == 3)
        #expect(g.droppedTotals == ["big": 5])
    }

    @Test func zeroMeansNoCapAndNoCounterSeries() {
        let g = SeriesGuard(maxSeriesPerFamily: 0)
        let out = g.apply([family("big", 50_000)])
        #expect(out.first { $0.name == "big" }!.samples.count == 50_000)
        #expect(dropped(out).isEmpty)
        let text = ExpositionRenderer.render(out)
        #expect(!text.contains(SeriesGuard.droppedFamily), "a family without samples is not rendered")
    }

    @Test func theRendererAppliesTheGuardAndExposesTheCounter() {
        var topo = Topology()
        for i in 0..<25 { topo.links["tap\(i)"] = Link(name: "tap\(i)", index: i + 2, kind: .tap, operState: .up) }
        let snapshot = StateSnapshot(topology: topo, counters: EventCounters(), fdbEntries: 0, fdbKnown: false)
        let renderer = MetricsRenderer.standard(version: "t", netlink: false)
        let text = renderer.render(snapshot, seriesGuard: SeriesGuard(maxSeriesPerFamily: 10))
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("kvmnet_link_info{") }.count == 10)
        #expect(lines.contains("kvmnet_series_dropped_total{family=\"kvmnet_link_info\"} 15"))
        #expect(lines.contains("kvmnet_series_dropped_total{family=\"kvmnet_link_transitions_total\"} 40"))
        #expect(text.contains("# TYPE kvmnet_series_dropped_total counter"))
        // Without a guard (or under the cap): no trace of it.
        #expect(!renderer.render(snapshot).contains("kvmnet_series_dropped_total"))
    }

    /// The cardinality audit: every label of the standard collectors is one of a known,
    /// bounded set (per bond, slave, bridge, port, VLAN, device, or an enum); no label value
    /// is a MAC address, except `partner_mac` of `kvmnet_bond_lacp_info` (one per bond).
    /// A new label makes this test fail until it is audited and added here and to
    /// docs/metrics.md.
    @Test func noLabelHoldsAMACOrAnUnboundedValue() {
        let bounded: Set<String> = [
            "bond", "mode", "xmit_hash_policy", "slave", "aggregator_id", "partner_mac", "actor_key", "partner_key", "side",
            "to", "bridge", "port", "kind", "vlan_id", "device", "parent", "master", "version", "source", "group", "family",
            // VLAN-aware bridges: an enum, and a port's VLAN list as ranges, capped in length
            // (BridgeVLANCollector.maxListLength; one series per port).
            "protocol", "vlans", "untagged",
        ]
        let macExceptions: Set<String> = ["kvmnet_bond_lacp_info/partner_mac", "kvmnet_vm_interface_info/mac"]
        var topo = Topology()
        topo.links["bond0"] = Link(name: "bond0", index: 1, kind: .bond, operState: .up)
        topo.links["eth0"] = Link(name: "eth0", index: 2, kind: .physical, operState: .up, master: "bond0")
        topo.links["br0"] = Link(name: "br0", index: 3, kind: .bridge, operState: .up)
        topo.links["vnet0"] = Link(name: "vnet0", index: 4, kind: .tap, operState: .up, master: "br0")
        topo.links["bond0.10"] = Link(name: "bond0.10", index: 5, kind: .vlan, operState: .up, master: "br0")
        topo.bonds["bond0"] = Bond(
            name: "bond0", mode: .ieee8023ad, xmitHashPolicy: "layer3+4", miiUp: true, miimonMs: 100,
            lacp: LACPInfo(rate: "fast", activeAggregator: LACPAggregator(id: 2, ports: 1, actorKey: 9, partnerKey: 7, partnerMAC: "52:54:00:12:34:56")),
            slaves: [BondSlave(name: "eth0", miiStatus: .up, speedMbps: 25000, linkFailureCount: 4, aggregatorID: 2, actorPortState: 61, partnerPortState: 63)])
        topo.vlans["bond0.10"] = VLANDevice(name: "bond0.10", id: 10, parent: "bond0")
        topo.bridges["br0"] = Bridge(name: "br0", stpEnabled: true, vlanFiltering: true, vlanProtocol: .dot1Q, defaultPVID: 1,
                                     vlans: BridgeVLANSet(ranges: [.init(vid: 1, untagged: true)], pvid: 1),
                                     ports: [BridgePort(name: "vnet0", state: .forwarding,
                                                        vlans: BridgeVLANSet(ranges: [.init(vid: 10, untagged: true), .init(first: 20, last: 4094)], pvid: 10)),
                                             BridgePort(name: "bond0.10", state: .forwarding, vlans: BridgeVLANSet(ranges: [.init(first: 2, last: 4094)]))],
                                     fdb: FDBSummary(counts: [.init(port: "vnet0", kind: .learned): 500, .init(port: "br0", kind: .local): 2]))
        var counters = EventCounters()
        counters.sourceErrors["sysfs"] = 1
        let snapshot = StateSnapshot(topology: topo, counters: counters, fdbEntries: 502, fdbKnown: true)
        let renderer = MetricsRenderer.standard(version: "0.0.0", netlink: true)
        let families = renderer.collectors.flatMap { $0.collect(snapshot) }
        #expect(families.count > 30)
        for f in families {
            for s in f.samples {
                for l in s.labels {
                    #expect(bounded.contains(l.name), "\(f.name): label \(l.name) is not audited as bounded")
                    if isMAC(l.value) {
                        #expect(macExceptions.contains("\(f.name)/\(l.name)"), "\(f.name): label \(l.name) holds a MAC (\(l.value))")
                    }
                }
            }
        }
        // The exception is there, one series per bond.
        #expect(families.first { $0.name == "kvmnet_bond_lacp_info" }?.samples.count == 1)
    }

    func isMAC(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }
}
