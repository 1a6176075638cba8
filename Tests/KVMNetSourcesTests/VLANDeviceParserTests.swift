import Foundation
import KVMNetSources
import Testing

@Suite struct VLANDeviceParserTests {
    /// Header and counters of a 5.x-era file; `%30s %12llu` counter lines.
    static func sample(
        header: String = "eth0.5  VID: 5\t REORDER_HDR: 1  dev->priv_flags: 1",
        counters: [(String, String)] = [
            ("total frames received", "10"), ("total bytes received", "900"), ("Broadcast/Multicast Rcvd", "2"),
            ("", ""), ("total frames transmitted", "20"), ("total bytes transmitted", "1800"),
        ],
        device: String? = "Device: eth0",
        ingress: String? = "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:0",
        egress: String? = " EGRESS priority mappings: "
    ) -> String {
        var lines = [header]
        for (label, value) in counters {
            if label.isEmpty && value.isEmpty {
                lines.append("")
                continue
            }
            lines.append(String(repeating: " ", count: max(0, 30 - label.count)) + label + " "
                + String(repeating: " ", count: max(0, 12 - value.count)) + value)
        }
        if let device { lines.append(device) }
        if let ingress { lines.append(ingress) }
        if let egress { lines.append(egress) }
        return lines.joined(separator: "\n") + "\n"
    }

    func parse(_ text: String) throws -> VLANDeviceFile {
        try VLANDeviceParser.parse(text, file: "/proc/net/vlan/eth0.5")
    }

    func error(_ text: String) -> ProcfsParseError? {
        procfsParseError { () throws(ProcfsParseError) in
            _ = try VLANDeviceParser.parse(text, file: "/proc/net/vlan/eth0.5")
        }
    }

    @Test func centos7EgressMapWithTrailingSpace() throws {
        let name = "vlan_dev_centos7_ens33.100_egress-map.txt"
        let f = try VLANDeviceParser.parse(try ProcfsParserFixture.text(name), file: name)
        #expect(f.device == "ens33.100")
        #expect(f.id == 100)
        #expect(f.reorderHeader)
        #expect(f.privFlags == 0x1)
        #expect(f.receivedFrames == 0)
        #expect(f.receivedBytes == 0)
        #expect(f.receivedMulticast == 0)
        #expect(f.transmittedFrames == 145)
        #expect(f.transmittedBytes == 11140)
        #expect(f.parent == "ens33")
        #expect(f.ingressPriorityMap == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(f.egressPriorityMap == [EgressMapping(skbPriority: 0, vlanQoS: 2)])
        #expect(f.extraCounters.isEmpty)
    }

