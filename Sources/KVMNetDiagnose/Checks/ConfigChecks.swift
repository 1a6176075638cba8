import KVMNetModel
import KVMNetSources

/// Checks of the ifcfg configuration, on its own and against the running state.
enum ConfigChecks {
    static let all: [Check] = [vlanIDMismatch, missingBridge, drift]

    static func ifcfgMissing(_ ctx: CheckContext) -> String? {
        if let denied = ctx.deniedRead(.ifcfg) { return CheckContext.needsPrivilege(denied) }
        guard ctx.facts.ifcfg.isEmpty, ctx.facts.ifcfgDirectory == nil else { return nil }
        return "no ifcfg directory (/etc/sysconfig/network-scripts or --ifcfg-dir)"
    }

    static let vlanIDMismatch = Check(
        id: "config.ifcfg_vlan_id_mismatch", family: .config, severity: .fail,
        title: "An ifcfg VLAN file's name, DEVICE and VLAN_ID disagree"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        return .ran(ctx.facts.ifcfg.filter(\.isVLAN).compactMap(vlanFinding(ctx)))
    }

    private static func vlanFinding(_ ctx: CheckContext) -> (IfcfgFile) -> Finding? {
        { file in
            let fromName = VLANChecks.suggested(byName: file.name)
            let deviceEntry = file.entry("DEVICE")
            let fromDevice = deviceEntry.flatMap { VLANChecks.suggested(byName: $0.value) }
            let idEntry = file.entry("VLAN_ID")
            let id = file.vlanID
            var problems: [String] = []
            var evidence: [Evidence] = []
            var edits: [String] = []
            if let deviceEntry, fromName != nil, deviceEntry.value != file.name {
                problems.append("DEVICE=\(deviceEntry.value)")
                evidence.append(ctx.evidence.ifcfg(file, deviceEntry))
                edits.append("-e 's/^DEVICE=.*/DEVICE=\(file.name)/'")
            }
            let intended = fromName?.id ?? fromDevice?.id
            if let id, let idEntry, let intended, id != intended {
                problems.append("VLAN_ID=\(id)")
                evidence.append(ctx.evidence.ifcfg(file, idEntry))
                edits.append("-e 's/^VLAN_ID=.*/VLAN_ID=\(intended)/'")
            }
            if let physEntry = file.entry("PHYSDEV"), let parent = fromName?.parent, physEntry.value != parent {
                problems.append("PHYSDEV=\(physEntry.value)")
                evidence.append(ctx.evidence.ifcfg(file, physEntry))
                edits.append("-e 's/^PHYSDEV=.*/PHYSDEV=\(parent)/'")
            }
            guard !problems.isEmpty else { return nil }
            let base = "ifcfg-\(file.name)"
            let named = fromName.map { "its name says VLAN \($0.id)\($0.parent.map { " on \($0)" } ?? "")" } ?? "its name says \(file.name)"
            let fix = edits.isEmpty || fromName == nil
                ? "edit \(file.path) so that its name, DEVICE and VLAN_ID agree; then ifdown/ifup \(q(file.name))"
                : "sed -i \(edits.joined(separator: " ")) \(q(file.path)); then nmcli connection reload && ifup \(q(file.name)) (or ifdown/ifup)"
            return Finding(
                check: "config.ifcfg_vlan_id_mismatch", severity: .fail, subject: base,
                explanation: "\(base) contradicts itself: \(named) but it sets \(problems.joined(separator: " and ")), as if it was copied from another VLAN's file and not fully edited. At the next ifup the device comes up in the wrong VLAN or clashes with the original.",
                evidence: evidence, fix: fix,
                devices: [file.name, file.device] + [file.physicalDevice].compactMap { $0 })
        }
    }

    static let missingBridge = Check(
        id: "config.ifcfg_missing_bridge", family: .config, severity: .fail,
        title: "An ifcfg file's BRIDGE= names a bridge that is neither configured nor running"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        let configured = Set(ctx.facts.ifcfg.map(\.device))
        return .ran(ctx.facts.ifcfg.compactMap { file in
            guard let bridge = file.bridge, let entry = file.entry("BRIDGE"),
                  !configured.contains(bridge), ctx.topology.bridges[bridge] == nil else { return nil }
            let running = ctx.sortedBridges.map(\.name)
            return Finding(
                check: "config.ifcfg_missing_bridge", severity: .fail, subject: "ifcfg-\(file.name)",
                explanation: "ifcfg-\(file.name) puts \(file.device) in bridge \(bridge), but no ifcfg file configures \(bridge) and no such bridge runs. At the next boot \(file.device) joins no bridge.",
                evidence: [ctx.evidence.ifcfg(file, entry),
                           ctx.evidence.model("running bridges", running.isEmpty ? "(none)" : running.joined(separator: " "))],
                fix: "create \(HostFiles.join(ctx.facts.ifcfgDirectory ?? HostPaths.defaultIfcfgDirectory, "ifcfg-\(bridge)")) with DEVICE=\(bridge) TYPE=Bridge ONBOOT=yes, or correct BRIDGE= in \(file.path)",
                devices: [file.device, bridge])
        })
    }

