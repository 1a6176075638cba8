// The render path without HTTP: HostState (resync of a synthetic host), snapshot after
// each change, MetricsRenderer.renderParts. Built by scripts/bench/render/run with the
// sources of KVMNetModel, KVMNetState and KVMNetMetrics in one module.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }

let nbr = 10, pairs = 500, fdbN = 100_000
// Layout (second argument): `default` as above (500 bridge ports); `ports` both ends of every
// veth pair on a bridge (1,000 ports); `vlan` the same 1,000 ports on VLAN-aware bridges,
// half with a 2-4094 trunk, half with a PVID (issue 13); `vlanchange` the same, and each
// change also moves one port to another PVID, so every render makes the VLAN families anew
// (the worst case: the change before each render is a VLAN change).
let layout = CommandLine.arguments.dropFirst(2).first ?? "default"
let vlanChanges = layout == "vlanchange"
let vlanAware = layout == "vlan" || vlanChanges, allPorts = layout == "ports" || vlanAware
let trunk = BridgeVLANSet(ranges: [.init(first: 2, last: 4094)])
func access(_ i: Int) -> BridgeVLANSet { let v = 10 + i % 50; return BridgeVLANSet(ranges: [.init(vid: v, untagged: true)], pvid: v) }
var links: [LinkUpdate] = []
var idx = 1
links.append(LinkUpdate(link: Link(name: "lo", index: idx, kind: .loopback, operState: .unknown, adminUp: true, carrier: true, mtu: 65536)))
idx += 1
var brIndex: [Int] = []
for b in 0..<nbr {
    links.append(LinkUpdate(link: Link(name: "br\(b)", index: idx, kind: .bridge, operState: .up, adminUp: true, carrier: true, carrierChanges: 1, mtu: 1500, address: "02:00:00:00:00:\(b)"), bridge: Bridge(name: "br\(b)", stpEnabled: false, ageingTimeSeconds: 300, vlanFiltering: vlanAware, vlanProtocol: vlanAware ? .dot1Q : nil, defaultPVID: vlanAware ? 1 : nil), bridgeVLANs: vlanAware ? access(0) : nil))
    brIndex.append(idx); idx += 1
}
var portIndex: [Int] = []
for i in 0..<pairs {
    let br = i % nbr
    links.append(LinkUpdate(link: Link(name: "va\(i)", index: idx, kind: .veth, operState: .up, adminUp: true, carrier: true, carrierChanges: 2, mtu: 1500, address: "02:aa:00:00:00:01"), masterIndex: brIndex[br], bridgePort: BridgePort(name: "va\(i)", state: .forwarding, pathCost: 2, priority: 32), bridgeVLANs: vlanAware ? trunk : nil))
    portIndex.append(idx); idx += 1
    links.append(LinkUpdate(link: Link(name: "vb\(i)", index: idx, kind: .veth, operState: .up, adminUp: true, carrier: true, carrierChanges: 2, mtu: 1500, address: "02:bb:00:00:00:01"), masterIndex: allPorts ? brIndex[(br + 1) % nbr] : nil, bridgePort: allPorts ? BridgePort(name: "vb\(i)", state: .forwarding, pathCost: 2, priority: 32) : nil, bridgeVLANs: vlanAware ? access(i) : nil))
    idx += 1
}
var fdb: [FDBEntry] = []
for n in 0..<fdbN {
    let i = n % pairs
    fdb.append(FDBEntry(mac: UInt64(n) | (2 << 40), vlan: vlanAware ? UInt16(10 + n % 50) : 0, bridgeIndex: Int32(brIndex[i % nbr]), portIndex: Int32(portIndex[i]), kind: .static))
}
let state = HostState()
state.resync(FullDump(links: links, fdb: fdb), reason: .initial)
let renderer = MetricsRenderer.standard(version: "bench", netlink: true)
let guardian = SeriesGuard(maxSeriesPerFamily: 10000)

var snapT: [Double] = [], renderT: [Double] = [], size = 0
let iters = Int(CommandLine.arguments.dropFirst().first ?? "50") ?? 50
for k in 0..<iters {
    var u = links[12 + (k * 7) % (2 * pairs)]
    u.link.operState = k % 2 == 0 ? .down : .up
    var changes: [TopologyChange] = [.linkUpdated(u)]
    if vlanChanges {
        let i = (k * 13) % pairs
        changes.append(.bridgeVLANsUpdated(index: portIndex[i] + 1, name: "vb\(i)", vlans: access(i + 1 + k % 2)))
    }
    state.apply(changes)
    let t0 = now()
    let snap = state.snapshot()
    let t1 = now()
    let (a, b) = renderer.renderParts(snap, seriesGuard: guardian)
    let t2 = now()
    size = a.count + b.count
    snapT.append((t1 - t0) * 1000); renderT.append((t2 - t1) * 1000)
}
func pct(_ v: [Double], _ p: Double) -> Double { let s = v.sorted(); return s[min(s.count - 1, Int((p / 100 * Double(s.count - 1)).rounded()))] }
print("\(layout): bytes \(size) snapshot p50 \(pct(snapT, 50)) p99 \(pct(snapT, 99)) | render p50 \(pct(renderT, 50)) p99 \(pct(renderT, 99)) ms")
if let path = getenv("DUMP") {
    let (a, b) = renderer.renderParts(state.snapshot(), seriesGuard: guardian)
    let f = fopen(path, "w"); fputs(String(decoding: a, as: UTF8.self) + "---\n" + String(decoding: b, as: UTF8.self), f); fclose(f)
}
do {
    let f = fopen("/proc/self/status", "r"); var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, f) != nil { let s = String(cString: line); if s.hasPrefix("VmRSS") || s.hasPrefix("VmHWM") { print(s, terminator: "") } }
    fclose(f)
}
