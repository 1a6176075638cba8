import KVMNetModel
import KVMNetSources

/// Checks of Linux bridges: state, uplinks, STP, netfilter, addresses, FDB moves.
enum BridgeChecks {
    static let all: [Check] = [down, noUplink, stpBlocking, netfilter, addressOnPort, macFlapping]

    static let down = Check(
        id: "bridge.down", family: .bridge, severity: .fail,
        title: "A bridge is down"
    ) { ctx in
        .ran(ctx.sortedBridges.compactMap { bridge in
            guard let link = ctx.topology.links[bridge.name] else { return nil }
            let adminDown = link.adminUp == false
            // A bridge without ports has no carrier by design (libvirt's virbr0 with no guest
            // running): only a bridge whose ports are all down is broken.
            let operDown = !bridge.ports.isEmpty
                && (link.operState == .down || link.operState == .lowerlayerdown || link.operState == .notpresent)
            guard adminDown || operDown else { return nil }
            var evidence = [ctx.evidence.link(bridge.name, .operState, link.operState.rawValue)]
            if adminDown { evidence.append(ctx.evidence.link(bridge.name, .flags, "IFF_UP not set")) }
            evidence.append(ctx.evidence.bridgePorts(bridge))
            let why = adminDown
                ? "is administratively down"
                : "is down because none of its ports is up (a bridge has carrier only while a port forwards)"
            return Finding(
                check: "bridge.down", severity: .fail, subject: bridge.name,
                explanation: "\(bridge.name) \(why). Nothing is forwarded between its ports.",
                evidence: evidence,
                fix: adminDown ? "ip link set dev \(q(bridge.name)) up (ONBOOT=yes in ifcfg-\(bridge.name))"
                    : "bring a port up: ip link set dev PORT up; check the ports' own findings",
                devices: [bridge.name])
        })
    }

    static let noUplink = Check(
        id: "bridge.no_uplink", family: .bridge, severity: .warn,
        title: "A bridge has no port leading off the host and no address to route through"
    ) { ctx in
        .ran(ctx.sortedBridges.compactMap { bridge in
            guard !bridge.ports.contains(where: { ctx.isUplink($0.name) }) else { return nil }
            // A Proxmox firewall bridge (fwbr100i0) leads on through its veth to the NIC's
            // bridge: that bridge's uplink is its way out.
            guard !bridge.ports.contains(where: { HostTopology.vethCrossing(ctx.topology, from: $0.name)?.bridge != nil }) else { return nil }
            let routed = ctx.topology.links[bridge.name]?.addresses.contains { IPv4Interface($0) != nil } ?? false
            guard !routed else { return nil }
            let ports = bridge.ports.map(\.name).sorted()
            return Finding(
                check: "bridge.no_uplink", severity: .warn, subject: bridge.name,
                explanation: "\(bridge.name) has no uplink: \(ports.isEmpty ? "it has no ports at all" : "its ports (\(ports.joined(separator: ", "))) all lead to guests"), and it has no IPv4 address for the host to route through. Guests on it reach each other but nothing outside the host.",
                evidence: [ctx.evidence.bridgePorts(bridge),
                           ctx.evidence.link(bridge.name, .addresses, "(none)")],
                fix: "add the uplink: ip link set dev NIC_OR_VLAN master \(q(bridge.name)) (BRIDGE=\(bridge.name) in ifcfg-NIC_OR_VLAN); if the bridge is meant to be isolated, ignore this",
                devices: [bridge.name])
        })
    }

    static let stpBlocking = Check(
        id: "bridge.stp_blocking", family: .bridge, severity: .warn,
        title: "STP holds a bridge port in the blocking state"
    ) { ctx in
        .ran(ctx.sortedBridges.flatMap { bridge in
            bridge.ports.filter { $0.state == .blocking }.sorted { $0.name < $1.name }.map { port in
                Finding(
                    check: "bridge.stp_blocking", severity: .warn, subject: port.name,
                    explanation: "STP on \(bridge.name) blocks port \(port.name): it forwards nothing. STP blocks a port that closes a loop, e.g. a second uplink into the same network or two bridges joined twice.",
                    evidence: [ctx.evidence.bridgePortState(port)],
                    fix: "find the loop (bridge link show; both uplinks into the same switch VLAN?) and remove it; if \(bridge.name) should not run STP: ip link set dev \(q(bridge.name)) type bridge stp_state 0",
                    devices: [port.name, bridge.name])
            }
        })
    }

