import KVMNetModel
import KVMNetSources
import Testing

/// What libvirt's XML says about a VM interface, as the model's ``VMInterface``: the
/// VLANs it asks for (`<vlan>`) and the bridge it belongs on (the one rule).
@Suite struct LibvirtVMTests {
    /// A running domain with one interface whose children are `children`.
    func domain(type: String = "bridge", _ children: String) throws -> LibvirtDomain {
        let xml = """
        <domstatus state='running' pid='4242'>
          <domain type='kvm' id='1'>
            <name>vm1</name>
            <devices>
              <interface type='\(type)'>
                <mac address='52:54:00:6B:3C:01'/>
                \(children)
                <target dev='vnet0'/>
              </interface>
            </devices>
          </domain>
        </domstatus>
        """
        guard case .domain(let domain) = try LibvirtXMLParser.parse(xml, file: "/run/libvirt/qemu/vm1.xml") else {
            throw LibvirtXMLError(line: 0, message: "not a domain")
        }
        return domain
    }

    func vlan(_ element: String) throws -> VMVLANRequest? {
        try #require(try domain("<source bridge='br0'/>\n" + element).interfaces.first).vlan
    }

    @Test func accessVLAN() throws {
        #expect(try vlan("<vlan><tag id='10'/></vlan>") == VMVLANRequest(tags: [10]))
    }

    @Test func trunkWithAnUntaggedNativeVLAN() throws {
        let request = try vlan("""
            <vlan trunk='yes'>
              <tag id='42'/>
              <tag id='48' nativeMode='untagged'/>
              <tag id='456'/>
            </vlan>
            """)
        #expect(request == VMVLANRequest(tags: [42, 48, 456], trunk: true, nativeTag: 48, nativeMode: .untagged))
    }

    @Test func taggedNativeVLAN() throws {
        #expect(try vlan("<vlan trunk='yes'><tag id='7' nativeMode='tagged'/><tag id='8'/></vlan>")
            == VMVLANRequest(tags: [7, 8], trunk: true, nativeTag: 7, nativeMode: .tagged))
    }

    @Test func noVLANElementAsksForNone() throws {
        #expect(try vlan("") == nil)
    }

    @Test func tagsWithoutAValidIdAreLeftOut() throws {
        #expect(try vlan("<vlan><tag id='x'/><tag id='4096'/><tag id='-1'/><tag id='30'/><tag/></vlan>") == VMVLANRequest(tags: [30]))
        #expect(try vlan("<vlan trunk='yes'><tag id='abc'/></vlan>") == nil)
        // An unknown nativeMode makes no native VLAN (libvirt refuses such a file).
        #expect(try vlan("<vlan trunk='yes'><tag id='5' nativeMode='sideways'/><tag id='6'/></vlan>")
            == VMVLANRequest(tags: [5, 6], trunk: true))
    }

    @Test func theVLANReachesTheModelsVMInterface() throws {
        let vm = try domain("<source bridge='br0'/><vlan><tag id='20'/></vlan>")
        #expect(LibvirtVMs.runningInterfaces(domains: [vm], networks: []) == [
            VMInterface(domain: "vm1", mac: "52:54:00:6b:3c:01", tap: "vnet0", bridge: "br0", vlan: VMVLANRequest(tags: [20])),
        ])
    }

    // MARK: the bridge rule

    @Test func aNetworkInterfaceBelongsOnTheNetworksBridge() throws {
        let vm = try domain(type: "network", "<source network='lan' portid='1' bridge='virbr-old'/>")
        let lan = LibvirtNetwork(name: "lan", bridge: "virbr-lan", active: true, file: "/run/libvirt/network/lan.xml")
        #expect(LibvirtVMs.runningInterfaces(domains: [vm], networks: [lan]).map(\.bridge) == ["virbr-lan"])
        // Without the network's file, the bridge the status file records stands in.
        #expect(LibvirtVMs.runningInterfaces(domains: [vm], networks: []).map(\.bridge) == ["virbr-old"])
        // A network without a bridge (macvtap pools: <forward mode='bridge'><interface dev=.../>).
        let pool = LibvirtNetwork(name: "lan", forwardMode: "bridge", active: true, file: "/etc/libvirt/qemu/networks/lan.xml")
        #expect(LibvirtVMs.runningInterfaces(domains: [vm], networks: [pool]).map(\.bridge) == ["virbr-old"])
    }

    @Test func aBridgeInterfaceBelongsOnItsSourceBridgeAndOthersOnNone() throws {
        #expect(LibvirtVMs.runningInterfaces(domains: [try domain("<source bridge='br0'/>")], networks: []).map(\.bridge) == ["br0"])
        let direct = try domain(type: "direct", "<source dev='ens38' mode='bridge'/>")
        #expect(LibvirtVMs.runningInterfaces(domains: [direct], networks: []).map(\.bridge) == [nil])
    }

    @Test func onlyRunningDomainsWithATapSortedByDomainAndTap() throws {
        var b = try domain("<source bridge='br0'/>")
        b.name = "b"
        b.interfaces.append(LibvirtInterface(type: "bridge", sourceBridge: "br1", targetDevice: "vnet3"))
        b.interfaces.append(LibvirtInterface(type: "bridge", sourceBridge: "br1", targetDevice: ""))
        let a = LibvirtDomain(name: "a", running: true, file: "a.xml",
                              interfaces: [LibvirtInterface(type: "bridge", sourceBridge: "br2", targetDevice: "vnet9")])
        let defined = LibvirtDomain(name: "c", running: false, file: "c.xml",
                                    interfaces: [LibvirtInterface(type: "bridge", sourceBridge: "br2", targetDevice: "vnet5")])
        #expect(LibvirtVMs.runningInterfaces(domains: [b, defined, a], networks: []).map { "\($0.domain)/\($0.tap ?? "")" }
            == ["a/vnet9", "b/vnet0", "b/vnet3"])
    }
}
