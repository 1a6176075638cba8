import KVMNetDiagnose
import KVMNetModel
import KVMNetSources

/// The kernel lab's kvm-layout scenario (Tests/KernelLab/scenarios/kvm-layout.sh) as a
/// snapshot: bond0 (active-backup over veth0, veth1) carries bond0.10 into brvlan-10
/// and bond0.20 into brvlan-20; vm1 (vnet0) and vm3 (vnet2) sit on brvlan-10, vm2
/// (vnet1) on brvlan-20. Healthy everywhere except that vm1 and vm2 are in different VLANs.
enum Lab {
    static func kvmLayout() throws -> HostBuilder {
        var host = HostBuilder()
        host.bond("bond0", mode: .activeBackup, slaves: ["veth0", "veth1"], active: "veth0")
        host.link("eth0", .physical, addresses: ["192.0.2.10/24"])
        host.vlan("bond0.10", id: 10, parent: "bond0")
        host.vlan("bond0.20", id: 20, parent: "bond0")
        host.bridge("brvlan-10", ports: ["bond0.10"])
        host.bridge("brvlan-20", ports: ["bond0.20"])
        host.vm("vm1", tap: "vnet0", bridge: "brvlan-10", mac: "52:54:00:6b:3c:01")
        host.vm("vm2", tap: "vnet1", bridge: "brvlan-20", mac: "52:54:00:6b:3c:02")
        host.vm("vm3", tap: "vnet2", bridge: "brvlan-10", mac: "52:54:00:6b:3c:03")
        host.sysctl(Sysctl.ipForward, "0")
        host.defaultRoute(dev: "eth0")
        host.facts.ifcfg = try FixtureFiles.ifcfg("ifcfg-lab")
        host.files = [SourceFile(kind: "bonding", path: "/proc/net/bonding/bond0", text: bondingText),
                      SourceFile(kind: "vlan", path: "/proc/net/vlan/config", text: vlanConfigText)]
        return host
    }

    static let bondingText = """
        Ethernet Channel Bonding Driver: v6.1.0-28-amd64

        Bonding Mode: fault-tolerance (active-backup)
        Primary Slave: None
        Currently Active Slave: veth0
        MII Status: up
        MII Polling Interval (ms): 100
        Up Delay (ms): 0
        Down Delay (ms): 0
        Peer Notification Delay (ms): 0

        Slave Interface: veth0
        MII Status: up
        Speed: 10000 Mbps
        Duplex: full
        Link Failure Count: 0
        Permanent HW addr: 3a:1f:00:aa:00:01
        Slave queue ID: 0

        Slave Interface: veth1
        MII Status: up
        Speed: 10000 Mbps
        Duplex: full
        Link Failure Count: 0
        Permanent HW addr: 3a:1f:00:aa:00:02
        Slave queue ID: 0

        """

    static let vlanConfigText = """
        VLAN Dev name\t | VLAN ID
        Name-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD
        bond0.10       | 10  | bond0
        bond0.20       | 20  | bond0

        """
}

/// Shorthands for running a diagnosis in tests.
extension DiagSnapshot {
    func report(_ target: DiagRequest.Target = .host, options: DiagOptions = DiagOptions()) -> DiagReport {
        diagnose(self, request: DiagRequest(target, options: options))
    }
}

extension DiagReport {
    func findings(_ check: String) -> [Finding] { findings.filter { $0.check == check } }
    func outcome(_ check: String) -> CheckOutcome? { checks.first { $0.check == check } }
}
