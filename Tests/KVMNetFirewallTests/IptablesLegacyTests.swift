import Foundation
import KVMNetDiagnose
import KVMNetFirewallReader
import KVMNetModel
import Testing

/// iptables-legacy's rules (x_tables, invisible to nft) as the real `iptables-legacy-save`
/// prints them (Fixtures/make-legacy-rulesets.sh), parsed and evaluated on FirewallTests'
/// host (vm1 and vm2 on br0); and ebtables-nft's rules, which nft shows as its bridge family.
@Suite struct IptablesLegacyTests {
    static func text(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).txt")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func fixture(_ name: String) throws -> FirewallRuleset { try IptablesSaveParser.parse(text(name)) }

    /// The 1-based line of the fixture that is exactly `line`.
    static func lineNumber(_ name: String, of line: String) throws -> Int {
        let lines = try text(name).split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0 == line }) + 1
    }

    func report(_ ruleset: FirewallRuleset, bridgeNF: String? = "1", _ target: DiagRequest.Target = .path(from: "vm1", to: "vm2")) -> DiagReport {
        diagnose(FirewallTests.host(ruleset, bridgeNF: bridgeNF), request: DiagRequest(target))
    }

    func firewallFindings(_ r: DiagReport) -> [Finding] { r.findings.filter { $0.check.hasPrefix("firewall.") } }

    @Test func dockersLegacyRulesetParsesWithHooksPrioritiesAndLines() throws {
        let rs = try Self.fixture("legacy-docker")
        let forward = try #require(rs.chain(family: "ip", table: "filter", name: "FORWARD", origin: .iptablesLegacy))
        #expect(forward.hook == "forward" && forward.priority == 0 && forward.type == "filter" && forward.policy == .drop)
        #expect(forward.qualifiedName == "iptables-legacy filter FORWARD")
        // Not an nf_tables chain: the lookup without origin finds none.
        #expect(rs.chain(family: "ip", table: "filter", name: "FORWARD") == nil)
        let user = try #require(rs.chain(family: "ip", table: "filter", name: "DOCKER-USER", origin: .iptablesLegacy))
        #expect(user.hook == nil && user.policy == nil)
        let postrouting = try #require(rs.chain(family: "ip", table: "nat", name: "POSTROUTING", origin: .iptablesLegacy))
        #expect(postrouting.type == "nat" && postrouting.hook == "postrouting" && postrouting.priority == 100)
        // DOCKER in nat and in filter are two chains.
        #expect(rs.chains.filter { $0.name == "DOCKER" }.map(\.table).sorted() == ["filter", "nat"])

        // Every -A line is a rule, in order, its text the line and its handle the line number.
        let lines = try Self.text("legacy-docker").split(separator: "\n", omittingEmptySubsequences: false)
        let appends = lines.enumerated().filter { $0.element.hasPrefix("-A ") }
        #expect(rs.rules.map(\.text) == appends.map { String($0.element) })
        #expect(rs.rules.map(\.handle) == appends.map { $0.offset + 1 })
        #expect(rs.rules.allSatisfy { $0.origin == .iptablesLegacy && $0.family == "ip" })
        let rules = rs.rules(of: forward)
        #expect(rules.map(\.verdict) == [.jump("DOCKER-USER"), .jump("DOCKER-ISOLATION-STAGE-1"), .accept, .jump("DOCKER"), .accept, .accept])
        let related = try #require(rules.first { $0.text.contains("--ctstate") })
        #expect(related.matches == [FirewallMatch(field: .oifname, values: [.text("docker0")]),
                                    FirewallMatch(field: .ctState, op: .any, values: [.text("related"), .text("established")])])
        #expect(rules[4].matches == [FirewallMatch(field: .iifname, values: [.text("docker0")]),
                                     FirewallMatch(field: .oifname, op: .notEqual, values: [.text("docker0")])])
        let line = try Self.lineNumber("legacy-docker", of: "-A FORWARD -j DOCKER-USER")
        #expect(rules.first?.location == "iptables-legacy filter FORWARD, line \(line)")
        // nat's addrtype is not typed.
        #expect(rs.rules.contains { $0.table == "nat" && $0.matches.contains { $0.field == .other("-m addrtype --dst-type") } })
    }

    @Test func theTypedMatchesOfEveryKind() throws {
        let rs = try Self.fixture("legacy-matches")
        let forward = try #require(rs.chain(family: "ip", table: "filter", name: "FORWARD", origin: .iptablesLegacy))
        let rules = rs.rules(of: forward)
        try #require(rules.count == 8)
        // The LOG with its comment: no match, no verdict.
        #expect(rules[0].matches.isEmpty && rules[0].verdict == nil)
        #expect(rules[1].matches == [FirewallMatch(field: .physdevIsIn, op: .notEqual, values: []),
                                     FirewallMatch(field: .physdevIn, values: [.text("vnet+")]),
                                     FirewallMatch(field: .physdevOut, values: [.text("vnet1")])])
        #expect(rules[1].verdict == .drop)
        #expect(rules[2].matches == [FirewallMatch(field: .physdevIsBridged, op: .notEqual, values: [])])
        #expect(rules[3].matches == [FirewallMatch(field: .ipSaddr, values: [.prefix("10.0.0.0", 24)]),
                                     FirewallMatch(field: .ipDaddr, op: .notEqual, values: [.prefix("10.0.0.9", 32)]),
                                     FirewallMatch(field: .l4proto, values: [.text("icmp")]),
                                     FirewallMatch(field: .icmpType, values: [.text("echo-request")])])
        #expect(rules[3].verdict == .jump("to-vms"))
        #expect(rules[4].matches.last == FirewallMatch(field: .tcpDport, values: [.range("20", "22")]))
        #expect(rules[5].matches == [FirewallMatch(field: .ipSaddr, values: [.range("10.0.0.1", "10.0.0.9")]),
                                     FirewallMatch(field: .etherSaddr, values: [.text("52:54:00:00:00:01")])])
        #expect(rules[5].verdict == .goto("from-vms"))
        #expect(rules[6].matches == [FirewallMatch(field: .ctState, op: .notEqual, values: [.text("invalid"), .text("new")])])
        #expect(rules[7].matches == [FirewallMatch(field: .ctState, op: .any, values: [.text("established")])])
        let toVMs = try #require(rs.chain(family: "ip", table: "filter", name: "to-vms", origin: .iptablesLegacy))
        #expect(rs.rules(of: toVMs).first?.matches == [FirewallMatch(field: .iifname, values: [.text("br+")]),
                                                       FirewallMatch(field: .oifname, values: [.text("br0")])])
        // mangle and raw: base chains at their priorities; MARK and NOTRACK go on.
        #expect(rs.chain(family: "ip", table: "mangle", name: "FORWARD", origin: .iptablesLegacy)?.priority == -150)
        #expect(rs.chain(family: "ip", table: "raw", name: "PREROUTING", origin: .iptablesLegacy)?.priority == -300)
        #expect(rs.rules.filter { $0.table != "filter" }.allSatisfy { $0.verdict == nil && $0.matches.isEmpty })
        // No rule of this fixture has a match that is not typed.
        #expect(!rs.rules.contains { $0.matches.contains { if case .other = $0.field { return true } else { return false } } })
    }

    @Test func theMatchesDecideLikeTheKernel() throws {
        // vm1's request: past the physdev drops (it is bridged, it came in by a port), the
        // jump to to-vms returns, its MAC takes it to from-vms, which accepts echo requests;
        // the reply is established. vm2's request falls to the policy.
        let rs = try Self.fixture("legacy-matches")
        #expect(firewallFindings(report(rs)).isEmpty, "\(report(rs).findings.map(\.explanation))")
        let back = firewallFindings(report(rs, .path(from: "vm2", to: "vm1")))
        #expect(back.map(\.check) == ["firewall.forward_drop_bridged"])
        #expect(back.first?.explanation.contains("the policy drop of chain iptables-legacy filter FORWARD") == true)
    }

    @Test func dockersLegacyForwardDropPolicyDropsBridgedVMTraffic() throws {
        let r = report(try Self.fixture("legacy-docker"))
        let f = try #require(r.findings.first { $0.check == "firewall.forward_drop_bridged" })
        #expect(f.explanation.contains("the policy drop of chain iptables-legacy filter FORWARD"), "\(f.explanation)")
        #expect(f.evidence.contains { $0.source == "iptables-legacy-save" && $0.attribute == "chain iptables-legacy filter FORWARD (hook forward, priority 0)" && $0.value == "policy drop" })
        #expect(f.fix.hasPrefix("iptables-legacy -I DOCKER-USER -i br0 -o br0 -j ACCEPT"), "\(f.fix)")
        #expect(r.status == .fail)
        // Without br_netfilter the ip hooks do not see bridged frames.
        #expect(firewallFindings(report(try Self.fixture("legacy-docker"), bridgeNF: "0")).isEmpty)
    }

    @Test(arguments: ["legacy-docker-user-accept", "legacy-docker-physdev"])
    func theUsualFixesAreVerified(fixture: String) throws {
        let r = report(try Self.fixture(fixture))
        #expect(firewallFindings(r).isEmpty, "\(r.findings.map(\.explanation))")
        #expect(firewallFindings(report(try Self.fixture(fixture), .path(from: "vm2", to: "vm1"))).isEmpty)
    }

    @Test func aRuleDropCitesItsLine() throws {
        let rule = "-A FORWARD -p icmp -m physdev --physdev-in vnet0 --physdev-out vnet1 -m icmp --icmp-type 8 -j DROP"
        let line = try Self.lineNumber("legacy-physdev-drop", of: rule)
        let f = try #require(report(try Self.fixture("legacy-physdev-drop")).findings.first { $0.check == "firewall.forward_drop_bridged" })
        #expect(f.evidence.contains { $0.source == "iptables-legacy-save" && $0.line == line
                && $0.attribute == "rule iptables-legacy filter FORWARD, line \(line)" && $0.value == rule }, "\(f.evidence)")
        #expect(f.explanation.contains("rule \"\(rule)\" (line \(line) of iptables-legacy-save)"), "\(f.explanation)")
        #expect(f.fix.hasPrefix("iptables-legacy -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT"), "\(f.fix)")
        // From vnet1 to vnet0 neither the request nor the reply is an echo request from vnet0.
        #expect(firewallFindings(report(try Self.fixture("legacy-physdev-drop"), .path(from: "vm2", to: "vm1"))).isEmpty)
    }

    @Test func aStringMatchIsUnverifiable() throws {
        let r = report(try Self.fixture("legacy-unverifiable"))
        let rule = "-A FORWARD -m string --string \"kvm\" --algo bm -j ACCEPT"
        let line = try Self.lineNumber("legacy-unverifiable", of: rule)
        let f = try #require(r.findings.first { $0.check == "firewall.unverifiable" })
        #expect(f.explanation.contains("rule \"\(rule)\" (line \(line) of iptables-legacy-save) of chain iptables-legacy filter FORWARD"), "\(f.explanation)")
        #expect(f.fix.contains("iptables-legacy-save -t filter"))
        #expect(!r.findings.contains { $0.check == "firewall.forward_drop_bridged" })
        let u32 = try #require(try Self.fixture("legacy-unverifiable").rules.last)
        #expect(u32.verdict == .reject && u32.matches == [FirewallMatch(field: .other("-m u32 --u32"), op: .other, values: [])])
    }

    // MARK: nft and iptables-legacy together: both hooks run.

    @Test func aLegacyDropIsFoundBesideAnNftAccept() throws {
        // nft's DOCKER-USER accepts br0, legacy's does not: the legacy FORWARD's jump must
        // reach legacy's DOCKER-USER, and its policy drops the frame.
        let both = try FirewallTests.fixture("docker-user-accept").merged(with: Self.fixture("legacy-docker"))
        let f = try #require(report(both).findings.first { $0.check == "firewall.forward_drop_bridged" })
        #expect(f.explanation.contains("chain iptables-legacy filter FORWARD"), "\(f.explanation)")
        #expect(f.evidence.contains { $0.source == "iptables-legacy-save" })
        // And the other way round: the legacy accept does not hide nft's policy drop.
        let other = try FirewallTests.fixture("docker").merged(with: Self.fixture("legacy-docker-physdev"))
        let g = try #require(report(other).findings.first { $0.check == "firewall.forward_drop_bridged" })
        #expect(g.explanation.contains("the policy drop of chain ip filter FORWARD"), "\(g.explanation)")
        #expect(g.evidence.contains { $0.source == "nft" })
        // Both accept: nothing.
        let fixed = try FirewallTests.fixture("docker-user-accept").merged(with: Self.fixture("legacy-docker-user-accept"))
        #expect(firewallFindings(report(fixed)).isEmpty)
    }

    // MARK: ebtables-nft

    @Test func anEbtablesNftDropIsTheBridgeFamilys() throws {
        let rs = try FirewallTests.fixture("ebtables-nft")
        let rule = try #require(rs.rules.first)
        #expect(rule.matches == [FirewallMatch(field: .etherDaddr, values: [.text("52:54:00:00:00:02")])] && rule.verdict == .drop)
        let r = report(rs, bridgeNF: nil)
        let f = try #require(r.findings.first { $0.check == "firewall.bridge_family_drop" }, "\(r.findings.map(\.check))")
        #expect(f.evidence.contains { $0.attribute == "rule bridge filter FORWARD handle \(rule.handle ?? -1)" })
        // vm2 with another MAC: neither the request nor the reply goes to ...:02.
        var host = FirewallTests.host(rs, bridgeNF: nil)
        host.facts.domains[1].interfaces[0].mac = "52:54:00:00:00:09"
        let other = diagnose(host, request: DiagRequest(.path(from: "vm1", to: "vm2")))
        #expect(!other.findings.contains { $0.check.hasPrefix("firewall.") }, "\(other.findings.map(\.explanation))")
    }

    // MARK: malformed input

    @Test(arguments: [
        ("-A FORWARD -j DROP", 1),
        ("# c\n*filter\n:FORWARD DROP [0:0]\n", 2),
        ("*filter\n:FORWARD BLAH [0:0]\nCOMMIT", 2),
        ("*filter\n:FORWARD - [0:0]\nCOMMIT", 2),
        ("*filter\n:X ACCEPT [0:0]\nCOMMIT", 2),
        ("*filter\n:X - [0:0]\n:X - [0:0]\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m comment --comment \"x -j DROP\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A NOPE -j DROP\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -s\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A FORWARD ! ! -s 10.0.0.1 -j DROP\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A FORWARD --ctstate NEW -j DROP\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -g NOPE\nCOMMIT", 3),
        ("*filter\n:FORWARD DROP [0:0]\n\n-A FORWARD -j DROP !\nCOMMIT\nCOMMIT", 6),
        ("*filter\n*nat\nCOMMIT", 1),
        ("*filter\nhello\nCOMMIT", 2),
    ])
    func malformedInputIsATypedErrorWithItsLine(text: String, line: Int) {
        do {
            let rs = try IptablesSaveParser.parse(text)
            Issue.record("parsed: \(rs)")
        } catch {
            #expect(error.line == line, "\(error)")
        }
    }

    @Test func everyPrefixOfAFixtureParsesOrFailsCleanly() throws {
        // Bounded and total: each cut of the text is a ruleset or a typed error, never a trap.
        let text = try Self.text("legacy-matches")
        var parsed = 0
        for end in text.indices {
            if (try? IptablesSaveParser.parse(String(text[..<end]))) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
        #expect(try IptablesSaveParser.parse("").chains.isEmpty)
        // Counters (iptables-save -c) and CRLF line ends.
        let counted = try IptablesSaveParser.parse("*filter\r\n:FORWARD DROP [3:180]\r\n[3:180] -A FORWARD -i br0 -j ACCEPT\r\nCOMMIT\r\n")
        #expect(counted.rules.map(\.text) == ["-A FORWARD -i br0 -j ACCEPT"] && counted.rules.first?.handle == 3)
    }

    // MARK: the reader's view of /proc/net/ip_tables_names

    @Test func legacyTablesAreReadFromTheNamespacesProcfs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-iptnames-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("net"), withIntermediateDirectories: true)
        #expect(FirewallReader.legacyTables(procfsRoot: root.path).isEmpty)
        let names = root.appendingPathComponent("net/ip_tables_names")
        try "".write(to: names, atomically: true, encoding: .utf8)
        #expect(FirewallReader.legacyTables(procfsRoot: root.path).isEmpty)
        try "nat\nfilter\n".write(to: names, atomically: true, encoding: .utf8)
        #expect(FirewallReader.legacyTables(procfsRoot: root.path) == ["nat", "filter"])
        let facts = FirewallReader.read(procfsRoot: root.path, sysfsRoot: root.path, runningAsRoot: false)
        #expect(facts.ruleset == nil && facts.unavailable?.contains("needs root") == true)
    }
}
