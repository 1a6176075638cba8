import Foundation
import KVMNetSources
import Testing

/// No input may trap: every cut, every deleted line and random text must end in a value or a
/// ProcfsParseError.
@Suite struct ProcfsRobustnessParserTests {
    /// Runs the three parsers; returns how many of them threw.
    @discardableResult
    func parseAll(_ text: String) -> Int {
        var thrown = 0
        do { _ = try BondingFileParser.parse(text, name: "bond0", file: "f") } catch { thrown += 1 }
        do { _ = try VLANConfigParser.parse(text, file: "f") } catch { thrown += 1 }
        do { _ = try VLANDeviceParser.parse(text, file: "f") } catch { thrown += 1 }
        return thrown
    }

    @Test func everyLinePrefixAndEveryDeletedLineOfEveryFixture() throws {
        for name in try ProcfsParserFixture.allNames() {
            let lines = try ProcfsParserFixture.text(name).split(separator: "\n", omittingEmptySubsequences: false)
            for count in 0...lines.count {
                parseAll(lines.prefix(count).joined(separator: "\n"))
            }
            for skip in lines.indices {
                var copy = lines
                copy.remove(at: skip)
                parseAll(copy.joined(separator: "\n"))
            }
        }
    }

    @Test func everyCharacterPrefixOfTwoFixtures() throws {
        for name in [
            "bonding_802.3ad_ubuntu22.04_5.15.0-91-generic_lacp-active_partner.txt",
            "vlan_dev_centos7_ens33.100_egress-map.txt",
        ] {
            let text = try ProcfsParserFixture.text(name)
            var prefix = ""
            for character in text {
                prefix.append(character)
                parseAll(prefix)
            }
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
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<(next() % 60) { text += pieces[next() % pieces.count] }
            parseAll(text)
        }
    }
}
