import KVMNetModel
import KVMNetNetlink
import Testing

/// Events this machine's kernel multicast on `RTNLGRP_LINK`/`RTNLGRP_NEIGH` during the
/// capture scenario (`Fixtures/captured-6.18/event-*`).
@Suite struct CapturedEventDecodingTests {
    func change(_ name: String) throws -> TopologyChange? {
        try NetlinkMessageDecoder.change(in: FixtureLibrary.captured(name))
    }

    func update(_ name: String) throws -> LinkUpdate {
        guard case let .linkUpdated(u)? = try change(name) else {
            Issue.record("\(name) is not a link update")
            throw CancellationError()
        }
        return u
    }

    @Test func peerDownThenUp() throws {
        let down = try update("event-peer-down-00-newlink-unspec-vnet1p")
        #expect(down.link.name == "vnet1p")
        #expect(down.link.adminUp == false)
        #expect(down.link.operState == .down)
        let port = try update("event-peer-down-04-newlink-unspec-vnet1")
        #expect(port.link.operState == .lowerlayerdown)
        #expect(port.link.carrier == false)
        #expect(port.link.carrierChanges == 3)
        #expect(port.bridgePort?.state == .disabled)
        let back = try update("event-peer-up-04-newlink-unspec-vnet1")
        #expect(back.link.operState == .up)
        #expect(back.link.carrierChanges == 4)
    }

    /// They decode to the link's bridge VLANs only, never to a device change; this kernel
    /// has no `CONFIG_BRIDGE_VLAN_FILTERING`, so they carry none.
    @Test("AF_BRIDGE port notifications are not device changes",
          arguments: ["event-peer-down-02-newlink-bridge-vnet1", "event-nomaster-01-newlink-bridge-vnet1",
                      "event-nomaster-02-dellink-bridge-vnet1", "event-del-tap-03-dellink-bridge-tap0"])
    func bridgeFamilyLinkMessagesAreNoDeviceChanges(_ name: String) throws {
        guard case let .bridgeVLANsUpdated(index, ifname, vlans)? = try change(name) else {
            Issue.record("\(name): \(String(describing: try change(name)))")
            return
        }
        #expect(index > 0)
        #expect(name.hasSuffix("-" + ifname))
        #expect(vlans == nil)
        #expect(try NetlinkMessageDecoder.linkUpdate(in: FixtureLibrary.captured(name)) == nil)
    }

    @Test("ARP and ND neighbours are not FDB entries",
          arguments: ["event-arp-add-00-newneigh-inet-ifindex2", "event-peer-down-01-delneigh-inet6-ifindex5",
                      "event-nomaster-07-delneigh-inet-ifindex3"])
    func otherNeighbourFamiliesIgnored(_ name: String) throws {
        #expect(try change(name) == nil)
    }

    @Test func leavingABridge() throws {
        let after = try update("event-nomaster-04-newlink-unspec-vnet1")
        #expect(after.masterIndex == nil)
        #expect(after.bridgePort == nil)
        #expect(try change("event-nomaster-03-delneigh-bridge-ifindex6") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("02:00:00:00:00:bb"), vlan: 0, bridgeIndex: 3, portIndex: 6, kind: .static)))
        // The bridge's own address had been the port's: the kernel re-homes the entry to the
        // bridge without a message, then deletes it with ndm_ifindex = the bridge.
        #expect(try change("event-nomaster-05-delneigh-bridge-ifindex3") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("ea:e9:2d:86:e9:3d"), vlan: 0, bridgeIndex: 3, portIndex: 3, kind: .local)))
    }

    @Test func staticEntryAddedAndDeleted() throws {
        let e = FDBEntry(mac: CapturedFDBDecodingTests.mac("02:00:00:00:00:cc"), vlan: 0, bridgeIndex: 2, portIndex: 4, kind: .static)
        #expect(try change("event-fdb-add-00-newneigh-bridge-ifindex4") == .fdbAdded(e))
        #expect(try change("event-fdb-del-00-delneigh-bridge-ifindex4") == .fdbRemoved(e))
    }

    @Test func deletingATap() throws {
        #expect(try change("event-del-tap-04-delneigh-bridge-ifindex7") == .fdbRemoved(FDBEntry(
            mac: CapturedFDBDecodingTests.mac("e6:52:19:10:5e:1f"), vlan: 0, bridgeIndex: 2, portIndex: 7, kind: .local)))
        #expect(try change("event-del-tap-05-dellink-unspec-tap0") == .linkRemoved(index: 7, name: "tap0"))
    }
}
