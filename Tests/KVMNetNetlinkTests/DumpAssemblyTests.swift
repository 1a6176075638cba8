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

    @Test func addressBookFillsUpdatesAndForgetsRemovedLinks() {
        var book = AddressBook()
        var changes: [TopologyChange] = [.linkUpdated(Self.link("br0", 2, kind: .bridge)), .linkRemoved(index: 3, name: "x")]
        book.fill(&changes)
        #expect(changes.first == .linkUpdated(Self.link("br0", 2, kind: .bridge)))
    }
}