    @Test func synth61PrivFlagsLLX() throws {
        let name = "SYNTH_vlan_dev_6.1-6.8_priv_flags-llx.txt"
        let f = try VLANDeviceParser.parse(try ProcfsParserFixture.text(name), file: name)
        #expect(f.device == "bond0.100")
        #expect(f.id == 100)
        #expect(f.reorderHeader)
        #expect(f.privFlags == 0x1001)
        #expect(f.receivedFrames == 123456)
        #expect(f.receivedBytes == 98_765_432)
        #expect(f.receivedMulticast == 42)
        #expect(f.transmittedFrames == 65432)
        #expect(f.transmittedBytes == 7_654_321)
        #expect(f.parent == "bond0")
        #expect(f.ingressPriorityMap == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(
            f.egressPriorityMap == [
                EgressMapping(skbPriority: 0, vlanQoS: 3), EgressMapping(skbPriority: 1, vlanQoS: 3),
            ])
    }

    @Test func twoSixEraExtraCountersAndNoEgress() throws {
        var counters = Self.sample().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // 2.6 kernels printed two more counters after the transmit ones.
        counters.insert("            total headroom inc            3", at: 7)
        counters.insert("           total encap on xmit           20", at: 8)
        let f = try parse(counters.joined(separator: "\n"))
        #expect(f.extraCounters == ["total headroom inc": 3, "total encap on xmit": 20])
        #expect(f.transmittedBytes == 1800)
        #expect(f.egressPriorityMap == [])
        #expect(f.privFlags == 1)
    }

    @Test func sixNineteenPrivFlagsAndNoReorder() throws {
        let f = try parse(
            Self.sample(
                header: "vlan7  VID: 7\t REORDER_HDR: 0  dev->priv_flags: 20021001",
                ingress: "INGRESS priority mappings: 0:7  1:6  2:5  3:4  4:3  5:2  6:1 7:0",
                egress: " EGRESS priority mappings: 1:5 3:4 7:7 "))
        #expect(f.device == "vlan7")
        #expect(f.id == 7)
        #expect(f.reorderHeader == false)
        #expect(f.privFlags == 0x2002_1001)
        #expect(f.ingressPriorityMap == [7, 6, 5, 4, 3, 2, 1, 0])
        #expect(f.egressPriorityMap.map(\.skbPriority) == [1, 3, 7])
        #expect(f.egressPriorityMap.map(\.vlanQoS) == [5, 4, 7])
    }

    @Test func crlfParsesTheSame() throws {
        let text = Self.sample(egress: " EGRESS priority mappings: 0:2 ")
        #expect(try parse(text.replacingOccurrences(of: "\n", with: "\r\n")) == parse(text))
    }

    @Test func emptyFileIsAnError() throws {
        let e = try #require(error(""))
        #expect(e.line == nil)
        #expect(e.message.contains("empty"))
    }

    @Test func otherFileIsAnError() throws {
        let e = try #require(error(try ProcfsParserFixture.text("vlan_config_ens224_two-vlans.txt")))
        #expect(e.line == 1)
        #expect(e.message.contains("not a /proc/net/vlan/<device> file"))
    }

    @Test(arguments: ["4095", "x", "", "-3"])
    func badVLANIDIsAnError(id: String) throws {
        let e = try #require(error(Self.sample(header: "eth0.5  VID: \(id)\t REORDER_HDR: 1  dev->priv_flags: 1")))
        #expect(e.line == 1)
        #expect(e.message.contains("bad VLAN id '\(id)'"))
    }

    @Test func badPrivFlagsIsAnError() throws {
        let e = try #require(error(Self.sample(header: "eth0.5  VID: 5\t REORDER_HDR: 1  dev->priv_flags: zz")))
        #expect(e.line == 1)
        #expect(e.message.contains("priv_flags"))
        #expect(e.message.contains("'zz'"))
    }

    @Test func badReorderIsAnError() throws {
        let e = try #require(error(Self.sample(header: "eth0.5  VID: 5\t REORDER_HDR: yes  dev->priv_flags: 1")))
        #expect(e.message.contains("REORDER_HDR"))
    }

    @Test func truncatedFilesAreErrors() throws {
        let noDevice = try #require(error(Self.sample(device: nil, ingress: nil, egress: nil)))
        #expect(noDevice.message.contains("Device:"))
        let noIngress = try #require(error(Self.sample(ingress: nil, egress: nil)))
        #expect(noIngress.message.contains("INGRESS"))
        let headerOnly = try #require(error("eth0.5  VID: 5\t REORDER_HDR: 1  dev->priv_flags: 1\n"))
        #expect(headerOnly.message.contains("total frames received"))
    }

    @Test func badCounterIsAnError() throws {
        let text = Self.sample().replacingOccurrences(of: "          900", with: "         lots")
        let e = try #require(error(text))
        #expect(e.line == 3)
        #expect(e.message.contains("total bytes received"))
        #expect(e.message.contains("'lots'"))
    }

    @Test(
        arguments: [
            "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0",
            "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 8:0",
            "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:x",
        ])
    func badIngressMapIsAnError(line: String) throws {
        let e = try #require(error(Self.sample(ingress: line)))
        #expect(e.line == 9)
        #expect(e.message.contains("INGRESS"))
    }

    @Test func badEgressMapIsAnError() throws {
        let e = try #require(error(Self.sample(egress: " EGRESS priority mappings: 0:2 1-3 ")))
        #expect(e.line == 10)
        #expect(e.message.contains("'1-3'"))
    }
}
