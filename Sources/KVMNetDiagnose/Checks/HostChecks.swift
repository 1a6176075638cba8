import KVMNetModel
import KVMNetSources

/// Host-wide checks: forwarding and the default route. They run for the whole host and
/// for `--external`, where they matter when the host routes the VM's traffic.
enum HostChecks {
    static let all: [Check] = [ipForwardOff, noDefaultRoute]

    /// Bridges whose guests depend on the host routing: an IPv4 address and no uplink, or a
    /// libvirt NAT/routed network.
    static func routedBridges(_ ctx: CheckContext) -> [String] {
        var out = Set<String>()
        for bridge in ctx.sortedBridges where !bridge.ports.contains(where: { ctx.isUplink($0.name) }) {
            if ctx.topology.links[bridge.name]?.addresses.contains(where: { IPv4Interface($0) != nil }) == true {
                out.insert(bridge.name)
            }
        }
        for network in ctx.facts.networks where network.forwardMode == "nat" || network.forwardMode == "route" {
            if let bridge = network.bridge { out.insert(bridge) }
        }
        return out.sorted()
    }

    static let ipForwardOff = Check(
        id: "host.ip_forward_off", family: .host, severity: .warn,
        title: "IPv4 forwarding is off while guests depend on the host routing",
        modes: [.host, .external], hostWide: true
    ) { ctx in
        guard let forward = ctx.facts.sysctls[Sysctl.ipForward] else {
            return .skipped("could not read \(Sysctl.ipForward)")
        }
        guard forward.intValue == 0 else { return .ran([]) }
        let routed: [String]
        let severity: Severity
        if ctx.mode == .external {
            guard let path = ctx.path, path.routedByHost, let bridge = path.from.bridge else { return .ran([]) }
            routed = [bridge]
            severity = .fail
        } else {
            routed = routedBridges(ctx)
            severity = .warn
        }
        guard !routed.isEmpty else { return .ran([]) }
        return .ran([Finding(
            check: "host.ip_forward_off", severity: severity, subject: "host",
            explanation: "IPv4 forwarding is off (\(Sysctl.ipForward)=0), but guests on \(routed.joined(separator: ", ")) reach the outside only through the host's routing (NAT or routed bridge). Their packets stop at the host.",
            evidence: [ctx.evidence.sysctl(forward)],
            fix: "sysctl -w net.ipv4.ip_forward=1; persist it: echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-ip-forward.conf",
            devices: ["host"] + routed)])
    }

    static let noDefaultRoute = Check(
        id: "host.no_default_route", family: .host, severity: .warn,
        title: "The host has no IPv4 default route",
        modes: [.host, .external], hostWide: true
    ) { ctx in
        guard let routes = ctx.facts.routes else {
            return .skipped("could not read \(ctx.facts.routesPath ?? "/proc/net/route")")
        }
        guard !routes.contains(where: \.isDefault) else { return .ran([]) }
        let file = ctx.facts.routesPath ?? HostFiles.join(ctx.snapshot.procfsRoot, "net/route")
        let evidence = Evidence(source: "route", file: file, attribute: "route with Destination 00000000 and Mask 00000000",
                                value: "none (\(routes.count) routes)")
        let severity: Severity
        let explanation: String
        if ctx.mode == .external, let path = ctx.path, !path.routedByHost {
            severity = .info
            explanation = "The host has no IPv4 default route. \(path.from.endpoint.displayName) is bridged out of the host and uses its own gateway, so this affects only the host itself."
        } else if ctx.mode == .external {
            severity = .fail
            explanation = "The host has no IPv4 default route, and \(ctx.path?.from.endpoint.displayName ?? "the guest") leaves through the host's routing: its traffic to the outside has nowhere to go."
        } else {
            severity = .warn
            explanation = "The host has no IPv4 default route. The host itself (and guests it routes or NATs) reach only directly connected networks."
        }
        return .ran([Finding(
            check: "host.no_default_route", severity: severity, subject: "host",
            explanation: explanation, evidence: [evidence],
            fix: "ip route add default via GATEWAY dev UPLINK; persist it with GATEWAY= in the uplink's ifcfg file (or /etc/sysconfig/network)",
            devices: ["host"])])
    }
}
