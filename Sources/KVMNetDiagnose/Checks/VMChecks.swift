import KVMNetModel
import KVMNetSources

/// Checks of libvirt domains' interfaces against the running topology.
enum VMChecks {
    static let all: [Check] = [tapDetached, tapWrongBridge, tapDown, duplicateMAC]

    /// One bridged interface of a running domain with its tap.
    struct Tap {
        var domain: LibvirtDomain
        var iface: LibvirtInterface
        var device: String
        var expectedBridge: String?
    }

    /// The skip reason when no libvirt state was found at all.
    static func libvirtMissing(_ ctx: CheckContext) -> String? {
        if ctx.facts.domains.isEmpty, let denied = ctx.deniedRead(.libvirt) { return CheckContext.needsPrivilege(denied) }
        guard ctx.facts.domains.isEmpty, ctx.facts.libvirtDirectories.isEmpty else { return nil }
        return "no libvirt state found (no /run/libvirt/qemu or --libvirt-dir)"
    }

    /// Interfaces of running domains that libvirt puts on a bridge (type bridge or network).
    static func bridgedTaps(_ ctx: CheckContext) -> [Tap] {
        let resolver = EndpointResolver(snapshot: ctx.snapshot)
        return ctx.facts.runningDomains.flatMap { domain in
            domain.interfaces.compactMap { iface -> Tap? in
                guard iface.type == "bridge" || iface.type == "network", let dev = iface.targetDevice else { return nil }
                return Tap(domain: domain, iface: iface, device: dev, expectedBridge: resolver.expectedBridge(of: iface))
            }
        }
    }

    static let tapDetached = Check(
        id: "vm.tap_detached", family: .vm, severity: .fail,
        title: "A running VM's tap is on no bridge"
    ) { ctx in
        if let reason = libvirtMissing(ctx) { return .skipped(reason) }
        return .ran(bridgedTaps(ctx).compactMap { tap in
            let target = ctx.evidence.libvirt(tap.domain, tap.iface, child: "target", attribute: "dev", value: tap.device)
            let source = ctx.evidence.libvirt(tap.domain, tap.iface, child: "source", attribute: tap.iface.type,
                                              value: tap.iface.sourceBridge ?? tap.iface.sourceNetwork ?? "?")
            let fix = tap.expectedBridge.map { "ip link set dev \(q(tap.device)) master \(q($0))" }
                ?? "attach it to its bridge: ip link set dev \(q(tap.device)) master BRIDGE"
            guard ctx.topology.links[tap.device] != nil else {
                return Finding(
                    check: "vm.tap_detached", severity: .fail, subject: "\(tap.domain.name) \(tap.device)",
                    explanation: "\(tap.domain.name)'s tap \(tap.device) does not exist on the host although the domain runs. The VM's NIC is connected to nothing.",
                    evidence: [target, ctx.evidence.model("link \(tap.device)", "(absent)")],
                    fix: "re-plug the interface: virsh detach-interface and attach-interface for \(q(tap.domain.name)), or restart the domain",
                    devices: [tap.domain.name, tap.device])
            }
            guard ctx.topology.bridge(containing: tap.device) == nil else { return nil }
            return Finding(
                check: "vm.tap_detached", severity: .fail, subject: "\(tap.domain.name) \(tap.device)",
                explanation: "\(tap.domain.name)'s tap \(tap.device) is on no bridge, so the VM is cut off\(tap.expectedBridge.map { "; libvirt put it on \($0)" } ?? ""). This happens when the bridge was deleted and re-created (libvirt does not re-attach taps) or after ip link set nomaster.",
                evidence: [ctx.evidence.link(tap.device, .master, "(none)"), target, source],
                fix: fix, devices: [tap.domain.name, tap.device])
        })
    }

