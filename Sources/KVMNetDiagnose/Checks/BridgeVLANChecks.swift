import KVMNetModel
import KVMNetSources

/// Checks of VLAN-aware bridges (`vlan_filtering 1`): ports without PVID, VLANs that no
/// uplink carries, tagged frames a port refuses, the bridge's protocol, missing VLAN data.
enum BridgeVLANChecks {
    static let all: [Check] = [portNoPVID, vlanNotOnPort, vlanNotOnUplink, vlanFilteringOff, vlanProtocolMismatch, vlanDataMissing]

    /// A guest port of a VLAN-aware bridge whose VLAN list is known.
    struct GuestPort {
        var bridge: Bridge
        var port: BridgePort
        var vlans: BridgeVLANSet
        var domain: String?
    }

    static func guestPorts(_ ctx: CheckContext) -> [GuestPort] {
        let owner = tapOwners(ctx)
        return ctx.sortedBridges.filter(\.vlanAware).flatMap { br in
            br.ports.sorted { $0.name < $1.name }.compactMap { p -> GuestPort? in
                guard !ctx.isUplink(p.name), let v = p.vlans else { return nil }
                return GuestPort(bridge: br, port: p, vlans: v, domain: owner[p.name])
            }
        }
    }

    /// Running domains by the tap they use.
    static func tapOwners(_ ctx: CheckContext) -> [String: String] {
        var out: [String: String] = [:]
        for d in ctx.facts.runningDomains {
            for i in d.interfaces { if let t = i.targetDevice { out[t] = d.name } }
        }
        return out
    }

    /// The uplink ports of a bridge with their VLAN lists (`nil` list: unknown).
    static func uplinks(_ ctx: CheckContext, _ bridge: Bridge) -> [BridgePort] {
        bridge.ports.filter { ctx.isUplink($0.name) }.sorted { $0.name < $1.name }
    }

    static func who(_ g: GuestPort) -> String { g.domain.map { "\($0) (\(g.port.name))" } ?? g.port.name }

    static let portNoPVID = Check(
        id: "bridge.port_no_pvid", family: .bridge, severity: .fail,
        title: "A VM port of a VLAN-aware bridge has no PVID: its untagged frames are dropped"
    ) { ctx in
        .ran(guestPorts(ctx).compactMap { g in
            guard g.vlans.pvid == nil else { return nil }
            let br = g.bridge.name
            let members = g.vlans.isEmpty ? "is a member of no VLAN at all" : "is a member of VLAN \(g.vlans.text) only, all tagged"
            return Finding(
                check: "bridge.port_no_pvid", severity: .fail, subject: g.port.name,
                explanation: "\(who(g)) has no PVID on the VLAN-aware bridge \(br): it \(members), so every untagged frame the VM sends (ARP, IP) is dropped as it enters \(br). The VM reaches nobody.",
                evidence: [ctx.evidence.bridgeVLANs(g.port.name, g.vlans), ctx.evidence.vlanFiltering(g.bridge)],
                fix: "give the port its VLAN: bridge vlan add dev \(q(g.port.name)) vid VLAN pvid untagged (Proxmox: tag=VLAN on the VM's net device; libvirt: <vlan><tag id='VLAN'/></vlan> in the <interface>; ifupdown2: bridge-access VLAN)",
                devices: [g.port.name] + (g.domain.map { [$0] } ?? []))
        })
    }

    static let vlanNotOnPort = Check(
        id: "bridge.vlan_not_on_port", family: .bridge, severity: .fail,
        title: "A VLAN-aware bridge refuses a VLAN device's tagged frames (the VLAN is not on the bridge's own port)",
        modes: [.path, .external]
    ) { ctx in
        guard let path = ctx.path else { return .skipped("needs a path") }
        let chains = [path.from] + (path.to.map { [$0] } ?? [])
        return .ran(chains.compactMap { c -> Finding? in
            guard let b = c.blocked, b.reason == .notOnPort, let br = ctx.topology.bridges[b.bridge], let vid = b.vlan else { return nil }
            let set = b.port == br.name ? br.vlans : br.port(named: b.port)?.vlans
            let portText = b.port == br.name ? "\(br.name)'s own port (self)" : "port \(b.port)"
            return Finding(
                check: "bridge.vlan_not_on_port", severity: .fail, subject: b.port,
                explanation: "Frames of \(PathChecks.name(c)) enter \(br.name) tagged with VLAN \(vid) through \(portText), which is no member of VLAN \(vid): the bridge drops them on ingress.",
                evidence: (set.map { [ctx.evidence.bridgeVLANs(b.port, $0)] } ?? []) + [ctx.evidence.vlanFiltering(br)],
                fix: b.port == br.name ? "bridge vlan add dev \(q(br.name)) vid \(vid) self (ifupdown2: bridge-vids on \(br.name))"
                    : "bridge vlan add dev \(q(b.port)) vid \(vid)",
                devices: [b.port, br.name])
        })
    }