    static let drift = Check(
        id: "config.ifcfg_drift", family: .config, severity: .warn,
        title: "Configured bond mode, slaves, VLAN or bridge differ from the running state"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        return .ran(ctx.facts.ifcfg.compactMap { file in
            var diffs = ConfigDrift.differences(file, ctx: ctx)
            guard !diffs.isEmpty else { return nil }
            diffs.sort { $0.what < $1.what }
            return Finding(
                check: "config.ifcfg_drift", severity: .warn, subject: file.device,
                explanation: "\(file.device) runs differently from ifcfg-\(file.name): \(diffs.map(\.what).joined(separator: "; ")). The next reboot or ifup changes the network under the running VMs.",
                evidence: diffs.flatMap(\.evidence),
                fix: "if the files are right: ifdown \(q(file.device)); ifup \(q(file.device)) (nmcli connection up \(q(file.device))); if the running state is right, update \(file.path)",
                devices: [file.device])
        })
    }
}

/// Compares one ifcfg file with the running topology.
enum ConfigDrift {
    struct Difference {
        var what: String
        var evidence: [Evidence]
    }

    static func differences(_ file: IfcfgFile, ctx: CheckContext) -> [Difference] {
        var out: [Difference] = []
        let device = file.device
        let topology = ctx.topology
        let running = topology.links[device] != nil || topology.bonds[device] != nil
            || topology.bridges[device] != nil || topology.vlans[device] != nil
        let meaningful = file.isVLAN || file.isBond || file.isBridge || file.bridge != nil || file.bondMaster != nil
        if !running {
            if meaningful, file.onBoot {
                out.append(Difference(what: "configured with ONBOOT=yes but not running",
                                      evidence: [ctx.evidence.model("link \(device)", "(absent)")]))
            }
            return out
        }
        if file.isVLAN, let vlan = topology.vlans[device] {
            if let id = file.vlanID, let entry = file.entry("VLAN_ID"), id != vlan.id {
                out.append(Difference(what: "VLAN_ID=\(id) configured, VLAN \(vlan.id) running",
                                      evidence: [ctx.evidence.ifcfg(file, entry), ctx.evidence.vlan(vlan)]))
            }
            let parent = file.physicalDevice ?? VLANChecks.suggested(byName: device)?.parent
            if let parent, parent != vlan.parent {
                let cited = file.entry("PHYSDEV").map { ctx.evidence.ifcfg(file, $0) } ?? ctx.evidence.model("parent from name \(device)", parent)
                out.append(Difference(what: "parent \(parent) configured, \(vlan.parent) running",
                                      evidence: [cited, ctx.evidence.vlan(vlan)]))
            }
        }
        if file.isBond, let bond = topology.bonds[device] {
            out += bondDifferences(file, bond: bond, ctx: ctx)
        }
        if let bridge = file.bridge, let entry = file.entry("BRIDGE") {
            let actual = topology.bridge(containing: device)?.name
            if actual != bridge {
                out.append(Difference(what: "BRIDGE=\(bridge) configured, \(actual.map { "port of \($0)" } ?? "on no bridge") running",
                                      evidence: [ctx.evidence.ifcfg(file, entry), ctx.evidence.link(device, .master, actual ?? "(none)")]))
            }
        }
        return out
    }

    private static func bondDifferences(_ file: IfcfgFile, bond: Bond, ctx: CheckContext) -> [Difference] {
        var out: [Difference] = []
        let options = file.bondingOptions
        let optsEntry = file.entry("BONDING_OPTS")
        if let text = options["mode"], let optsEntry {
            let mode = Int(text).map { BondMode(kernelValue: UInt8(clamping: $0)) } ?? BondMode(rawValue: text) ?? .unknown
            if mode != bond.mode {
                out.append(Difference(what: "mode \(text) configured, \(bond.mode.rawValue) running",
                                      evidence: [ctx.evidence.ifcfg(file, optsEntry), ctx.evidence.bond(bond.name, "Bonding Mode", bond.mode.rawValue)]))
            }
        }
        if let text = options["miimon"], let miimon = Int(text), let optsEntry, miimon != bond.miimonMs {
            out.append(Difference(what: "miimon=\(miimon) configured, \(bond.miimonMs) running",
                                  evidence: [ctx.evidence.ifcfg(file, optsEntry),
                                             ctx.evidence.bond(bond.name, "MII Polling Interval (ms)", String(bond.miimonMs))]))
        }
        let slaveFiles = ctx.facts.ifcfg.filter { $0.bondMaster == bond.name }
        let configured = Set(slaveFiles.map(\.device))
        let actual = Set(bond.slaves.map(\.name))
        if !slaveFiles.isEmpty, configured != actual {
            let missing = configured.subtracting(actual).sorted()
            let extra = actual.subtracting(configured).sorted()
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\(missing.joined(separator: ", ")) configured as slave but not enslaved") }
            if !extra.isEmpty { parts.append("\(extra.joined(separator: ", ")) enslaved but not configured") }
            let cited = slaveFiles.compactMap { f in f.entry("MASTER").map { ctx.evidence.ifcfg(f, $0) } }
            out.append(Difference(what: parts.joined(separator: ", "),
                                  evidence: cited + [ctx.evidence.model("slaves of \(bond.name)", actual.sorted().joined(separator: " "))]))
        }
        return out
    }
}
