// libFuzzer target: the JSON of `nft -j list ruleset` (NftRulesetParser), and the
// firewall checks evaluating whatever parses (Tests/Fuzz/support/firewall-host.swift).
import KVMNetFirewallReader
import KVMNetModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let ruleset = try? NftRulesetParser.parse(text) else { return 0 }
    diagnoseFirewall(FirewallFacts(ruleset: ruleset, brNetfilterLoaded: true))
    return 0
}
