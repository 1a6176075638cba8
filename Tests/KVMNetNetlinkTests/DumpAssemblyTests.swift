import KVMNetModel
import Testing
@testable import KVMNetNetlink

/// How the three dumps are joined into one self-consistent ``FullDump``.
@Suite struct DumpAssemblyTests {
    static func link(_ name: String, _ index: Int, kind: LinkKind = .veth) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: kind))
    }

    @Test func addressesGoToTheirLinksInOrder() {
        let dump = NetlinkTopologyDump.assemble(
            links: [Self.link("lo", 1, kind: .loopback), Self.link("br0", 2, kind: .bridge)],
            fdb: [],
            addresses: [InterfaceAddress(linkIndex: 2, text: "10.0.0.1/24"), InterfaceAddress(linkIndex: 1, text: "127.0.0.1/8"),
                        InterfaceAddress(linkIndex: 2, text: "fe80::1/64"), InterfaceAddress(linkIndex: 9, text: "10.9.9.9/32")])
        #expect(dump.links.map(\.link.addresses) == [["127.0.0.1/8"], ["10.0.0.1/24", "fe80::1/64"]])
    }

    /// A device that vanished (or appeared) between the link dump and the FDB dump: its
    /// entries are left out rather than counted under an unknown index.
    @Test func entriesOfUnknownBridgesOrPortsAreLeftOut() {
        let kept = FDBEntry(mac: 1, vlan: 0, bridgeIndex: 2, portIndex: 3, kind: .learned)
        let own = FDBEntry(mac: 2, vlan: 0, bridgeIndex: 2, portIndex: 2, kind: .local)
        let goneBridge = FDBEntry(mac: 3, vlan: 0, bridgeIndex: 7, portIndex: 3, kind: .learned)
        let gonePort = FDBEntry(mac: 4, vlan: 0, bridgeIndex: 2, portIndex: 8, kind: .static)
        let dump = NetlinkTopologyDump.assemble(
            links: [Self.link("br0", 2, kind: .bridge), Self.link("vnet0", 3)],
            fdb: [kept, own, goneBridge, gonePort], addresses: [])
        #expect(dump.fdb == [kept, own])
    }

    /// The AF_BRIDGE dump's VLANs go onto their links. A port (or bridge) of a
    /// VLAN-filtering bridge answered without VLAN entries has none (empty set); one of a
    /// non-filtering bridge, or on a kernel without VLAN filtering, stays unknown (`nil`),
    /// and so does a link the AF_BRIDGE dump did not answer for.
    @Test func bridgeVLANsGoToTheirLinks() {
        func bridge(_ name: String, _ index: Int, filtering: Bool?) -> LinkUpdate {
            LinkUpdate(link: Link(name: name, index: index, kind: .bridge), bridge: Bridge(name: name, stpEnabled: false, vlanFiltering: filtering))
        }
        func port(_ name: String, _ index: Int, _ master: Int) -> LinkUpdate {
            LinkUpdate(link: Link(name: name, index: index, kind: .veth), masterIndex: master)
        }
        let trunk = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(first: 2, last: 4094)], pvid: 1)
        let dump = NetlinkTopologyDump.assemble(
            links: [bridge("br0", 2, filtering: true), bridge("br9", 9, filtering: nil), port("trunk0", 3, 2),
                    port("empty0", 4, 2), port("tap0", 10, 9), port("late0", 5, 2)],
            bridgeVLANs: [.init(index: 2, vlans: trunk), .init(index: 3, vlans: trunk), .init(index: 4, vlans: nil),
                          .init(index: 9, vlans: nil), .init(index: 10, vlans: nil), .init(index: 77, vlans: trunk)],
            fdb: [], addresses: [])
        #expect(dump.links.map(\.bridgeVLANs) == [trunk, nil, trunk, BridgeVLANSet(), nil, nil])
    }

    @Test func theBridgeVLANDumpAsksForCompressedLists() {
        let r = RouteRequest.bridgeVLANs
        #expect(r.type == 18 && r.flags == 0x300)
        #expect(r.familyHeader.first == 7)   // AF_BRIDGE
        #expect(r.attributes.map(\.0) == [29])   // IFLA_EXT_MASK
        #expect(r.attributes.first?.1 == [4, 0, 0, 0])   // RTEXT_FILTER_BRVLAN_COMPRESSED
    }

    @Test func addressBookFillsUpdatesAndForgetsRemovedLinks() {
        var book = AddressBook()
        var changes: [TopologyChange] = [.linkUpdated(Self.link("br0", 2, kind: .bridge)), .linkRemoved(index: 3, name: "x")]
        book.fill(&changes)
        #expect(changes.first == .linkUpdated(Self.link("br0", 2, kind: .bridge)))
    }
}