    static let netfilter = Check(
        id: "bridge.netfilter", family: .bridge, severity: .warn,
        title: "Bridged traffic passes through iptables (bridge-nf-call-iptables=1)"
    ) { ctx in
        guard !ctx.topology.bridges.isEmpty else { return .ran([]) }
        let keys = [Sysctl.bridgeNFIptables, Sysctl.bridgeNFIp6tables]
        let on = keys.compactMap { ctx.facts.sysctls[$0] }.filter { $0.intValue == 1 }
        guard !on.isEmpty else { return .ran([]) }
        let bridges = ctx.sortedBridges.map(\.name)
        return .ran([Finding(
            check: "bridge.netfilter", severity: .warn, subject: on[0].key,
            explanation: "Frames bridged between VMs pass through iptables (\(on.map { "\($0.key)=1" }.joined(separator: ", "))). A DROP policy or rule in the FORWARD chain silently drops VM-to-VM traffic on \(bridges.joined(separator: ", ")), and conntrack costs CPU.",
            evidence: on.map(ctx.evidence.sysctl),
            fix: "sysctl -w \(keys.map { "\($0)=0" }.joined(separator: " ")) and persist it in /etc/sysctl.d/; keep it on only if you filter bridged traffic on purpose (nwfilter, Kubernetes) and then allow it in FORWARD",
            devices: bridges)])
    }

    static let addressOnPort = Check(
        id: "bridge.address_on_port", family: .bridge, severity: .warn,
        title: "A bridge port has an IP address (it belongs on the bridge)"
    ) { ctx in
        guard ctx.facts.addressSource != nil else {
            return .skipped("interface addresses unknown: the snapshot has neither the netlink dump nor procfs addresses")
        }
        var findings: [Finding] = []
        for link in ctx.topology.sortedLinks {
            guard let bridge = ctx.topology.bridge(containing: link.name), bridge.name != link.name else { continue }
            let addresses = link.addresses.filter { !$0.lowercased().hasPrefix("fe80:") }
            guard !addresses.isEmpty else { continue }
            let list = addresses.joined(separator: ", ")
            findings.append(Finding(
                check: "bridge.address_on_port", severity: .warn, subject: link.name,
                explanation: "\(link.name) is a port of \(bridge.name) but has the address \(list). The bridge takes every frame its ports receive, so an address on a port does not answer; it belongs on \(bridge.name).",
                evidence: [ctx.evidence.link(link.name, .addresses, list), ctx.evidence.link(link.name, .master, bridge.name)],
                fix: addresses.map { "ip addr del \($0) dev \(q(link.name)) && ip addr add \($0) dev \(q(bridge.name))" }.joined(separator: "; ")
                    + " (move IPADDR/PREFIX from ifcfg-\(link.name) to ifcfg-\(bridge.name))",
                devices: [link.name, bridge.name]))
        }
        return .ran(findings)
    }

    static let macFlapping = Check(
        id: "bridge.mac_flapping", family: .bridge, severity: .warn,
        title: "MAC addresses keep moving between a bridge's ports"
    ) { ctx in
        guard let moves = ctx.snapshot.fdbMoves else {
            return .skipped("needs FDB move counts, which only kvmnet-agent records (it watches FDB events); a one-shot snapshot cannot see MACs move")
        }
        let window = ctx.snapshot.fdbMovesWindowSeconds.map { "\(Int($0)) s" } ?? "the agent's window"
        return .ran(moves.keys.sorted().compactMap { name in
            guard let count = moves[name], count >= ctx.options.macFlapThreshold else { return nil }
            return Finding(
                check: "bridge.mac_flapping", severity: .warn, subject: name,
                explanation: "\(name) saw \(count) MAC moves between ports in \(window). A MAC that keeps changing ports means a loop (two uplinks bridged without STP), a bond in balance-rr or balance-xor without a static port-channel, or a duplicate MAC.",
                evidence: [Evidence(source: "agent", attribute: "FDB moves on \(name) in \(window)", value: String(count))],
                fix: "watch which MAC moves: bridge monitor fdb | grep \(q(name)); then look for loops, bond modes and duplicate MACs (vm.duplicate_mac)",
                devices: [name])
        })
    }
}