    static let vlanNotOnUplink = Check(
        id: "bridge.vlan_not_on_uplink", family: .bridge, severity: .fail,
        title: "A VM's VLAN is allowed on no uplink port of its VLAN-aware bridge: its frames never leave the host"
    ) { ctx in
        switch ctx.mode {
        case .host:
            // Warn: VMs of a VLAN may be meant to talk only to each other.
            var findings: [Finding] = []
            let guests = guestPorts(ctx)
            for bridge in ctx.sortedBridges where bridge.vlanAware {
                let ups = uplinks(ctx, bridge)
                guard !ups.isEmpty, ups.allSatisfy({ $0.vlans != nil }) else { continue }
                let mine = guests.filter { $0.bridge.name == bridge.name }
                for vid in Set(mine.compactMap(\.vlans.pvid)).sorted() where !ups.contains(where: { $0.vlans!.contains(vid) }) {
                    let users = mine.filter { $0.vlans.pvid == vid }
                    findings.append(notOnUplink(ctx, bridge: bridge, vlan: vid, users: users, uplinks: ups, severity: .warn))
                }
            }
            return .ran(findings)
        case .path, .external:
            guard let path = ctx.path else { return .skipped("needs a path") }
            // On one bridge the uplinks do not matter.
            if let to = path.to, path.from.bridge != nil, path.from.bridge == to.bridge { return .ran([]) }
            let chains = [path.from] + (path.to.map { [$0] } ?? [])
            return .ran(chains.compactMap { c -> Finding? in
                guard let b = c.blocked, b.reason == .notOnUplink, let vid = b.vlan, let br = ctx.topology.bridges[b.bridge] else { return nil }
                let owner = tapOwners(ctx)
                let users = guestPorts(ctx).filter { $0.port.name == c.endpoint.device }
                var f = notOnUplink(ctx, bridge: br, vlan: vid, users: users, uplinks: uplinks(ctx, br), severity: .fail)
                if users.isEmpty { f.devices = [br.name, c.endpoint.device] + (owner[c.endpoint.device].map { [$0] } ?? []) }
                f.devices.insert(br.name, at: 0)   // marks the bridge hop, where the frames stop
                return f
            })
        }
    }

    static func notOnUplink(_ ctx: CheckContext, bridge: Bridge, vlan vid: Int, users: [GuestPort],
                            uplinks ups: [BridgePort], severity: Severity) -> Finding {
        let names = users.map(who).joined(separator: ", ")
        let carried = ups.map { u in "\(u.name) carries \(u.vlans.map { $0.isEmpty ? "no VLAN" : "VLAN \($0.text)" } ?? "unknown VLANs")" }
            .joined(separator: ", ")
        let upNames = ups.map(\.name)
        return Finding(
            check: "bridge.vlan_not_on_uplink", severity: severity, subject: "\(bridge.name) VLAN \(vid)",
            explanation: "VLAN \(vid)\(names.isEmpty ? "" : " (\(names))") is allowed on no uplink of the VLAN-aware bridge \(bridge.name) (\(carried)), so its frames never leave the host: the bridge drops them on egress.",
            evidence: ups.compactMap { u in u.vlans.map { ctx.evidence.bridgeVLANs(u.name, $0) } }
                + users.map { ctx.evidence.bridgeVLANs($0.port.name, $0.vlans) },
            fix: upNames.map { "bridge vlan add dev \(q($0)) vid \(vid)" }.joined(separator: "; ")
                + " (ifupdown2 / Proxmox: add \(vid) to bridge-vids of \(bridge.name); and let the switch port carry VLAN \(vid))",
            devices: users.flatMap { [$0.port.name] + ($0.domain.map { [$0] } ?? []) } + upNames)
    }

    static let vlanFilteringOff = Check(
        id: "bridge.vlan_filtering_off", family: .bridge, severity: .fail,
        title: "A VM asks for VLAN tags on a bridge that does not filter VLANs"
    ) { ctx in
        var findings: [Finding] = []
        for d in ctx.facts.runningDomains {
            for i in d.interfaces {
                guard let asked = i.vlan, let tap = i.targetDevice,
                      let br = ctx.topology.bridge(containing: tap), br.vlanFiltering == false else { continue }
                findings.append(vlanFilteringOff(ctx, domain: d, iface: i, request: asked, tap: tap, bridge: br))
            }
        }
        return .ran(findings)
    }

