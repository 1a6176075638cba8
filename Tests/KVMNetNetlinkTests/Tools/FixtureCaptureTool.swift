import Foundation
import Testing
@testable import KVMNetNetlink

/// Writes `Fixtures/captured-6.18/`: raw messages from this machine's kernel for a small
/// KVM-like scenario (two bridges, veth "VM" ports, a tap, static FDB entries, IPs), the
/// dumps and the events of a few changes, and next to them iproute2's JSON of the same
/// moments (`ip -d -s -s -j link show`, `bridge -j fdb show`, `ip -j addr show`: at the
/// dump, before it and after it, and after each action), from which
/// `Fixtures/make-expected.py` writes every message's `.expected.json`.
///
/// A tool, not a test: no stage of `scripts/test` runs it (they skip `*Tool` suites).
/// Run it with `scripts/netlink-capture-fixtures` (as root), which also writes the
/// expected values. MAC addresses are set, so that a re-capture keeps them (and the
/// ifindexes follow from the order of creation in a new namespace).
@Suite struct FixtureCaptureTool {
    static let enabled = ProcessInfo.processInfo.environment["KVMNET_CAPTURE_FIXTURES"] == "1"

    @Test(.enabled(if: enabled, "a tool: scripts/netlink-capture-fixtures runs it"))
    func capture() throws {
        try #require(KernelAccess.available, "\(KernelAccess.reason)")
        let dir = FixtureLibrary.capturedHere
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let vm = try TestNamespace(prefix: "kvmnet-capvm")
        defer { vm.delete() }
        try withTestNamespace(prefix: "kvmnet-capture") { ns in
            try ns.ipBatch([
                "link add br0 type bridge",
                "link add br1 type bridge stp_state 1 forward_delay 400 ageing_time 12345",
                "link add vnet0 address 9e:d6:f9:bb:f0:c0 type veth peer name eth0 address da:f2:45:0c:d4:9d netns \(vm.name)",
                "link add vnet1 address ea:e9:2d:86:e9:3d type veth peer name vnet1p address 6e:a1:d0:1e:44:97",
                "tuntap add dev tap0 mode tap",
                "link set tap0 address e6:52:19:10:5e:1f",
                "link set vnet0 master br0",
                "link set tap0 master br0",
                "link set vnet1 master br1",
                "link set lo up", "link set br0 up", "link set br1 up",
                "link set vnet0 up", "link set vnet1 up", "link set vnet1p up", "link set tap0 up",
                "addr add 192.0.2.1/24 dev br0",
                "addr add 2001:db8::1/64 dev br0 nodad",
            ])
            try vm.ipBatch(["link set lo up", "link set eth0 up", "addr add 192.0.2.10/24 dev eth0"])
            _ = try vm.run { try sendUDP(to: "192.0.2.1") }
            usleep(300_000)
            try ns.bridge("fdb", "add", "02:00:00:00:00:aa", "dev", "vnet0", "master", "static")
            try ns.bridge("fdb", "add", "02:00:00:00:00:bb", "dev", "vnet1", "master", "static")

            try write(try ns.ip("-d", "link", "show"), "ip-d-link-show.txt", in: dir)
            try write(try ns.bridge("fdb", "show"), "bridge-fdb-show.txt", in: dir)
            try write(try ns.ip("addr", "show"), "ip-addr-show.txt", in: dir)
            /// iproute2's JSON of the namespace now, as `<prefix>.ip-link.json`, ...
            @Sendable func snapshot(_ prefix: String) throws {
                try write(try ns.ip("-d", "-s", "-s", "-j", "link", "show"), "\(prefix).ip-link.json", in: dir)
                try write(try ns.bridge("-j", "fdb", "show"), "\(prefix).bridge-fdb.json", in: dir)
                try write(try ns.ip("-j", "addr", "show"), "\(prefix).ip-addr.json", in: dir)
            }
            // Before and after the dumps: make-expected.py checks that nothing changed
            // in between (the dump is then what iproute2 saw).
            try snapshot("dump-before")

            try ns.run {
                for m in try rawDump(.links) {
                    let s = RawMessageSummary(m)
                    try write(m, "dump-link-\(s.name ?? "ifindex\(s.index)").nlmsg", in: dir)
                }
                for (i, m) in try rawDump(.fdb).enumerated() {
                    let s = RawMessageSummary(m)
                    try write(m, String(format: "dump-fdb-%02d-ifindex%d.nlmsg", i, s.index), in: dir)
                }
                for (i, m) in try rawDump(.addresses).enumerated() {
                    let s = RawMessageSummary(m)
                    try write(m, String(format: "dump-addr-%02d-%@-ifindex%d.nlmsg", i, s.familyName, s.index), in: dir)
                }

                try snapshot("dump")
                let recorder = try RawEventRecorder()
                let actions: [(String, [String])] = [
                    ("peer-down", ["ip", "-n", ns.name, "link", "set", "vnet1p", "down"]),
                    ("peer-up", ["ip", "-n", ns.name, "link", "set", "vnet1p", "up"]),
                    ("nomaster", ["ip", "-n", ns.name, "link", "set", "vnet1", "nomaster"]),
                    ("fdb-add", ["bridge", "-n", ns.name, "fdb", "add", "02:00:00:00:00:cc", "dev", "vnet0", "master", "static"]),
                    ("fdb-del", ["bridge", "-n", ns.name, "fdb", "del", "02:00:00:00:00:cc", "dev", "vnet0", "master", "static"]),
                    ("arp-add", ["ip", "-n", ns.name, "neigh", "add", "192.0.2.99", "lladdr", "02:00:00:00:00:99", "dev", "br0"]),
                    ("del-tap", ["ip", "-n", ns.name, "link", "del", "tap0"]),
                ]
                for (label, command) in actions {
                    try Command.run(command)
                    for (i, m) in recorder.drain(for: 1.5).enumerated() {
                        let s = RawMessageSummary(m)
                        let who = s.name ?? "ifindex\(s.index)"
                        try write(m, String(format: "event-%@-%02d-%@-%@-%@.nlmsg", label, i, s.typeName, s.familyName, who), in: dir)
                    }
                    try snapshot("event-\(label)")
                }
            }
        }
    }

    private func write(_ text: String, _ name: String, in dir: URL) throws {
        try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }
}