    static let tapWrongBridge = Check(
        id: "vm.tap_wrong_bridge", family: .vm, severity: .fail,
        title: "A running VM's tap is on another bridge than its XML names"
    ) { ctx in
        if let reason = libvirtMissing(ctx) { return .skipped(reason) }
        return .ran(bridgedTaps(ctx).compactMap { tap in
            guard let expected = tap.expectedBridge, let actual = ctx.topology.bridge(containing: tap.device)?.name,
                  actual != expected else { return nil }
            return Finding(
                check: "vm.tap_wrong_bridge", severity: .fail, subject: "\(tap.domain.name) \(tap.device)",
                explanation: "\(tap.domain.name)'s tap \(tap.device) is on \(actual), but its domain XML puts it on \(expected). The VM sits in the wrong network segment.",
                evidence: [ctx.evidence.link(tap.device, .master, actual),
                           ctx.evidence.libvirt(tap.domain, tap.iface, child: "source", attribute: tap.iface.type,
                                                value: tap.iface.sourceBridge ?? tap.iface.sourceNetwork ?? expected)],
                fix: "ip link set dev \(q(tap.device)) master \(q(expected)) (or, if \(actual) is right, virsh edit \(q(tap.domain.name)) to say <source bridge='\(actual)'/>)",
                devices: [tap.domain.name, tap.device, actual])
        })
    }

    static let tapDown = Check(
        id: "vm.tap_down", family: .vm, severity: .fail,
        title: "A running VM's tap or link is down"
    ) { ctx in
        if let reason = libvirtMissing(ctx) { return .skipped(reason) }
        return .ran(bridgedTaps(ctx).compactMap { tap in
            let subject = "\(tap.domain.name) \(tap.device)"
            if tap.iface.linkDown {
                return Finding(
                    check: "vm.tap_down", severity: .fail, subject: subject,
                    explanation: "libvirt set \(tap.domain.name)'s link on \(tap.device) down (<link state='down'/>). The guest sees its cable unplugged.",
                    evidence: [ctx.evidence.libvirt(tap.domain, tap.iface, child: "link", attribute: "state", value: "down")],
                    fix: "virsh domif-setlink \(q(tap.domain.name)) \(q(tap.device)) up",
                    devices: [tap.domain.name, tap.device])
            }
            guard let link = ctx.topology.links[tap.device] else { return nil }
            let adminDown = link.adminUp == false
            let operDown = link.operState == .down || link.operState == .lowerlayerdown || link.operState == .notpresent
            guard adminDown || operDown else { return nil }
            return Finding(
                check: "vm.tap_down", severity: .fail, subject: subject,
                explanation: adminDown
                    ? "\(tap.domain.name)'s tap \(tap.device) is administratively down. The bridge sends nothing to the VM."
                    : "\(tap.domain.name)'s tap \(tap.device) is down (no carrier): QEMU is not serving it, e.g. the VM is paused or hung.",
                evidence: [ctx.evidence.link(tap.device, .operState, link.operState.rawValue)],
                fix: adminDown ? "ip link set dev \(q(tap.device)) up"
                    : "virsh domstate \(q(tap.domain.name)); virsh resume \(q(tap.domain.name)) if paused",
                devices: [tap.domain.name, tap.device])
        })
    }

    static let duplicateMAC = Check(
        id: "vm.duplicate_mac", family: .vm, severity: .fail,
        title: "Two domains use the same MAC address (e.g. after virt-clone)"
    ) { ctx in
        if let reason = libvirtMissing(ctx) { return .skipped(reason) }
        var byMAC: [String: [(LibvirtDomain, LibvirtInterface)]] = [:]
        for domain in ctx.facts.domains {
            for iface in domain.interfaces {
                if let mac = iface.mac { byMAC[mac, default: []].append((domain, iface)) }
            }
        }
        return .ran(byMAC.keys.sorted().compactMap { mac in
            guard let users = byMAC[mac], Set(users.map(\.0.name)).count > 1 else { return nil }
            let names = users.map(\.0.name)
            let running = users.filter(\.0.running)
            let severity: Severity = Set(running.map(\.0.name)).count > 1 ? .fail : .warn
            let consequence = severity == .fail
                ? "Both run: the bridges' FDB entry for the MAC flips between them and each loses traffic meant for it."
                : "They do not run together yet; when they do, each will lose traffic meant for it."
            return Finding(
                check: "vm.duplicate_mac", severity: severity, subject: mac,
                explanation: "\(names.joined(separator: " and ")) use the same MAC \(mac), typically after a clone kept the original's MAC. \(consequence)",
                evidence: users.map { ctx.evidence.libvirt($0.0, $0.1, child: "mac", attribute: "address", value: mac) },
                fix: "give \(names.last ?? "one of them") a new MAC: virsh edit \(q(names.last ?? "DOMAIN")) (delete the <mac> line; libvirt generates one) and restart it; clone with virt-clone --mac RANDOM",
                devices: names + users.compactMap(\.1.targetDevice))
        })
    }
}
