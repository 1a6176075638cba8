import Foundation
import KVMNetSources
import Testing

/// No input may trap, and what a parser makes of damaged input must be true to it: every
/// cut, every deleted line and random text ends in a value or a ``ProcfsParseError`` that
/// names the file and a line of the input, the same input always gives the same outcome,
/// and an accepted damaged file holds nothing that the intact file does not (no slave,
/// VLAN or parent invented, the slaves of a cut file are the first slaves of the whole).
@Suite struct ProcfsRobustnessParserTests {
    /// Which parser a fixture is for, from its name.
    enum Kind: CaseIterable {
        case bonding, vlanConfig, vlanDevice

        init?(fixture name: String) {
            if name.contains("bonding_") { self = .bonding }
            else if name.contains("vlan_config") { self = .vlanConfig }
            else if name.contains("vlan_dev") { self = .vlanDevice }
            else { return nil }
        }
    }

    /// What a parse gave, reduced to what the checks compare.
    enum Outcome: Equatable {
        /// Accepted; the names it found (slaves, VLAN devices and parents, in order).
        case accepted(names: [String])
        case refused(ProcfsParseError)

        var names: [String]? { if case .accepted(let n) = self { return n } else { return nil } }
        var error: ProcfsParseError? { if case .refused(let e) = self { return e } else { return nil } }
    }

    static let file = "f"

    static func parse(_ kind: Kind, _ text: String) -> Outcome {
        do throws(ProcfsParseError) {
            switch kind {
            case .bonding:
                let b = try BondingFileParser.parse(text, name: "bond0", file: file)
                return .accepted(names: b.bond.slaves.map(\.name))
            case .vlanConfig:
                let c = try VLANConfigParser.parse(text, file: file)
                return .accepted(names: c.entries.flatMap { [$0.device, $0.parent] })
            case .vlanDevice:
                let d = try VLANDeviceParser.parse(text, file: file)
                return .accepted(names: [d.device, d.parent].filter { !$0.isEmpty })
            }
        } catch {
            return .refused(error)
        }
    }

    /// Parses `text` with `kind` twice and checks what every outcome must satisfy.
    /// - Returns: the outcome.
    @discardableResult
    func check(_ kind: Kind, _ text: String, _ context: @autoclosure () -> String) -> Outcome {
        let outcome = Self.parse(kind, text)
        #expect(Self.parse(kind, text) == outcome, "\(context()): two parses of the same text differ")
        if let e = outcome.error {
            #expect(e.file == Self.file, "\(context()): error names \"\(e.file)\", not the file given: \(e)")
            #expect(!e.message.isEmpty, "\(context()): error without a message")
            // "\r\n" is one Character in Swift: count it as the line break it is.
            let lineCount = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
            if let line = e.line {
                #expect((1...max(1, lineCount + 1)).contains(line), "\(context()): error at line \(line) of a \(lineCount)-line text: \(e)")
            }
        }
        for name in outcome.names ?? [] {
            #expect(text.contains(name), "\(context()): \"\(name)\" is not in the text")
        }
        return outcome
    }

    static func fixtures() throws -> [(name: String, kind: Kind, text: String)] {
        try ProcfsParserFixture.allNames().compactMap { name in
            guard let kind = Kind(fixture: name) else { return nil }
            return (name, kind, try ProcfsParserFixture.text(name))
        }
    }

    @Test func everyFixtureHasAParserAndParsesWhole() throws {
        let all = try ProcfsParserFixture.allNames()
        let known = try Self.fixtures()
        #expect(known.count == all.count, "fixtures no parser is chosen for: \(Set(all).subtracting(known.map(\.name)).sorted())")
        for kind in Kind.allCases {
            #expect(known.contains { $0.kind == kind }, "no fixture for \(kind)")
        }
        for f in known {
            let whole = check(f.kind, f.text, f.name)
            #expect(whole.error == nil, "\(f.name): the intact file is refused: \(String(describing: whole.error))")
        }
    }