    static func vlanFilteringOff(_ ctx: CheckContext, domain d: LibvirtDomain, iface i: LibvirtInterface,
                                 request asked: VMVLANRequest, tap: String, bridge br: Bridge) -> Finding {
        let tags = asked.tags.map(String.init).joined(separator: ", ")
        let what = asked.trunk ? "a trunk of VLAN\(asked.tags.count == 1 ? "" : "s") \(tags)" : "VLAN \(tags)"
        let uplinks = uplinks(ctx, br).map(\.name)
        // Two ends on this one bridge do reach each other (nothing filters): connectivity is
        // fine, the separation the configuration asks for is not. Everything that has to
        // leave the bridge leaves untagged, where the switch expects the VLAN's tag.
        var severity = Severity.fail
        if let path = ctx.path, let to = path.to, path.from.bridge == br.name, to.bridge == br.name { severity = .warn }
        let out = uplinks.isEmpty ? "" : " They also leave \(uplinks.joined(separator: ", ")) untagged, so a switch port that carries \(what) tagged puts them in its native VLAN instead: the VM cannot reach its VLAN beyond the host."
        let first = asked.trunk ? (asked.nativeTag ?? asked.tags.first ?? 1) : (asked.tags.first ?? 1)
        let portFix = asked.trunk
            ? asked.tags.map { "bridge vlan add dev \(q(tap)) vid \($0)\($0 == asked.nativeTag && asked.nativeMode == .untagged ? " pvid untagged" : "")" }.joined(separator: " && ")
            : "bridge vlan add dev \(q(tap)) vid \(first) pvid untagged && bridge vlan del dev \(q(tap)) vid 1"
        return Finding(
            check: "bridge.vlan_filtering_off", severity: severity, subject: "\(d.name) (\(tap))",
            explanation: "\(d.name) asks for \(what) on \(tap) (libvirt <vlan>), but \(tap) is a port of \(br.name), which does not filter VLANs (vlan_filtering 0): no tag is applied. The VM's frames enter \(br.name) untagged and reach every port of it, whatever VLAN those are meant for, so it is in no VLAN (or in all of them).\(out)",
            evidence: [ctx.evidence.libvirt(d, i, child: "vlan", attribute: "tag id", value: tags), ctx.evidence.vlanFiltering(br)],
            fix: "make \(br.name) VLAN-aware and tag the port: ip link set dev \(q(br.name)) type bridge vlan_filtering 1 && \(portFix), and let its uplink\(uplinks.isEmpty ? "" : " (\(uplinks.joined(separator: ", ")))") carry the VLANs (bridge vlan add dev UPLINK vid \(first)); persistently: bridge-vlan-aware yes (ifupdown2, Proxmox), libvirt 11 or later applies <vlan> on a VLAN-aware Linux bridge itself; or drop the <vlan> and attach the VM to a bridge of VLAN \(first) (brvlan-\(first) over a VLAN device)",
            devices: [tap, d.name])
    }

    static let vlanProtocolMismatch = Check(
        id: "bridge.vlan_protocol_mismatch", family: .bridge, severity: .warn,
        title: "An 802.1ad VLAN-aware bridge where 802.1Q is expected"
    ) { ctx in
        .ran(ctx.sortedBridges.compactMap { br -> Finding? in
            guard br.vlanAware, br.vlanProtocol == .dot1ad else { return nil }
            // 802.1Q VLAN devices on the bridge: the bridge sees their tags as no tag at all.
            let dot1q = ctx.sortedVLANs.filter { $0.parent == br.name && ($0.proto ?? VLANProtocol.dot1Q.rawValue) == VLANProtocol.dot1Q.rawValue }
            let tagged = uplinks(ctx, br).filter { ($0.vlans?.count ?? 0) > ($0.vlans?.untaggedCount ?? 0) }
            guard !dot1q.isEmpty || !tagged.isEmpty else { return nil }
            var why: [String] = []
            if !dot1q.isEmpty {
                why.append("its 802.1Q VLAN device\(dot1q.count == 1 ? "" : "s") \(dot1q.map(\.name).joined(separator: ", ")) send C-tags that the bridge does not treat as VLAN tags (it puts those frames in the PVID of its own port and adds an S-tag)")
            }
            if !tagged.isEmpty {
                why.append("frames leave \(tagged.map(\.name).joined(separator: ", ")) with an 802.1ad S-tag (EtherType 0x88a8), which a switch port expecting 802.1Q (0x8100) drops or misreads")
            }
            return Finding(
                check: "bridge.vlan_protocol_mismatch", severity: .warn, subject: br.name,
                explanation: "\(br.name) tags with 802.1ad: \(why.joined(separator: "; ")). If this is not a deliberate QinQ setup, VLAN traffic through it is lost.",
                evidence: [ctx.evidence.model("IFLA_BR_VLAN_PROTOCOL of \(br.name)", "802.1ad")] + dot1q.map(ctx.evidence.vlan),
                fix: "ip link set dev \(q(br.name)) type bridge vlan_protocol 802.1Q (ifupdown2: bridge-vlan-protocol 802.1q); keep 802.1ad only for QinQ towards a provider port",
                devices: [br.name] + dot1q.map(\.name))
        })
    }

