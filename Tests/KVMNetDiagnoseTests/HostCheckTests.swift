import KVMNetDiagnose
import KVMNetModel
import KVMNetSources
import Testing

@Suite struct HostCheckTests {
    /// The lab plus libvirt's NAT bridge virbr0 with vm5 on it.
    private func natHost(forward: String) throws -> HostBuilder {
        var host = try Lab.kvmLayout()
        host.bridge("virbr0", ports: [], addresses: ["192.168.122.1/24"])
        host.vm("vm5", tap: "vnet5", bridge: "virbr0", mac: "52:54:00:00:00:05")
        host.sysctl(Sysctl.ipForward, forward)
        return host
    }

    @Test func ipForwardOffWarnsOnHostWithRoutedBridge() throws {
        let report = try natHost(forward: "0").snapshot().report()
        let finding = try #require(report.findings("host.ip_forward_off").first)
        #expect(finding.severity == .warn)
        #expect(finding.explanation.hasPrefix("IPv4 forwarding is off (net.ipv4.ip_forward=0), but guests on virbr0"))
        #expect(finding.evidence.first?.file == "/proc/sys/net/ipv4/ip_forward")
        #expect(finding.evidence.first?.value == "0")
    }

    @Test func ipForwardOffFailsForExternalOfARoutedVM() throws {
        let report = try natHost(forward: "0").snapshot().report(.external(from: "vm5"))
        let finding = try #require(report.findings("host.ip_forward_off").first)
        #expect(finding.severity == .fail)
        #expect(report.exitCode == 1)
        #expect(report.verdict.hasPrefix("vm5 cannot get out: IPv4 forwarding is off"))
        #expect(report.path?.rendered == "vm5 vnet5 -- virbr0 -- (host routing) [host.ip_forward_off]  X")
    }

    @Test func ipForwardOffQuietWhenOnOrWhenNothingIsRouted() throws {
        #expect(try natHost(forward: "1").snapshot().report().findings("host.ip_forward_off").isEmpty)
        // The lab has ip_forward=0 but only bridged-out guests: nothing needs routing.
        #expect(try Lab.kvmLayout().snapshot().report().findings("host.ip_forward_off").isEmpty)
        #expect(try Lab.kvmLayout().snapshot().report(.external(from: "vm1")).findings("host.ip_forward_off").isEmpty)
    }

    @Test func noDefaultRouteWarnsOnHost() throws {
        var host = try Lab.kvmLayout()
        host.facts.routes = [Route(interface: "eth0", destination: "192.0.2.0", gateway: "0.0.0.0",
                                   prefixLength: 24, metric: 0, flags: 1, line: 2)]
        let finding = try #require(host.snapshot().report().findings("host.no_default_route").first)
        #expect(finding.severity == .warn)
        #expect(finding.evidence.first?.file == "/proc/net/route")
        #expect(finding.evidence.first?.value == "none (1 routes)")
    }

    @Test func noDefaultRouteIsOnlyInfoForABridgedOutVM() throws {
        var host = try Lab.kvmLayout()
        host.facts.routes = []
        let report = host.snapshot().report(.external(from: "vm1"))
        let finding = try #require(report.findings("host.no_default_route").first)
        #expect(finding.severity == .info)
        #expect(report.exitCode == 0)
    }

    @Test func noDefaultRouteQuietWithDefaultRouteAndSkippedWhenUnreadable() throws {
        var host = try Lab.kvmLayout()
        #expect(host.snapshot().report().findings("host.no_default_route").isEmpty)
        host.facts.routes = nil
        #expect(host.snapshot().report().outcome("host.no_default_route")?.status == .skipped)
    }
}
