import KVMNetMetrics
import KVMNetModel
import KVMNetState
import Testing

@Suite struct ExpositionRendererTests {
    @Test func sortsFamiliesAndSamplesAndEscapes() {
        var b = MetricFamily(name: "b_total", help: "B, with a \\ and\na newline.", type: .counter)
        b.add([("x", "z")], UInt64(2))
        b.add([("x", "a\"q\"\\\n")], UInt64(18_446_744_073_709_551_615))
        var a = MetricFamily(name: "a", help: "A.", type: .gauge)
        a.add([], 0.25)
        let empty = MetricFamily(name: "c", help: "never shown", type: .gauge)
        let text = ExpositionRenderer.render([b, empty, a])
        #expect(text == """
        # HELP a A.
        # TYPE a gauge
        a 0.25
        # HELP b_total B, with a \\\\ and\\na newline.
        # TYPE b_total counter
        b_total{x="a\\"q\\"\\\\\\n"} 18446744073709551615
        b_total{x="z"} 2

        """)
    }

    @Test func valuesAreExact() {
        #expect(SampleValue.double(3).text == "3")
        #expect(SampleValue.double(0.1).text == "0.1")
        #expect(SampleValue.double(.nan).text == "NaN")
        #expect(SampleValue.double(-.infinity).text == "-Inf")
        #expect(SampleValue.uint(9_007_199_254_740_993).text == "9007199254740993")
    }
}

@Suite struct CollectorTests {
    func snapshot() -> StateSnapshot {
        var topo = Topology()
        topo.links["bond0"] = Link(name: "bond0", index: 1, kind: .bond, operState: .up)
        topo.links["eth0"] = Link(name: "eth0", index: 2, kind: .physical, operState: .up, master: "bond0")
        topo.links["eth1"] = Link(name: "eth1", index: 3, kind: .physical, operState: .down, master: "bond0")
        topo.links["bond0.10"] = Link(name: "bond0.10", index: 4, kind: .vlan, operState: .up, master: "br10")
        topo.links["br10"] = Link(name: "br10", index: 5, kind: .bridge, operState: .up)
        topo.bonds["bond0"] = Bond(
            name: "bond0", mode: .ieee8023ad, xmitHashPolicy: "layer3+4", miiUp: true, miimonMs: 100,
            lacp: LACPInfo(rate: "fast", activeAggregator: LACPAggregator(id: 2, ports: 1, actorKey: 9, partnerKey: 0, partnerMAC: "00:00:00:00:00:00")),
            slaves: [BondSlave(name: "eth0", miiStatus: .up, speedMbps: 25000, linkFailureCount: 4, aggregatorID: 2, actorPortState: 61, partnerPortState: 63),
                     BondSlave(name: "eth1", miiStatus: .down, linkFailureCount: 7)])
        topo.vlans["bond0.10"] = VLANDevice(name: "bond0.10", id: 10, parent: "bond0")
        topo.bridges["br10"] = Bridge(name: "br10", stpEnabled: true, ports: [BridgePort(name: "bond0.10", state: .blocking)],
                                      fdb: FDBSummary(counts: [.init(port: "bond0.10", kind: .learned): 41]))
        var c = EventCounters()
        c.failovers["bond0"] = 3
        return StateSnapshot(topology: topo, counters: c, fdbEntries: 41, fdbKnown: true)
    }

    func lines(_ families: [MetricFamily]) -> Set<String> {
        Set(ExpositionRenderer.render(families).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }

    @Test func bondSeries() {
        let l = lines(BondCollector().collect(snapshot()))
        #expect(l.contains("kvmnet_bond_info{bond=\"bond0\",mode=\"802.3ad\",xmit_hash_policy=\"layer3+4\"} 1"))
        #expect(l.contains("kvmnet_bond_slaves{bond=\"bond0\"} 2"))
        #expect(l.contains("kvmnet_bond_slaves_up{bond=\"bond0\"} 1"))
        #expect(l.contains("kvmnet_bond_lacp_partner_present{bond=\"bond0\"} 0"))
        #expect(l.contains("kvmnet_bond_lacp_aggregator_ports{bond=\"bond0\"} 1"))
        #expect(l.contains("kvmnet_bond_slave_link_failures_total{bond=\"bond0\",slave=\"eth1\"} 7"))
        #expect(l.contains("kvmnet_bond_slave_speed_bytes{bond=\"bond0\",slave=\"eth0\"} 3125000000"))
        #expect(l.contains("kvmnet_bond_slave_lacp_port_state{bond=\"bond0\",slave=\"eth0\",side=\"actor\"} 61"))
        #expect(l.contains("kvmnet_bond_failovers_total{bond=\"bond0\"} 3"))
        // 802.3ad has no active slave.
        #expect(!l.contains { $0.hasPrefix("kvmnet_bond_active_slave_info") })
    }

    @Test func bridgeAndVLANSeries() {
        let l = lines(BridgeCollector().collect(snapshot()) + VLANCollector().collect(snapshot()))
        #expect(l.contains("kvmnet_bridge_port_state{bridge=\"br10\",port=\"bond0.10\"} 4"))
        #expect(l.contains("kvmnet_bridge_stp_enabled{bridge=\"br10\"} 1"))
        #expect(l.contains("kvmnet_bridge_fdb_entries{bridge=\"br10\",port=\"bond0.10\",kind=\"learned\"} 41"))
        #expect(l.contains("kvmnet_bridge_vlan_info{bridge=\"br10\",vlan_id=\"10\"} 1"))
        #expect(l.contains("kvmnet_vlan_info{device=\"bond0.10\",vlan_id=\"10\",parent=\"bond0\"} 1"))
        #expect(l.contains("kvmnet_bridge_fdb_moves_total{bridge=\"br10\"} 0"))
    }

    @Test func linkSeries() {
        let l = lines(LinkCollector().collect(snapshot()))
        #expect(l.contains("kvmnet_link_up{device=\"eth1\",kind=\"physical\"} 0"))
        #expect(l.contains("kvmnet_link_info{device=\"eth0\",kind=\"physical\",master=\"bond0\"} 1"))
        #expect(l.contains("kvmnet_link_transitions_total{device=\"eth1\",to=\"down\"} 0"))
    }
}