    static let vlanDataMissing = Check(
        id: "bridge.vlan_data_missing", family: .bridge, severity: .warn,
        title: "A bridge filters VLANs but its ports' VLAN lists were not read"
    ) { ctx in
        .ran(ctx.sortedBridges.compactMap { br -> Finding? in
            guard br.vlanAware else { return nil }
            let unknown = br.ports.filter { $0.vlans == nil }.map(\.name).sorted()
            guard !unknown.isEmpty else { return nil }
            return Finding(
                check: "bridge.vlan_data_missing", severity: .warn, subject: br.name,
                explanation: "\(br.name) filters VLANs (vlan_filtering 1), but the VLAN lists of \(unknown.joined(separator: ", ")) are unknown (sysfs has none; only netlink reports them), so whether frames pass between its ports cannot be told.",
                evidence: [ctx.evidence.vlanFiltering(br)],
                fix: "run kvmnet-diag (or the agent) with netlink, as root, instead of from a sysfs tree; see the ports with: bridge -d vlan show",
                devices: [br.name] + unknown)
        })
    }

    /// `path.vlan_mismatch` for two ports of one VLAN-aware bridge.
    static func sameBridgeMismatch(_ ctx: CheckContext, _ a: Chain, _ b: Chain, bridge br: Bridge) -> Finding {
        let an = PathChecks.name(a), bn = PathChecks.name(b)
        let pa = br.port(named: a.endpoint.device)?.vlans, pb = br.port(named: b.endpoint.device)?.vlans
        let va = a.bridgeVLAN, vb = b.bridgeVLAN
        var explanation: String
        var fix: String
        if let va, let vb, va != vb {
            explanation = "\(an) and \(bn) are on the VLAN-aware bridge \(br.name) in different VLANs: \(a.endpoint.device) has PVID \(va) and \(b.endpoint.device) PVID \(vb). \(br.name) forwards a frame only to ports of its VLAN, so nothing passes between them."
            fix = "to put \(bn) in VLAN \(va): bridge vlan del dev \(q(b.endpoint.device)) vid \(vb) && bridge vlan add dev \(q(b.endpoint.device)) vid \(va) pvid untagged (Proxmox: tag=\(va) on the VM's net device; libvirt: <vlan><tag id='\(va)'/></vlan>); or route between VLAN \(va) and VLAN \(vb)"
        } else {
            let vid = va ?? vb ?? 0
            let tagged = [a, b].filter { br.port(named: $0.endpoint.device)?.vlans?.egressUntagged(vid) != true }.map(\.endpoint.device)
            explanation = "\(an) and \(bn) are both in VLAN \(vid) on \(br.name), but VLAN \(vid) leaves \(tagged.joined(separator: " and ")) tagged, so the VM there receives 802.1Q-tagged frames it does not expect and ignores them."
            fix = tagged.map { "bridge vlan add dev \(q($0)) vid \(vid) pvid untagged" }.joined(separator: "; ")
        }
        return Finding(
            check: "path.vlan_mismatch", severity: .fail, subject: "\(a.endpoint.query) -> \(b.endpoint.query)",
            explanation: explanation,
            evidence: [ctx.evidence.vlanFiltering(br)]
                + [(a.endpoint.device, pa), (b.endpoint.device, pb)].compactMap { d, s in s.map { ctx.evidence.bridgeVLANs(d, $0) } },
            fix: fix,
            devices: Array(a.devices.union(b.devices)).sorted())
    }
}
