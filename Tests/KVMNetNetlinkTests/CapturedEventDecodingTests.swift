import KVMNetModel
import KVMNetNetlink
import Testing

/// Events this machine's kernel multicast on `RTNLGRP_LINK`/`RTNLGRP_NEIGH` during the
/// capture scenario (`Fixtures/captured-6.18/event-*`).
@Suite struct CapturedEventDecodingTests {
    func change(_ name: String) throws -> TopologyChange? {
        try NetlinkMessageDecoder.change(in: FixtureLibrary.captured(name))
    }

    /// The change of an event message: `("peer-down", "newlink-unspec-vnet1")`.
    func change(_ action: String, _ subject: String, last: Bool = false) throws -> TopologyChange? {
        try change(FixtureLibrary.capturedEvent(action, subject, last: last))
    }

    func update(_ action: String, _ subject: String, last: Bool = false) throws -> LinkUpdate {
        try update(FixtureLibrary.capturedEvent(action, subject, last: last))
    }

    func update(_ name: String) throws -> LinkUpdate {
        guard case let .linkUpdated(u)? = try change(name) else {
            Issue.record("\(name) is not a link update")
            throw CancellationError()
        }
        return u
    }

    @Test func peerDownThenUp() throws {
        let down = try update("peer-down", "newlink-unspec-vnet1p")
        #expect(down.link.name == "vnet1p")
        #expect(down.link.adminUp == false)
        #expect(down.link.operState == .down)
        let port = try update("peer-down", "newlink-unspec-vnet1", last: true)
        #expect(port.link.operState == .lowerlayerdown)
        #expect(port.link.carrier == false)
        #expect(port.link.carrierChanges == 3)
        #expect(port.bridgePort?.state == .disabled)
        let back = try update("peer-up", "newlink-unspec-vnet1", last: true)
        #expect(back.link.operState == .up)
        #expect(back.link.carrierChanges == 4)
    }

    /// They decode to the link's bridge VLANs only, never to a device change; this kernel
    /// has no `CONFIG_BRIDGE_VLAN_FILTERING`, so they carry none.
    @Test("AF_BRIDGE port notifications are not device changes",
          arguments: [["peer-down", "newlink-bridge-vnet1"], ["nomaster", "newlink-bridge-vnet1"],
                      ["nomaster", "dellink-bridge-vnet1"], ["del-tap", "dellink-bridge-tap0"]])
    func bridgeFamilyLinkMessagesAreNoDeviceChanges(_ event: [String]) throws {
        let name = try FixtureLibrary.capturedEvent(event[0], event[1], last: false)
        guard case let .bridgeVLANsUpdated(index, ifname, vlans)? = try change(name) else {
            Issue.record("\(event): \(String(describing: try change(name)))")
            return
        }
        #expect(index > 0)
        #expect(event[1].hasSuffix("-" + ifname))
        #expect(vlans == nil)
        #expect(try NetlinkMessageDecoder.linkUpdate(in: FixtureLibrary.captured(name)) == nil)
    }

    @Test("ARP and ND neighbours are not FDB entries",
          arguments: [["arp-add", "newneigh-inet-ifindex2"], ["peer-down", "delneigh-inet6-ifindex5"],
                      ["nomaster", "delneigh-inet-ifindex3"]])
    func otherNeighbourFamiliesIgnored(_ event: [String]) throws {
        #expect(try change(event[0], event[1]) == nil)
    }

    @Test func leavingABridge() throws {
        let after = try update("nomaster", "newlink-unspec-vnet1", last: true)
        #expect(after.masterIndex == nil)
        #expect(after.bridgePort == nil)
        #expect(try change("nomaster", "delneigh-bridge-ifindex6") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("02:00:00:00:00:bb"), vlan: 0, bridgeIndex: 3, portIndex: 6, kind: .static)))
        // The bridge's own address had been the port's: the kernel re-homes the entry to the
        // bridge without a message, then deletes it with ndm_ifindex = the bridge.
        #expect(try change("nomaster", "delneigh-bridge-ifindex3") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("ea:e9:2d:86:e9:3d"), vlan: 0, bridgeIndex: 3, portIndex: 3, kind: .local)))
    }

    @Test func staticEntryAddedAndDeleted() throws {
        let e = FDBEntry(mac: CapturedFDBDecodingTests.mac("02:00:00:00:00:cc"), vlan: 0, bridgeIndex: 2, portIndex: 4, kind: .static)
        #expect(try change("fdb-add", "newneigh-bridge-ifindex4") == .fdbAdded(e))
        #expect(try change("fdb-del", "delneigh-bridge-ifindex4") == .fdbRemoved(e))
    }

    @Test func deletingATap() throws {
        #expect(try change("del-tap", "delneigh-bridge-ifindex7") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("e6:52:19:10:5e:1f"), vlan: 0, bridgeIndex: 2, portIndex: 7, kind: .local)))
        #expect(try change("del-tap", "dellink-unspec-tap0") == .linkRemoved(index: 7, name: "tap0"))
    }
}
