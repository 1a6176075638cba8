import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// Proxmox VE guest configs (`Fixtures/proxmox/`, laid out as `/etc/pve`): the parser, the
/// reader and the mapping to the model's VM interfaces.
@Suite struct ProxmoxConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("proxmox")

    static func fixture(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    @Test func vmConfigStopsAtTheFirstSectionAndSkipsTheDescription() throws {
        let parse = ProxmoxConfigParser.parse(try Self.fixture("qemu-server/100.conf"), kind: .qemu, vmid: 100,
                                              path: "/etc/pve/qemu-server/100.conf")
        #expect(parse.issues.isEmpty)
        let guest = parse.guest
        // The snapshot's `name: web1-old` and `bridge=vmbr9` are not the current config.
        #expect(guest.name == "web1")
        #expect(guest.nameLine == 10)
        #expect(guest.nics.map(\.index) == [0, 1])
        let net0 = guest.nics[0]
        #expect(net0.line == 11)
        #expect(net0.model == "virtio")
        #expect(net0.mac == "bc:24:11:5e:7a:01")
        #expect(net0.bridge == "vmbr0")
        #expect(net0.tag == 10)
        #expect(net0.firewall)
        #expect(net0.trunks.isEmpty)
        #expect(net0.value == "virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1,tag=10")
        let net1 = guest.nics[1]
        #expect(net1.model == "e1000")
        #expect(net1.trunksText == "20;30-32")
        #expect(net1.trunks == [20, 30, 31, 32])
        #expect(net1.mtu == 9000)
        #expect(net1.linkDown)
        #expect(!net1.firewall)
        let devices = guest.devices(net0)
        #expect([devices.tap, devices.firewallBridge, devices.firewallLink, devices.firewallPeer]
                == ["tap100i0", "fwbr100i0", "fwln100i0", "fwpr100p0"])
    }

    @Test func badValuesAreIssuesWithTheirLineAndThePendingSectionIsIgnored() throws {
        let parse = ProxmoxConfigParser.parse(try Self.fixture("qemu-server/101.conf"), kind: .qemu, vmid: 101,
                                              path: "/etc/pve/qemu-server/101.conf")
        let net0 = try #require(parse.guest.nics.first)
        #expect(net0.model == "virtio")
        #expect(net0.mac == "bc:24:11:5e:7a:11")
        #expect(net0.bridge == "vmbr0")  // not the [PENDING] vmbr1
        let net2 = try #require(parse.guest.nics.last)
        #expect(net2.index == 2)
        #expect(net2.tag == nil)
        #expect(net2.trunks.isEmpty)
        #expect(parse.issues.map(\.line) == [6, 6])
        #expect(parse.issues.map(\.message) == [
            "net2: tag=5000 is not a VLAN id (1-4094)",
            "net2: trunks=10;x is not a ';'-separated list of VLAN ids and ranges",
        ])
        #expect(parse.guest.devices(net2).tap == "tap101i2")
    }

    @Test func containerConfigHasHwaddrAddressesAndVethNames() throws {
        let parse = ProxmoxConfigParser.parse(try Self.fixture("lxc/200.conf"), kind: .lxc, vmid: 200,
                                              path: "/etc/pve/lxc/200.conf")
        #expect(parse.issues.isEmpty)
        #expect(parse.guest.name == "db1")
        let net0 = parse.guest.nics[0], net1 = parse.guest.nics[1]
        #expect(net0.mac == "bc:24:11:aa:bb:01")
        #expect(net0.guestName == "eth0")
        #expect(net0.addresses == ["10.0.10.20/24"])
        #expect(net0.firewall && net0.tag == 10)
        #expect(net1.addresses == ["fd00::20/64"])  // ip=dhcp is no address
        #expect(net1.mtu == 1400)
        #expect(parse.guest.devices(net0).tap == "veth200i0")
        #expect(parse.guest.devices(net1).firewallPeer == "fwpr200p1")
    }

    @Test(arguments: [
        ("20", [20]), ("20;30", [20, 30]), ("30-32;20", [20, 30, 31, 32]), ("1-3;2-4", [1, 2, 3, 4]),
    ])
    func trunks(_ text: String, _ vlans: [Int]) {
        #expect(ProxmoxConfigParser.trunks(text) == vlans)
    }

    @Test(arguments: ["", "0", "4095", "20,30", "30-20", "a", "20;", "-5", "1-"])
    func badTrunks(_ text: String) {
        #expect(ProxmoxConfigParser.trunks(text) == nil)
    }

    @Test func configFileNamesAndFirewallVethPeers() {
        #expect(ProxmoxConfigParser.vmid(ofFileName: "100.conf") == 100)
        #expect(ProxmoxConfigParser.vmid(ofFileName: "100.conf.tmp") == nil)
        #expect(ProxmoxConfigParser.vmid(ofFileName: "0100.conf") == nil)
        #expect(ProxmoxConfigParser.vmid(ofFileName: "README") == nil)
        #expect(ProxmoxDevices.firewallVethPeer(of: "fwln100i0") == "fwpr100p0")
        #expect(ProxmoxDevices.firewallVethPeer(of: "fwpr100p3") == "fwln100i3")
        #expect(ProxmoxDevices.firewallVethPeer(of: "fwln100o0") == nil)
        #expect(ProxmoxDevices.firewallVethPeer(of: "fwbr100i0") == nil)
    }

    /// A real node: `qemu-server` is a symlink to `nodes/<node>/qemu-server`; each guest
    /// counts once, other nodes' guests are not read, and bad lines are typed errors.
    @Test func readerFollowsTheNodeSymlinkOnceAndSkipsOtherNodes() throws {
        let fm = FileManager.default
        let tree = fm.temporaryDirectory.appendingPathComponent("kvmnet-pve-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: tree) }
        let node = tree.appendingPathComponent("nodes/pve1")
        try fm.createDirectory(at: node, withIntermediateDirectories: true)
        try fm.copyItem(at: Self.root.appendingPathComponent("qemu-server"), to: node.appendingPathComponent("qemu-server"))
        try fm.copyItem(at: Self.root.appendingPathComponent("lxc"), to: node.appendingPathComponent("lxc"))
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("qemu-server").path, withDestinationPath: "nodes/pve1/qemu-server")
        let other = tree.appendingPathComponent("nodes/pve2/qemu-server")
        try fm.createDirectory(at: other, withIntermediateDirectories: true)
        try "name: elsewhere\nnet0: virtio=BC:24:11:00:00:99,bridge=vmbr0\n".write(
            to: other.appendingPathComponent("300.conf"), atomically: true, encoding: .utf8)

        let reading = ProxmoxReader.read(root: tree.path, node: "pve1")
        #expect(reading.guests.map(\.vmid) == [100, 101, 200])
        #expect(reading.guests.map(\.kind) == [.qemu, .qemu, .lxc])
        #expect(reading.guests[0].file == tree.appendingPathComponent("qemu-server/100.conf").path)
        #expect(reading.files.count == 3)
        #expect(reading.errors.map(\.source) == [.proxmox, .proxmox])
        #expect(reading.errors.allSatisfy { $0.kind == .other && $0.message.hasPrefix("line 6: net2: ") })
        #expect(ProxmoxReader.read(root: tree.appendingPathComponent("absent").path).directories.isEmpty)
    }

    /// The one bridge rule: a tagged NIC on a bridge that is not VLAN-aware belongs on
    /// `<bridge>v<tag>`; on a VLAN-aware (or unknown) bridge on the bridge itself.
    @Test func interfacesUseTheModelsBridgeRule() throws {
        let guest = ProxmoxConfigParser.parse(try Self.fixture("qemu-server/100.conf"), kind: .qemu, vmid: 100,
                                              path: "/etc/pve/qemu-server/100.conf").guest
        let aware = ProxmoxVMs.interfaces(guests: [guest], exists: { $0 == "tap100i0" }, vlanAware: { _ in true })
        #expect(aware == [VMInterface(domain: "web1", mac: "bc:24:11:5e:7a:01", tap: "tap100i0", bridge: "vmbr0",
                                      vlan: VMVLANRequest(tags: [10]), manager: .proxmoxQEMU, vmid: 100)])
        let plain = ProxmoxVMs.interfaces(guests: [guest], exists: { _ in true }, vlanAware: { _ in false })
        #expect(plain.map(\.bridge) == ["vmbr0v10", "vmbr1"])
        #expect(plain[1].vlan == VMVLANRequest(tags: [20, 30, 31, 32], trunk: true))
        #expect(VMInterface.intendedBridge(.proxmox(bridge: "vmbr0", tag: 10), networkBridge: { _ in nil }) == "vmbr0")
        #expect(VMInterface.intendedBridge(.proxmox(bridge: nil, tag: nil), networkBridge: { _ in nil }) == nil)
    }
}
