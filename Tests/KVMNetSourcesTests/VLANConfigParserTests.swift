import Foundation
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct VLANConfigParserTests {
    func error(_ text: String) -> ProcfsParseError? {
        procfsParseError { () throws(ProcfsParseError) in
            _ = try VLANConfigParser.parse(text, file: "/proc/net/vlan/config")
        }
    }

    @Test func ens224TwoVLANs() throws {
        let name = "vlan_config_ens224_two-vlans.txt"
        let f = try VLANConfigParser.parse(try ProcfsParserFixture.text(name), file: name)
        #expect(f.nameType == "VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD")
        #expect(f.badProtoRecvd == nil)
        #expect(
            f.entries == [
                VLANConfigEntry(device: "ens224.305", id: 305, parent: "ens224"),
                VLANConfigEntry(device: "ens224.99", id: 99, parent: "ens224"),
            ])
        #expect(
            f.vlanDevices == [
                VLANDevice(name: "ens224.305", id: 305, parent: "ens224"),
                VLANDevice(name: "ens224.99", id: 99, parent: "ens224"),
            ])
    }

    @Test func synthFifteenCharacterNameWithoutPadding() throws {
        let name = "SYNTH_vlan_config_long-name-no-padding.txt"
        let f = try VLANConfigParser.parse(try ProcfsParserFixture.text(name), file: name)
        #expect(f.nameType == "VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD")
        #expect(f.entries.map(\.device) == ["bond0.100", "enp129s0f0.4000", "vlan7"])
        #expect(f.entries.map(\.id) == [100, 4000, 7])
        #expect(f.entries.map(\.parent) == ["bond0", "enp129s0f0", "eth1"])
        #expect(f.vlanDevices.allSatisfy { $0.proto == nil })
    }

    @Test func badProtoRecvdAppendedToNameType() throws {
        let text = "VLAN Dev name\t | VLAN ID\n"
            + "Name-Type: VLAN_NAME_TYPE_PLUS_VID  bad_proto_recvd: 12\n"
            + "vlan0005       | 5  | eth0\n"
        let f = try VLANConfigParser.parse(text, file: "config")
        #expect(f.nameType == "VLAN_NAME_TYPE_PLUS_VID")
        #expect(f.badProtoRecvd == 12)
        #expect(f.entries == [VLANConfigEntry(device: "vlan0005", id: 5, parent: "eth0")])
    }

    @Test func noVLANsAndCRLF() throws {
        let f = try VLANConfigParser.parse(
            "VLAN Dev name\t | VLAN ID\r\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\r\n", file: "config")
        #expect(f.entries.isEmpty)
        #expect(f.nameType == "VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD")
    }

    /// The kernel forbids only '/', ':' and whitespace in names: '|' can be part of a name.
    /// Padding counts bytes, so a multi-byte name is padded with fewer spaces.
    @Test func namesWithBarAndMultibyteCharacters() throws {
        let text = "VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
            + "a|b.10         | 10  | a|b\n"
            + "vlän.20        | 20  | eth0\n"
            + "x|y|z.4094     | 4094  | x|y|z\n"
        let f = try VLANConfigParser.parse(text, file: "config")
        #expect(
            f.entries == [
                VLANConfigEntry(device: "a|b.10", id: 10, parent: "a|b"),
                VLANConfigEntry(device: "vlän.20", id: 20, parent: "eth0"),
                VLANConfigEntry(device: "x|y|z.4094", id: 4094, parent: "x|y|z"),
            ])
    }

    @Test func emptyFileIsAnError() throws {
        for text in ["", "\n\n"] {
            let e = try #require(error(text))
            #expect(e.line == nil)
            #expect(e.message.contains("empty"))
        }
    }

    @Test func otherFileIsAnError() throws {
        let e = try #require(error(try ProcfsParserFixture.text("bonding_balance-rr_rhel7_insights-BONDINFO_1.txt")))
        #expect(e.line == 1)
        #expect(e.message.contains("VLAN Dev name"))
    }

    @Test(arguments: ["abc", "4095", "-1", "99999999999999999999", ""])
    func badVLANIDIsAnError(id: String) throws {
        let text = "VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
            + "eth0.1         | 1  | eth0\n"
            + "eth0.x         | \(id)  | eth0\n"
        let e = try #require(error(text))
        #expect(e.line == 4)
        #expect(e.message.contains("bad VLAN id '\(id)'"))
        #expect(e.message.contains("eth0.x"))
    }

    @Test(arguments: ["eth0.5 5 eth0", "eth0.5         | 5", "eth0.5         | 5  |", "               | 5  | eth0"])
    func malformedRowIsAnError(row: String) throws {
        let e = try #require(error("VLAN Dev name\t | VLAN ID\n\(row)\n"))
        #expect(e.line == 2)
        #expect(e.message.contains("expected a row"))
    }

    @Test func badBadProtoRecvdIsAnError() throws {
        let e = try #require(error("VLAN Dev name\t | VLAN ID\nName-Type: X  bad_proto_recvd: many\n"))
        #expect(e.line == 2)
        #expect(e.message.contains("bad_proto_recvd"))
    }
}