    @Test func everyLinePrefixAndEveryDeletedLineOfEveryFixture() throws {
        var refused = 0, accepted = 0
        for f in try Self.fixtures() {
            guard let whole = Self.parse(f.kind, f.text).names else {
                Issue.record("\(f.name): the intact file is refused")
                continue
            }
            let lines = f.text.split(separator: "\n", omittingEmptySubsequences: false)
            for count in 0...lines.count {
                let outcome = check(f.kind, lines.prefix(count).joined(separator: "\n"), "\(f.name), first \(count) lines")
                if let names = outcome.names {
                    accepted += 1
                    if f.kind == .bonding {
                        // A cut file has the first slaves of the whole one (the last maybe cut short).
                        #expect(Array(whole.prefix(names.count)) == names, "\(f.name), first \(count) lines: slaves \(names), whole file \(whole)")
                    } else {
                        #expect(Set(names).isSubset(of: whole), "\(f.name), first \(count) lines: \(names) not in \(whole)")
                    }
                } else {
                    refused += 1
                }
            }
            for skip in lines.indices {
                var copy = lines
                copy.remove(at: skip)
                let outcome = check(f.kind, copy.joined(separator: "\n"), "\(f.name) without line \(skip + 1)")
                if let names = outcome.names {
                    #expect(Set(names).isSubset(of: whole), "\(f.name) without line \(skip + 1): \(names) not in \(whole)")
                }
            }
            // The other parsers on this file: a value or an error, never a trap.
            for other in Kind.allCases where other != f.kind {
                check(other, f.text, "\(f.name) read as \(other)")
            }
        }
        // Both ways out are taken: damage is noticed, and a cut file still gives what it has.
        #expect(refused > 0 && accepted > 0, "refused \(refused), accepted \(accepted)")
    }

    @Test func everyCharacterPrefixOfTwoFixtures() throws {
        for (name, kind) in [
            ("bonding_802.3ad_ubuntu22.04_5.15.0-91-generic_lacp-active_partner.txt", Kind.bonding),
            ("vlan_dev_centos7_ens33.100_egress-map.txt", Kind.vlanDevice),
        ] {
            let text = try ProcfsParserFixture.text(name)
            let whole = try #require(Self.parse(kind, text).names, "\(name): the intact file is refused")
            var prefix = ""
            var refused = 0
            for character in text {
                prefix.append(character)
                let outcome = check(kind, prefix, "\(name), first \(prefix.count) characters")
                guard let names = outcome.names else {
                    refused += 1
                    continue
                }
                if kind == .bonding {
                    // The last slave's name may itself be cut ("ens1f" of "ens1f1").
                    for (i, n) in names.enumerated() where i < whole.count {
                        #expect(whole[i].hasPrefix(n), "\(name), first \(prefix.count) characters: slave \(n), whole file \(whole)")
                    }
                    #expect(names.count <= whole.count, "\(name), first \(prefix.count) characters: \(names)")
                }
            }
            #expect(refused > 0, "\(name): no character prefix refused")
            #expect(Self.parse(kind, prefix).names == whole)
        }
    }

    @Test func randomText() {
        let pieces = [
            ":", ": ", " ", "\t", "\n", "\r\n", "|", "0", "7", "4095", "-1", "99999999999999999999", "x", "é",
            "N/A", "Slave Interface", "Bonding Mode", "MII Status", "Aggregator ID", "details actor lacp pdu",
            "port state", "VID", "VLAN Dev name", "Name-Type", "Device", "INGRESS priority mappings",
            "EGRESS priority mappings", "dev->priv_flags", "up", "Unknown", "Mbps", "(", ")", "\u{0}",
        ]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        var refused: [Kind: Int] = [:]
        for i in 0..<2000 {
            var text = ""
            for _ in 0..<(next() % 60) { text += pieces[next() % pieces.count] }
            for kind in Kind.allCases where check(kind, text, "random text \(i) as \(kind): \(text.debugDescription)").error != nil {
                refused[kind, default: 0] += 1
            }
        }
        // Random text is mostly not a /proc file: each parser must say so for most of it.
        for kind in Kind.allCases {
            #expect(refused[kind, default: 0] > 1000, "\(kind) refused only \(refused[kind, default: 0]) of 2000 random texts")
        }
    }
}
