import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

/// The join of two hosts' halves (diagnoseAcrossHosts), on the lab layout on both hosts:
/// vm1 and vm3 in VLAN 10 (bond0.10 -> brvlan-10), vm2 in VLAN 20.
@Suite struct CrossHostTests {
    static let vm1 = "52:54:00:6b:3c:01", vm2 = "52:54:00:6b:3c:02", vm3 = "52:54:00:6b:3c:03"

    func half(_ host: String, _ endpoint: String, learned: [FDBLocation]?, edit: (inout HostBuilder) -> Void = { _ in }) throws -> HostHalf {
        var b = try Lab.kvmLayout()
        edit(&b)
        return HostHalf(host: host, source: "http://\(host):9834/api/v1/snapshot", snapshot: b.snapshot(), endpoint: endpoint,
                        fdb: learned.map { FDBLookup(entries: $0) }, fdbUnavailable: learned == nil ? "no lookup" : nil)
    }

    static func onUplink(_ mac: String) -> FDBLocation {
        FDBLocation(mac: mac, bridge: "brvlan-10", port: "bond0.10", vlan: 0, kind: .learned)
    }

    func crossFindings(_ r: DiagReport) -> [String] { r.findings.filter { $0.host == nil }.map(\.check) }

    @Test func bothLearnedIsNoCrossHostFinding() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: [Self.onUplink(Self.vm3)]),
                                    try half("b", "vm3", learned: [Self.onUplink(Self.vm1)]))
        #expect(crossFindings(r).isEmpty, "\(r.findings.map(\.check))")
        #expect(r.checks.contains { $0.check == "crosshost.switch_not_forwarding" && $0.status == .passed })
        #expect(r.hosts?.map(\.host) == ["a", "b"])
        #expect(r.hosts?.first?.wireTags == [10])
        #expect(r.path?.rendered.hasPrefix("[a] vm1 vnet0 -- brvlan-10 -- bond0.10 [vlan 10]") == true, "\(r.path?.rendered ?? "")")
        // Each host's own findings carry their host.
        #expect(r.findings.allSatisfy { $0.host != nil })
    }

    @Test func neitherLearnedNamesTheSwitch() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: []), try half("b", "vm3", learned: []))
        let f = try #require(r.findings.first { $0.check == "crosshost.switch_not_forwarding" })
        #expect(f.severity == .fail)
        #expect(f.explanation.contains("VLAN 10 leaves a on bond0 and b on bond0 tagged; neither host has learned the other's MAC in VLAN 10"), "\(f.explanation)")
        #expect(r.status == .fail)
        #expect(r.path?.rendered.contains("[vlan 10] ==wire==  X  [vlan 10]") == true, "\(r.path?.rendered ?? "")")
    }

    @Test func oneWayOnlyIsNamed() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: [Self.onUplink(Self.vm3)]), try half("b", "vm3", learned: []))
        let f = try #require(r.findings.first { $0.check == "crosshost.switch_not_forwarding" })
        #expect(f.explanation.contains("forwards one way only, from b to a"), "\(f.explanation)")
    }

    @Test func differentWireVLANsFail() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: []), try half("b", "vm2", learned: []))
        #expect(crossFindings(r) == ["crosshost.wire_vlan_mismatch"], "\(r.findings.map(\.check))")
        #expect(r.checks.contains { $0.check == "crosshost.switch_not_forwarding" && $0.status == .skipped })
        #expect(r.status == .fail)
    }

    @Test func macOnALocalPortIsNamed() throws {
        let clone = FDBLocation(mac: Self.vm3, bridge: "brvlan-10", port: "vnet2", vlan: 0, kind: .learned)
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: [clone]), try half("b", "vm3", learned: [Self.onUplink(Self.vm1)]))
        let f = try #require(r.findings.first { $0.check == "crosshost.mac_elsewhere" })
        #expect(f.host == "a")
        #expect(f.explanation.contains("on vnet2 of brvlan-10, which is not its uplink bond0.10"), "\(f.explanation)")
    }

    /// The age an agent tells goes into the evidence and the texts, never into the verdict:
    /// an old entry on an idle healthy pair is still no finding.
    @Test func agesAreEvidenceNotVerdicts() throws {
        var seen = Self.onUplink(Self.vm3)
        seen.ageSeconds = 3.24
        let oneWay = diagnoseAcrossHosts(try half("a", "vm1", learned: [seen]), try half("b", "vm3", learned: []))
        let f = try #require(oneWay.findings.first { $0.check == "crosshost.switch_not_forwarding" })
        #expect(f.severity == .fail)
        #expect(f.explanation.contains("(it learned vm3's MAC on bond0.10, last frame 3.2 s ago)"), "\(f.explanation)")
        #expect(f.evidence.contains { $0.value == "learned on bond0.10, last frame 3.2 s ago" }, "\(f.evidence.map(\.value))")
        #expect(f.evidence.contains { $0.value == "not learned" })

        var idle = Self.onUplink(Self.vm3), idleBack = Self.onUplink(Self.vm1)
        idle.ageSeconds = 290
        idleBack.ageSeconds = 0
        let healthy = diagnoseAcrossHosts(try half("a", "vm1", learned: [idle]), try half("b", "vm3", learned: [idleBack]))
        let plain = diagnoseAcrossHosts(try half("a", "vm1", learned: [Self.onUplink(Self.vm3)]), try half("b", "vm3", learned: [Self.onUplink(Self.vm1)]))
        #expect(crossFindings(healthy).isEmpty)
        #expect(healthy.status == plain.status && healthy.verdict == plain.verdict)
        #expect(healthy.checks.map(\.status) == plain.checks.map(\.status))

        var clone = FDBLocation(mac: Self.vm3, bridge: "brvlan-10", port: "vnet2", vlan: 0, kind: .learned)
        clone.ageSeconds = 75.4
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: [clone]), try half("b", "vm3", learned: [Self.onUplink(Self.vm1)]))
        let m = try #require(r.findings.first { $0.check == "crosshost.mac_elsewhere" })
        #expect(m.explanation.contains("on vnet2 of brvlan-10, last frame 75 s ago, which is not its uplink bond0.10"), "\(m.explanation)")
    }

    @Test func noLookupSkipsTheFDBJoinAndNeverSaysOK() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: nil), try half("b", "vm3", learned: nil))
        #expect(r.checks.contains { $0.check == "crosshost.switch_not_forwarding" && $0.status == .skipped && $0.reason == "no lookup" })
        #expect(!r.verdict.contains("each host learned"))
    }

    @Test func anEndNotOnItsHostIsAUsageError() throws {
        let r = diagnoseAcrossHosts(try half("a", "vm1", learned: []), try half("b", "nosuchvm", learned: []))
        #expect(r.status == .usageError)
        #expect(r.verdict.contains("on b"), "\(r.verdict)")
    }

    @Test func secretsAreMaskedLineByLine() {
        let text = """
            [wifi-security]
            key-mgmt=wpa-psk
            psk=hunter2
            WPA_PSK="hunter2"
            <graphics type='vnc' port='5900' passwd='hunter2'/>
            password: hunter2
            mtu=9000
            """
        var s = DiagSnapshot(topology: Topology())
        s.files = [SourceFile(kind: "networkmanager", path: "/etc/x", text: text)]
        let masked = s.maskingSecrets().files[0].text
        #expect(!masked.contains("hunter2"), "\(masked)")
        #expect(masked.split(separator: "\n", omittingEmptySubsequences: false).count == text.split(separator: "\n", omittingEmptySubsequences: false).count)
        #expect(masked.contains("key-mgmt=wpa-psk") && masked.contains("mtu=9000") && masked.contains("port='5900'"))
        #expect(masked.contains("psk=********"))
    }
}
