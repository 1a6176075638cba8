import KVMNetModel
import KVMNetState
import Testing

/// How ``HostState`` keeps bridge VLANs between the `AF_BRIDGE` messages that carry them
/// and the ordinary link updates that do not.
@Suite struct BridgeVLANStateTests {
    static let trunk = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(first: 2, last: 4094)], pvid: 1)
    static let access = BridgeVLANSet(ranges: [.init(vid: 10, untagged: true)], pvid: 10)

    static func bridge(_ name: String, index: Int, filtering: Bool = true) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .bridge, operState: .up),
                   bridge: Bridge(name: name, stpEnabled: false, vlanFiltering: filtering))
    }

    static func port(_ name: String, index: Int, master: Int?, vlans: BridgeVLANSet? = nil, state: OperState = .up) -> LinkUpdate {
        LinkUpdate(link: Link(name: name, index: index, kind: .veth, operState: state), masterIndex: master,
                   bridgePort: master == nil ? nil : BridgePort(name: name, state: .forwarding), bridgeVLANs: vlans)
    }

    func state(_ links: [LinkUpdate]) -> HostState {
        let s = HostState(clock: { 0 })
        s.resync(FullDump(links: links), reason: .initial)
        return s
    }

    func vlans(_ s: HostState, _ port: String) -> BridgeVLANSet? {
        let topo = s.snapshot().topology
        return topo.bridge(containing: port)?.port(named: port)?.vlans
    }

    @Test func eventSetsThePortsVLANs() {
        let s = state([Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2)])
        let before = s.version
        _ = s.snapshot()
        s.apply([.bridgeVLANsUpdated(index: 5, name: "trunk0", vlans: Self.trunk)])
        #expect(s.version != before)
        #expect(vlans(s, "trunk0") == Self.trunk)   // the cached topology was rebuilt
    }

    /// An ordinary RTM_NEWLINK (carrier, MTU, STP state...) carries no VLANs: the port keeps
    /// the last set while it stays on the same bridge.
    @Test func ordinaryUpdateKeepsTheVLANs() {
        let s = state([Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2, vlans: Self.trunk)])
        s.apply([.linkUpdated(Self.port("trunk0", index: 5, master: 2, state: .down))])
        #expect(vlans(s, "trunk0") == Self.trunk)
        s.refresh([Self.port("trunk0", index: 5, master: 2)], readAfter: s.version)
        #expect(vlans(s, "trunk0") == Self.trunk)
    }

    @Test func theBridgesOwnVLANsAreKept() {
        let self0 = BridgeVLANSet(ranges: [.init(vid: 1, untagged: true), .init(vid: 10)], pvid: 1)
        let s = state([Self.bridge("br0", index: 2)])
        s.apply([.bridgeVLANsUpdated(index: 2, name: "br0", vlans: self0)])
        s.apply([.linkUpdated(Self.bridge("br0", index: 2))])
        #expect(s.snapshot().topology.bridges["br0"]?.vlans == self0)
    }

    @Test func leavingTheBridgeDropsThem() {
        let s = state([Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2, vlans: Self.trunk)])
        s.apply([.linkUpdated(Self.port("trunk0", index: 5, master: nil))])
        // Back on the same bridge: the set it had is gone; its AF_BRIDGE message brings the new one.
        s.apply([.linkUpdated(Self.port("trunk0", index: 5, master: 2))])
        #expect(vlans(s, "trunk0") == nil)
    }

    @Test func movingToAnotherBridgeDropsThem() {
        let s = state([Self.bridge("br0", index: 2), Self.bridge("br1", index: 3),
                       Self.port("trunk0", index: 5, master: 2, vlans: Self.trunk)])
        s.apply([.linkUpdated(Self.port("trunk0", index: 5, master: 3))])
        #expect(vlans(s, "trunk0") == nil)
    }

    /// The kernel's order on leaving (6.1, 6.12): AF_UNSPEC (still a port), AF_BRIDGE
    /// RTM_NEWLINK, AF_BRIDGE RTM_DELLINK (`vlans: nil`), AF_UNSPEC without master.
    @Test func leavingInTheKernelsOrder() {
        let s = state([Self.bridge("br0", index: 2), Self.port("nopvid0", index: 11, master: 2, vlans: Self.access)])
        s.apply([.linkUpdated(Self.port("nopvid0", index: 11, master: 2, state: .down))])
        s.apply([.bridgeVLANsUpdated(index: 11, name: "nopvid0", vlans: Self.access)])
        s.apply([.bridgeVLANsUpdated(index: 11, name: "nopvid0", vlans: nil)])
        s.apply([.linkUpdated(Self.port("nopvid0", index: 11, master: nil))])
        #expect(s.snapshot().topology.bridges["br0"]?.port(named: "nopvid0") == nil)
        s.apply([.linkUpdated(Self.port("nopvid0", index: 11, master: 2))])
        #expect(vlans(s, "nopvid0") == nil)
    }

    /// A port's VLANs reported before the update that makes it a port are kept.
    @Test func vlansBeforeTheJoiningUpdateAreKept() {
        let s = state([Self.bridge("br0", index: 2), Self.port("p0", index: 7, master: nil)])
        s.apply([.bridgeVLANsUpdated(index: 7, name: "p0", vlans: Self.access)])
        s.apply([.linkUpdated(Self.port("p0", index: 7, master: 2))])
        #expect(vlans(s, "p0") == Self.access)
    }

    /// No VLAN entry in the message: none at all on a VLAN-filtering bridge (the kernel
    /// leaves IFLA_AF_SPEC out), unknown elsewhere (a kernel without VLAN filtering sends
    /// the same message).
    @Test func messageWithoutVLANs() {
        let s = state([Self.bridge("br0", index: 2), Self.bridge("br9", index: 9, filtering: false),
                       Self.port("access0", index: 5, master: 2, vlans: Self.access), Self.port("tap0", index: 6, master: 9)])
        s.apply([.bridgeVLANsUpdated(index: 5, name: "access0", vlans: nil),
                 .bridgeVLANsUpdated(index: 6, name: "tap0", vlans: nil)])
        #expect(vlans(s, "access0") == BridgeVLANSet())
        #expect(vlans(s, "tap0") == nil)
    }

    @Test func unknownLinkIsIgnoredAndRenameKeeps() {
        let s = state([Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2, vlans: Self.trunk)])
        s.apply([.bridgeVLANsUpdated(index: 77, name: "ghost", vlans: Self.trunk)])
        #expect(s.snapshot().topology.links["ghost"] == nil)
        s.apply([.linkUpdated(Self.port("uplink0", index: 5, master: 2))])
        #expect(vlans(s, "uplink0") == Self.trunk)
    }

    /// A resync replaces everything, the VLANs included (also with `nil`).
    @Test func resyncReplacesAll() {
        let s = state([Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2, vlans: Self.trunk),
                       Self.port("access0", index: 6, master: 2, vlans: Self.trunk)])
        s.resync(FullDump(links: [Self.bridge("br0", index: 2), Self.port("trunk0", index: 5, master: 2),
                                  Self.port("access0", index: 6, master: 2, vlans: Self.access)]), reason: .overrun)
        #expect(vlans(s, "trunk0") == nil)
        #expect(vlans(s, "access0") == Self.access)
    }
}
