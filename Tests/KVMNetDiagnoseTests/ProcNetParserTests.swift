import KVMNetDiagnose
import KVMNetSources
import Testing

@Suite struct ProcNetParserTests {
    static let route = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
        eth0\t0002000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
        brvlan-10\t000A0A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0

        """

    @Test func routeTable() {
        let routes = RouteTableParser.parse(Self.route)
        #expect(routes.count == 3)
        #expect(routes[0] == Route(interface: "eth0", destination: "0.0.0.0", gateway: "10.0.2.1",
                                   prefixLength: 0, metric: 100, flags: 3, line: 2))
        #expect(routes[0].isDefault && routes[0].viaGateway)
        #expect(routes[1].destination == "10.0.2.0")
        #expect(routes[1].prefixLength == 24)
        #expect(HostFacts(routes: routes).defaultRoute?.interface == "eth0")
        #expect(HostFacts(routes: Array(routes.dropFirst())).defaultRoute == nil)
    }

    @Test func addressesFromFibTrieAndRoutes() {
        let trie = """
            Main:
              +-- 0.0.0.0/0 3 0 5
                 |-- 0.0.0.0
                    /0 universe UNICAST
                 +-- 10.0.2.0/24 2 0 2
                    |-- 10.0.2.0
                       /24 link UNICAST
                    |-- 10.0.2.15
                       /32 host LOCAL
                 |-- 10.10.10.1
                    /32 host LOCAL
            Local:
              +-- 127.0.0.0/8 2 0 2
                 |-- 127.0.0.1
                    /32 host LOCAL
            """
        let local = AddressTableParser.parseLocalAddresses(fibTrie: trie)
        #expect(local.map(\.description).sorted() == ["10.0.2.15", "10.10.10.1", "127.0.0.1"])
        let byInterface = AddressTableParser.ipv4Addresses(local: local, routes: RouteTableParser.parse(Self.route))
        #expect(byInterface == ["eth0": ["10.0.2.15/24"], "brvlan-10": ["10.10.10.1/24"]])
    }

    @Test func ipv6Addresses() {
        let text = """
            fe800000000000000250b6fffe1b2c3d 02 40 20 80     eth0
            20010db8000000000000000000000001 02 40 00 80     eth0
            00000000000000000000000000000001 01 80 10 80       lo
            """
        #expect(AddressTableParser.parseIfInet6(text) == [
            "eth0": ["fe80::250:b6ff:fe1b:2c3d/64", "2001:db8::1/64"], "lo": ["::1/128"],
        ])
    }

    @Test func arpTable() {
        let text = """
            IP address       HW type     Flags       HW address            Mask     Device
            10.10.10.10      0x1         0x2         52:54:00:6B:3C:01     *        brvlan-10
            10.10.10.99      0x1         0x0         00:00:00:00:00:00     *        brvlan-10
            """
        #expect(NeighbourTableParser.parse(text) == [Neighbour(address: "10.10.10.10", mac: "52:54:00:6b:3c:01", interface: "brvlan-10")])
    }

    @Test func ipv4Math() throws {
        let net = try #require(IPv4Interface("10.10.10.10/24"))
        #expect(net.subnetDescription == "10.10.10.0/24")
        #expect(net.contains(try #require(IPv4("10.10.10.200"))))
        #expect(!net.contains(try #require(IPv4("10.10.11.1"))))
        #expect(IPv4("300.1.1.1") == nil)
        #expect(IPv4Interface("10.0.0.1/33") == nil)
        #expect(ShellQuote.word("bond0.10") == "bond0.10")
        #expect(ShellQuote.word("a b'c") == "'a b'\\''c'")
    }
}
