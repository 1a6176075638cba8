import KVMNetModel
import KVMNetNetlink
import Testing

/// `RTM_NEWLINK` messages this machine's kernel (6.18) sent for the capture scenario; the
/// expected values are what `ip -d link show` printed at the same moment
/// (`Fixtures/captured-6.18/ip-d-link-show.txt`).
@Suite struct CapturedLinkDecodingTests {
    func link(_ name: String) throws -> LinkUpdate {
        let u = try NetlinkMessageDecoder.linkUpdate(in: FixtureLibrary.captured(name))
        return try #require(u)
    }

    @Test func loopback() throws {
        let u = try link("dump-link-lo")
        #expect(u.link == Link(name: "lo", index: 1, kind: .loopback, operState: .unknown, adminUp: true,
                               carrier: true, carrierChanges: 0, mtu: 65536, address: "00:00:00:00:00:00"))
        #expect(u.masterIndex == nil && u.lowerIndex == nil && u.bridge == nil && u.bridgePort == nil)
    }

    @Test func bridgeWithDefaults() throws {
        let u = try link("dump-link-br0")
        #expect(u.link == Link(name: "br0", index: 2, kind: .bridge, operState: .up, adminUp: true, carrier: true,
                               carrierChanges: 2, mtu: 1500, address: "9e:d6:f9:bb:f0:c0"))
        // forward_delay 1500, ageing_time 30000 (centiseconds), stp_state 0, vlan_filtering 0.
        #expect(u.bridge == Bridge(name: "br0", stpEnabled: false, ageingTimeSeconds: 300, forwardDelaySeconds: 15,
                                   vlanFiltering: false))
    }

    @Test func bridgeWithSTPAndNoCarrier() throws {
        let u = try link("dump-link-br1")
        #expect(u.link.operState == .down)
        #expect(u.link.carrier == false)
        #expect(u.link.adminUp == true)
        // forward_delay 400, ageing_time 12344 (the kernel rounds 12345 through jiffies).
        #expect(u.bridge == Bridge(name: "br1", stpEnabled: true, ageingTimeSeconds: 123.44, forwardDelaySeconds: 4,
                                   vlanFiltering: false))
    }

    @Test func vethPortWhosePeerIsInAVMNamespace() throws {
        let u = try link("dump-link-vnet0")
        #expect(u.link.kind == .veth)
        #expect(u.link.index == 4)
        #expect(u.link.operState == .up)
        #expect(u.masterIndex == 2)
        // IFLA_LINK is 2 in the VM's namespace (IFLA_LINK_NETNSID set): not br0 here.
        #expect(u.lowerIndex == nil)
        #expect(u.bridgePort == BridgePort(name: "vnet0", state: .forwarding, pathCost: 2, priority: 32, portNumber: 1))
    }

    @Test func vethPairInOneNamespaceIsNotALowerDevice() throws {
        let peer = try link("dump-link-vnet1p")
        #expect(peer.link.kind == .veth)
        #expect(peer.lowerIndex == nil)
        #expect(peer.masterIndex == nil)
        #expect(peer.bridgePort == nil)
        let port = try link("dump-link-vnet1")
        #expect(port.lowerIndex == nil)
        #expect(port.masterIndex == 3)
        // br1 runs STP with forward_delay 4 s: the port was still listening.
        #expect(port.bridgePort?.state == .listening)
        #expect(port.bridgePort?.portNumber == 1)
    }

    @Test func tapWithoutAProcessHasNoCarrier() throws {
        let u = try link("dump-link-tap0")
        // IFLA_INFO_KIND "tun" (type tap).
        #expect(u.link.kind == .tap)
        #expect(u.link.operState == .down)
        #expect(u.link.carrier == false)
        #expect(u.link.adminUp == true)
        #expect(u.link.address == "e6:52:19:10:5e:1f")
        #expect(u.masterIndex == 2)
        #expect(u.bridgePort == BridgePort(name: "tap0", state: .disabled, pathCost: 2, priority: 32, portNumber: 2))
    }

    @Test func builderResolvesTheCapturedTopology() throws {
        let names = ["lo", "br0", "br1", "vnet0", "vnet1p", "vnet1", "tap0"]
        let updates = try names.map { try link("dump-link-\($0)") }
        let topo = TopologyBuilder.build(links: updates)
        #expect(topo.bridges["br0"]?.ports.map(\.name).sorted() == ["tap0", "vnet0"])
        #expect(topo.bridges["br1"]?.ports.map(\.name) == ["vnet1"])
        #expect(topo.links["vnet0"]?.master == "br0")
        #expect(topo.links["vnet1p"]?.lowers == [])
        #expect(topo.links["vnet0"]?.lowers == [])
    }
}
