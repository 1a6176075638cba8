// libFuzzer target: the output of `iptables-legacy-save` (IptablesSaveParser), and the
// firewall checks evaluating whatever parses (host mode: a frame between two ports, as
// the ip hooks see it with br_netfilter).
import KVMNetDiagnose
import KVMNetFirewallReader
import KVMNetModel
import KVMNetSources

let host: Topology = {
    var t = Topology()
    t.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
    t.links["vnet0"] = Link(name: "vnet0", index: 2, kind: .tap, operState: .up, master: "br0")
    t.links["vnet1"] = Link(name: "vnet1", index: 3, kind: .tap, operState: .up, master: "br0")
    t.bridges["br0"] = Bridge(name: "br0", stpEnabled: false, ports: [BridgePort(name: "vnet0", state: .forwarding), BridgePort(name: "vnet1", state: .forwarding)])
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let legacy = try? IptablesSaveParser.parse(text) else { return 0 }
    var facts = HostFacts()
    facts.sysctls[Sysctl.bridgeNFIptables] = SysctlValue(key: Sysctl.bridgeNFIptables, path: "/proc/sys/net/bridge/bridge-nf-call-iptables", value: "1")
    facts.firewall = FirewallFacts(ruleset: legacy, source: "iptables-legacy-save", brNetfilterLoaded: true)
    _ = diagnose(DiagSnapshot(topology: host, facts: facts), request: DiagRequest(.host))
    return 0
}
