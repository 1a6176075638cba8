import KVMNetDiagnose
import KVMNetModel
import KVMNetSources

/// Builds snapshots in code, device by device, so each test states the one thing it breaks.
struct HostBuilder {
    var topology = Topology()
    var facts = HostFacts(libvirtDirectories: ["/run/libvirt/qemu"], proxmoxDirectories: ["/etc/pve/qemu-server"], ifcfgDirectory: "/etc/sysconfig/network-scripts",
                          routes: [], routesPath: "/proc/net/route", addressSource: .netlink,
                          firewall: FirewallFacts(ruleset: FirewallRuleset(), brNetfilterLoaded: false))
    var files: [SourceFile] = []
    var errors: [SourceError] = []
    var fdbMoves: [String: UInt64]? = [:]
    var runningAsRoot = true
    var sources: [Source] = [.sysfs, .procfs]

    mutating func link(_ name: String, _ kind: LinkKind, master: String? = nil, up: Bool = true,
                       mtu: Int = 1500, mac: String? = nil, speed: Int? = nil, addresses: [String] = []) {
        topology.links[name] = Link(
            name: name, index: topology.links.count + 1, kind: kind, operState: up ? .up : .down,
            adminUp: true, carrier: up, mtu: mtu, address: mac, speedMbps: speed, master: master,
            addresses: addresses)
    }

    mutating func bond(_ name: String, mode: BondMode = .activeBackup, slaves: [String], active: String? = nil,
                       miimon: Int = 100, down: Set<String> = [], speed: Int = 10000) {
        link(name, .bond)
        var bond = Bond(name: name, mode: mode, miiUp: down.count < slaves.count, miimonMs: miimon,
                        activeSlave: mode.hasActiveSlave ? (active ?? slaves.first) : nil)
        for slave in slaves {
            link(slave, .physical, master: name, up: !down.contains(slave), speed: speed)
            bond.slaves.append(BondSlave(name: slave, miiStatus: down.contains(slave) ? .down : .up,
                                         isActive: slave == bond.activeSlave, speedMbps: speed, duplex: "full"))
        }
        topology.bonds[name] = bond
    }

    mutating func vlan(_ name: String, id: Int, parent: String, master: String? = nil) {
        link(name, .vlan, master: master)
        topology.vlans[name] = VLANDevice(name: name, id: id, parent: parent, proto: "802.1Q")
    }

    mutating func bridge(_ name: String, ports: [String], stp: Bool = false, addresses: [String] = []) {
        link(name, .bridge, addresses: addresses)
        topology.bridges[name] = Bridge(name: name, stpEnabled: stp,
                                        ports: ports.map { BridgePort(name: $0, state: .forwarding) })
        for port in ports { topology.links[port]?.master = name }
    }

    /// A running domain with one bridged interface, its tap on `bridge`.
    mutating func vm(_ name: String, tap: String, bridge: String?, mac: String, xmlBridge: String? = nil,
                     running: Bool = true, linkState: String? = nil) {
        link(tap, .tap, master: bridge, mac: "fe" + mac.dropFirst(2))
        if let bridge { topology.bridges[bridge]?.ports.append(BridgePort(name: tap, state: .forwarding)) }
        let iface = LibvirtInterface(
            type: "bridge", sourceBridge: xmlBridge ?? bridge, targetDevice: running ? tap : nil, mac: mac,
            linkState: linkState, model: "virtio", line: 60,
            childLines: ["mac": 61, "source": 62, "target": 63, "link": 64])
        facts.domains.append(LibvirtDomain(name: name, running: running,
                                           file: running ? "/run/libvirt/qemu/\(name).xml" : "/etc/libvirt/qemu/\(name).xml",
                                           interfaces: [iface]))
    }

    mutating func sysctl(_ key: String, _ value: String) {
        facts.sysctls[key] = SysctlValue(key: key, path: "/proc/sys/" + key.split(separator: ".").joined(separator: "/"), value: value)
    }

    mutating func defaultRoute(via gateway: String = "192.0.2.1", dev: String) {
        facts.routes = (facts.routes ?? []) + [Route(interface: dev, destination: "0.0.0.0", gateway: gateway,
                                                     prefixLength: 0, metric: 0, flags: 3, line: 2)]
    }

    func snapshot() -> DiagSnapshot {
        DiagSnapshot(takenAt: "2026-11-29T00:00:00Z", hostname: "kvm1", runningAsRoot: runningAsRoot,
                     topologySources: sources, topology: topology, facts: facts, files: files,
                     errors: errors, fdbMoves: fdbMoves, fdbMovesWindowSeconds: fdbMoves == nil ? nil : 300)
    }
}
