import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// Issue 12: the sysfs scan of bonds. `bonding_masters` is not a device; a bond's slaves
/// come from `bonding/slaves` and its `lower_<dev>`/`slave_<dev>` links too, so a tree in
/// the older layout (Tests/Fixtures/legacy-bonding, written by make-legacy-bonding.py),
/// whose slaves have no directory of their own, still counts them.
@Suite struct SysfsBondSlaveTests {
    static let legacy = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/legacy-bonding").path

    static func scanLegacy() -> ScanResult {
        TopologyScanner(procfsRoot: legacy + "/proc", sysfsRoot: legacy + "/sys").scan()
    }

    static func states(_ bond: Bond?) -> [String] {
        (bond?.slaves ?? []).map { "\($0.name) \($0.miiStatus.rawValue) \($0.linkFailureCount)" }
    }

    // MARK: pure

    @Test func slaveNamesComeFromTheFileThenFromLinks() {
        let entries = ["address", "bonding", "lower_eth6", "operstate", "slave_eth1", "slave_eth5"]
        #expect(SysfsValue.bondSlaveNames(slavesFile: "eth5 eth1", entries: entries) == ["eth5", "eth1", "eth6"])
        #expect(SysfsValue.bondSlaveNames(slavesFile: nil, entries: entries) == ["eth6", "eth1", "eth5"])
        #expect(SysfsValue.bondSlaveNames(slavesFile: "", entries: []) == [])
        #expect(SysfsValue.bondSlaveNames(slavesFile: "eth0  eth4\n", entries: ["lower_eth0", "slave_eth0", "lower_"]) == ["eth0", "eth4"])
    }

    // MARK: the committed fixture in the older layout

    @Test func legacyTreeScansWithoutErrors() {
        let r = Self.scanLegacy()
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.dump.links.map(\.link.name) == ["bond0", "bond1", "bond2", "bond3", "eth2", "eth5", "lo"])
    }

    @Test func legacyTreeSlaveCountsAndStates() {
        let topo = Self.scanLegacy().topology
        #expect(topo.bonds.keys.sorted() == ["bond0", "bond1", "bond2", "bond3"])
        // No directory for eth0 and eth4: read through slave_eth0/ and slave_eth4/.
        #expect(Self.states(topo.bonds["bond0"]) == ["eth0 up 0", "eth4 up 2"])
        #expect(topo.bonds["bond0"]?.mode == .unknown)
        #expect(topo.bonds["bond0"]?.miiUp == true)
        #expect(topo.bonds["bond0"]?.slavesUp == 2)
        // eth5 from its own directory, eth1 through slave_eth1/ only; name order.
        #expect(Self.states(topo.bonds["bond1"]) == ["eth1 down 3", "eth5 up 1"])
        #expect(topo.bonds["bond1"]?.slavesUp == 1)
        #expect(topo.bonds["bond1"]?.activeSlave == "eth5")
        #expect(topo.bonds["bond1"]?.slaves.map(\.isActive) == [false, true])
        #expect(topo.bonds["bond2"]?.slaves.isEmpty == true)
        #expect(topo.bonds["bond2"]?.miiUp == false)
        // No bonding/slaves file: the lower_ links; lower_eth7 wins over slave_eth7.
        #expect(Self.states(topo.bonds["bond3"]) == ["eth6 up 0", "eth7 down 1"])
        #expect(topo.bonds["bond3"]?.xmitHashPolicy == "layer2+3")
        #expect(topo.links["bonding_masters"] == nil)
    }

    // MARK: trees written by the test

    /// A real kernel's layout: every slave has its own directory and the bond links it as
    /// lower_<dev>; each slave is in the topology once, as its own directory says.
    @Test func currentKernelLayoutCountsEachSlaveOnce() throws {
        let t = SysfsTree()
        try t.device("bond0", index: 3, extra: ["uevent": "DEVTYPE=bond", "bonding/mode": "active-backup 1",
                                                "bonding/slaves": "veth1 veth0", "bonding/active_slave": "veth0"])
        for (name, index, mii) in [("veth0", 4, "up"), ("veth1", 5, "down")] {
            try t.device(name, index: index, extra: ["bonding_slave/mii_status": mii, "bonding_slave/link_failure_count": "0"])
            try t.link("sys/devices/virtual/net/\(name)/master", to: "../bond0")
            try t.link("sys/devices/virtual/net/bond0/lower_\(name)", to: "../\(name)")
        }
        try t.write("sys/class/net/bonding_masters", "bond0\n")
        let r = t.scan()
        #expect(r.errors.isEmpty, "\(r.errors)")
        // The bond's own read lists both (through lower_), in the kernel's order.
        #expect(r.dump.links.first { $0.link.name == "bond0" }?.bond?.slaves.map(\.name) == ["veth1", "veth0"])
        #expect(Self.states(r.topology.bonds["bond0"]) == ["veth0 up 0", "veth1 down 0"])
    }

    /// Kernels before 3.13: slave_<dev> links to the slave's directory, which has no
    /// bonding_slave/; the slaves then come from /proc/net/bonding, as before.
    @Test func slaveLinksWithoutBondingSlaveLeaveTheSlavesToProcfs() throws {
        let t = SysfsTree()
        try t.device("bond0", index: 3, extra: ["uevent": "DEVTYPE=bond", "bonding/mode": "active-backup 1",
                                                "bonding/slaves": "eth0"])
        try t.device("eth0", index: 2)
        try t.link("sys/devices/virtual/net/eth0/master", to: "../bond0")
        try t.link("sys/devices/virtual/net/bond0/slave_eth0", to: "../eth0")
        try t.write("proc/net/bonding/bond0", """
            Ethernet Channel Bonding Driver: v3.2.0

            Bonding Mode: fault-tolerance (active-backup)
            Primary Slave: None
            Currently Active Slave: eth0
            MII Status: up
            MII Polling Interval (ms): 100
            Up Delay (ms): 0
            Down Delay (ms): 0

            Slave Interface: eth0
            MII Status: up
            Speed: 1000 Mbps
            Duplex: full
            Link Failure Count: 4
            Permanent HW addr: 52:54:00:12:00:00
            Slave queue ID: 0

            """)
        let r = t.scan()
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.dump.links.first { $0.link.name == "bond0" }?.bond?.slaves.isEmpty == true)
        #expect(Self.states(r.topology.bonds["bond0"]) == ["eth0 up 4"])
    }
}
