import KVMNetDiagnose
import KVMNetSources
import Testing

@Suite struct ExitCodeTests {
    @Test func statusToExitCode() {
        #expect(ReportStatus.ok.exitCode == 0)
        #expect(ReportStatus.fail.exitCode == 1)
        #expect(ReportStatus.warn.exitCode == 2)
        #expect(ReportStatus.incomplete.exitCode == 3)
        #expect(ReportStatus.usageError.exitCode == 64)
    }

    @Test func cleanIsZeroWarnIsTwoFailIsOne() throws {
        var host = try Lab.kvmLayout()
        #expect(host.snapshot().report().exitCode == 0)
        host.topology.bonds["bond0"]?.miimonMs = 0
        #expect(host.snapshot().report().exitCode == 2)
        host.topology.bonds["bond0"]?.activeSlave = nil
        #expect(host.snapshot().report().exitCode == 1)
    }

    @Test func unreadableSourceIsThreeUnlessSomethingFails() throws {
        var host = try Lab.kvmLayout()
        host.topology.bonds["bond0"]?.miimonMs = 0
        host.errors = [SourceError(source: .procfsVLAN, path: "/proc/net/vlan/config", kind: .permission, message: "Permission denied")]
        let incomplete = host.snapshot().report()
        #expect(incomplete.status == .incomplete)
        #expect(incomplete.exitCode == 3)
        #expect(incomplete.verdict.hasSuffix("(data incomplete: 1 source unreadable)"))
        host.topology.bonds["bond0"]?.activeSlave = nil
        #expect(host.snapshot().report().exitCode == 1)
    }

    @Test func infoOnlyIsZero() throws {
        var host = try Lab.kvmLayout()
        host.facts.routes = []
        let report = host.snapshot().report(.external(from: "vm1"))
        #expect(report.findings.map(\.severity) == [.info])
        #expect(report.exitCode == 0)
    }

    @Test func unknownEndpointIs64() throws {
        #expect(try Lab.kvmLayout().snapshot().report(.external(from: "nope")).exitCode == 64)
    }
}
