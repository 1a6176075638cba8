import Foundation
import KVMNetModel
import KVMNetSources
import Testing

/// Which entries of `/sys/class/net` are devices (issue 12): `bonding_masters`, the
/// file the bonding module adds there, is not one and costs no error; a listed device
/// whose directory is gone is still reported as vanished.
@Suite struct SysfsDeviceListTests {
    @Test func bondingMastersIsNotADeviceAndNoError() throws {
        let t = SysfsTree()
        try t.device("bond0", index: 2, extra: ["uevent": "DEVTYPE=bond", "bonding/mode": "active-backup 1"])
        try t.write("sys/class/net/bonding_masters", "bond0\n")
        let r = t.scan()
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.dump.links.map(\.link.name) == ["bond0"])
        #expect(try SysfsLinkReader(sysfsRoot: t.root + "/sys").deviceNames().get() == ["bond0"])
    }

    @Test func aDeviceThatVanishedIsStillReported() throws {
        let t = SysfsTree()
        try t.device("eth0", index: 2)
        // The class/net link is listed, its directory is gone (unregistered mid-scan).
        try t.link("sys/class/net/eth1", to: "../../devices/virtual/net/eth1")
        let r = t.scan()
        #expect(r.dump.links.map(\.link.name) == ["eth0"])
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.source == .sysfs)
        #expect(r.errors.first?.kind == .missing)
        #expect(r.errors.first?.path.hasSuffix("/class/net/eth1/operstate") == true)
        #expect(r.errors.first?.message == "device vanished while being read")
    }
}
