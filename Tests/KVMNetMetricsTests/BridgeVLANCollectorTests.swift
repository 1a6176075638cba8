import KVMNetMetrics
import KVMNetModel
import KVMNetState
import Testing

@Suite struct BridgeVLANCollectorTests {
    /// br0 (VLAN-aware) over bond0 with a 2-4094 trunk; `taps` guests, PVID 10 or 20 (odd).
    func host(taps: Int, uplink: BridgeVLANSet = BridgeVLANSet(ranges: [.init(first: 2, last: 4094)])) -> StateSnapshot {
        var topo = Topology()
        topo.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
        topo.links["bond0"] = Link(name: "bond0", index: 2, kind: .bond, operState: .up, master: "br0")
        var ports = [BridgePort(name: "bond0", state: .forwarding, vlans: uplink)]
        for i in 0..<taps {
            let name = "tap\(i)"
            topo.links[name] = Link(name: name, index: 10 + i, kind: .tap, operState: .up, master: "br0")
            let vid = i % 2 == 0 ? 10 : 20
            ports.append(BridgePort(name: name, state: .forwarding,
                                    vlans: BridgeVLANSet(ranges: [.init(first: 2, last: 4094), .init(vid: vid, untagged: true)], pvid: vid)))
        }
        topo.bridges["br0"] = Bridge(name: "br0", stpEnabled: false, vlanFiltering: true, vlanProtocol: .dot1Q, defaultPVID: 1,
                                     vlans: BridgeVLANSet(ranges: [.init(vid: 1, untagged: true)], pvid: 1), ports: ports)
        topo.links["br1"] = Link(name: "br1", index: 5, kind: .bridge, operState: .up)
        topo.bridges["br1"] = Bridge(name: "br1", stpEnabled: false, vlanFiltering: false)
        return StateSnapshot(topology: topo, counters: EventCounters(), fdbEntries: 0, fdbKnown: false)
    }

    func samples(_ families: [MetricFamily], _ name: String) -> [String: String] {
        var out: [String: String] = [:]
        for s in families.first(where: { $0.name == name })?.samples ?? [] {
            out[s.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",")] = s.value.text
        }
        return out
    }

    @Test func portsPVIDsListsAndCounts() {
        let f = BridgeVLANCollector().collect(host(taps: 2))
        #expect(samples(f, "kvmnet_bridge_vlan_filtering") == ["bridge=br0": "1", "bridge=br1": "0"])
        #expect(samples(f, "kvmnet_bridge_vlan_protocol_info") == ["bridge=br0,protocol=802.1Q": "1"])
        #expect(samples(f, "kvmnet_bridge_default_pvid") == ["bridge=br0": "1"])
        #expect(samples(f, "kvmnet_bridge_port_pvid") == ["bridge=br0,port=br0": "1", "bridge=br0,port=bond0": "0",
                                                         "bridge=br0,port=tap0": "10", "bridge=br0,port=tap1": "20"])
        #expect(samples(f, "kvmnet_bridge_port_vlans")["bridge=br0,port=bond0"] == "4093")
        #expect(samples(f, "kvmnet_bridge_port_vlans_untagged")["bridge=br0,port=tap1"] == "1")
        #expect(samples(f, "kvmnet_bridge_port_vlan_info")["bridge=br0,port=tap1,vlans=2-4094,untagged=20"] == "1")
        #expect(samples(f, "kvmnet_bridge_vlan_uplinks") == ["bridge=br0,vlan_id=10": "1", "bridge=br0,vlan_id=20": "1"])
    }

    @Test func aVLANNoUplinkCarriesCountsZero() {
        let f = BridgeVLANCollector().collect(host(taps: 2, uplink: BridgeVLANSet(ranges: [.init(vid: 10)])))
        #expect(samples(f, "kvmnet_bridge_vlan_uplinks") == ["bridge=br0,vlan_id=10": "1", "bridge=br0,vlan_id=20": "0"])
    }

    /// Issue 13: 200 taps on one bridge with a 2-4094 trunk each must not give hundreds of
    /// thousands of series: a handful per port.
    @Test func seriesAreBoundedByPortsNotByVLANRangeWidth() {
        let snapshot = host(taps: 200)
        let families = MetricsRenderer.standard(version: "t", netlink: true).collectors.flatMap { $0.collect(snapshot) }
        let vlanSeries = families.filter { $0.name.hasPrefix("kvmnet_bridge_") }.reduce(0) { $0 + $1.samples.count }
        #expect(vlanSeries < 202 * 10, "\(vlanSeries) bridge series for 202 ports")
        // And under the default cap of the guard, nothing is dropped.
        let guarded = SeriesGuard(maxSeriesPerFamily: 10_000).apply(families)
        #expect(!guarded.contains { $0.name == SeriesGuard.droppedFamily && !$0.samples.isEmpty })
    }

    @Test func aLongScatteredListIsCutAtARangeBoundary() {
        let scattered = BridgeVLANSet(ranges: stride(from: 2, through: 4094, by: 2).map { .init(vid: $0) })
        let text = scattered.text
        let cut = BridgeVLANCollector.capped(text)
        #expect(cut.utf8.count <= BridgeVLANCollector.maxListLength)
        #expect(cut.hasSuffix(",..."))
        #expect(text.hasPrefix(String(cut.dropLast(4))))
        #expect(BridgeVLANCollector.capped("2-4094") == "2-4094")
    }
}
