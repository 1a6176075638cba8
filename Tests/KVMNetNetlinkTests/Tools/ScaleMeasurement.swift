import Foundation
import KVMNetModel
import Testing
@testable import KVMNetNetlink

/// Timings at the issue's scale (1,000 links, 100,000 FDB entries) in a test namespace.
/// A tool, not a test: no stage of `scripts/test` runs it (they skip `*Tool` suites);
/// `scripts/netlink-scale-measurement` (as root) runs it and prints the numbers.
@Suite struct ScaleMeasurementTool {
    static let enabled = ProcessInfo.processInfo.environment["KVMNET_MEASURE"] == "1"

    @Test(.enabled(if: enabled, "a tool: scripts/netlink-scale-measurement runs it"))
    func dumpAndDecodeAtScale() throws {
        try #require(KernelAccess.available, "\(KernelAccess.reason)")
        try withTestNamespace(prefix: "kvmnet-measure") { ns in
            let pairs = 500, fdbEntries = 100_000
            var lines = ["link add br0 type bridge", "link set br0 up"]
            for i in 0..<pairs {
                lines += ["link add m\(i) type veth peer name m\(i)p", "link set m\(i) master br0",
                          "link set m\(i) up", "link set m\(i)p up"]
            }
            try ns.ipBatch(lines)
            var fdb: [String] = []
            for i in 0..<fdbEntries {
                fdb.append(String(format: "fdb add 02:00:%02x:%02x:%02x:01 dev m%d master static",
                                  (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, i % pairs))
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(ns.name).fdb")
            try fdb.joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            try Command.run(["bridge", "-n", ns.name, "-batch", file.path])

            let result = try ns.run { () -> String in
                var dumpTimes: [Double] = []
                var dump = FullDump()
                for _ in 0..<5 {
                    let t0 = Date()
                    dump = try NetlinkTopologyDump.dump()
                    dumpTimes.append(Date().timeIntervalSince(t0))
                }
                let raw = try rawDump(.fdb)
                let t1 = Date()
                var decoded = 0
                for m in raw where (try? NetlinkMessageDecoder.fdbEntry(in: m)) != nil { decoded += 1 }
                let decodeSeconds = Date().timeIntervalSince(t1)
                let linkRaw = try rawDump(.links)
                let t2 = Date()
                for m in linkRaw { _ = try NetlinkMessageDecoder.linkUpdate(in: m) }
                let linkDecodeSeconds = Date().timeIntervalSince(t2)
                dumpTimes.sort()
                return "links \(dump.links.count), fdb entries \(dump.fdb.count); full dump (links+fdb+addrs) "
                    + String(format: "min %.0f ms, median %.0f ms, max %.0f ms; ", dumpTimes[0] * 1000, dumpTimes[2] * 1000, dumpTimes[4] * 1000)
                    + "decoding \(raw.count) FDB messages from bytes: \(String(format: "%.0f", decodeSeconds * 1000)) ms (\(decoded) entries); "
                    + "\(linkRaw.count) link messages: \(String(format: "%.1f", linkDecodeSeconds * 1000)) ms"
            }
            print("MEASURE \(result)")
            let show = try cpuTimes(3) { _ = try ns.bridge("fdb", "show") }
            let fdbOnly = try ns.run { () -> String in
                var out = ""
                for size in [16 * 1024, 32 * 1024] {
                    out += "\(size / 1024) KiB: " + (try cpuTimes(3) { _ = try rawDump(.fdb, messageBufferSize: size) }) + "; "
                }
                return out
            }
            print("MEASURE bridge fdb show (wall, this thread's CPU excluded): \(show)")
            print("MEASURE FDB dump alone, by recv buffer: \(fdbOnly)")
        }
    }

    /// Wall time and the calling thread's CPU time (user + kernel: a netlink dump runs in
    /// the receiving thread's system calls), which a loaded machine disturbs less.
    func cpuTimes(_ n: Int, _ body: () throws -> Void) rethrows -> String {
        var parts: [String] = []
        for _ in 0..<n {
            var c0 = timespec(), c1 = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0)
            let t0 = Date()
            try body()
            let wall = Date().timeIntervalSince(t0)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1)
            let cpu = Double(c1.tv_sec - c0.tv_sec) + Double(c1.tv_nsec - c0.tv_nsec) / 1e9
            parts.append(String(format: "%.0f ms wall / %.0f ms cpu", wall * 1000, cpu * 1000))
        }
        return parts.joined(separator: ", ")
    }
}
