// Shared by the firewall fuzz targets (nft-json, iptables-save; scripts/fuzz/run compiles
// it into both): the firewall checks evaluate whatever ruleset parsed, in host mode, on a
// frame between the two ports of br0 as the ip hooks see it with br_netfilter on.
import KVMNetDiagnose
import KVMNetModel
import KVMNetSources

let firewallFuzzHost: Topology = {
    var t = Topology()
    t.links["br0"] = Link(name: "br0", index: 1, kind: .bridge, operState: .up)
    t.links["vnet0"] = Link(name: "vnet0", index: 2, kind: .tap, operState: .up, master: "br0")
    t.links["vnet1"] = Link(name: "vnet1", index: 3, kind: .tap, operState: .up, master: "br0")
    t.bridges["br0"] = Bridge(name: "br0", stpEnabled: false, ports: [BridgePort(name: "vnet0", state: .forwarding), BridgePort(name: "vnet1", state: .forwarding)])
    return t
}()

/// Diagnoses ``firewallFuzzHost`` with `firewall` and bridge-nf-call-iptables 1.
func diagnoseFirewall(_ firewall: FirewallFacts) {
    var facts = HostFacts()
    facts.sysctls[Sysctl.bridgeNFIptables] = SysctlValue(key: Sysctl.bridgeNFIptables, path: "/proc/sys/net/bridge/bridge-nf-call-iptables", value: "1")
    facts.firewall = firewall
    _ = diagnose(DiagSnapshot(topology: firewallFuzzHost, facts: facts), request: DiagRequest(.host))
}
