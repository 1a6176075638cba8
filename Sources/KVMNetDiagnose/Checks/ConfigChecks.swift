import KVMNetModel
import KVMNetSources

/// Checks of the ifcfg configuration, on its own and against the running state, run on
/// ifcfg's devices of the shared model (``IntendedNetwork``); the drift engine is
/// ``ConfigDrift``, shared with every other system (``DriftChecks``).
enum ConfigChecks {
    static let all: [Check] = [vlanIDMismatch, missingBridge, drift]

    static func ifcfgMissing(_ ctx: CheckContext) -> String? {
        if let denied = ctx.deniedRead(.ifcfg) { return CheckContext.needsPrivilege(denied) }
        guard ctx.facts.ifcfg.isEmpty, ctx.facts.ifcfgDirectory == nil else { return nil }
        return "no ifcfg directory (/etc/sysconfig/network-scripts or --ifcfg-dir)"
    }

    /// ifcfg's devices of the model.
    static func ifcfgDevices(_ ctx: CheckContext) -> [IntendedDevice] { ctx.intended.devices.filter { $0.system == .ifcfg } }

    static let vlanIDMismatch = Check(
        id: "config.ifcfg_vlan_id_mismatch", family: .config, severity: .fail,
        title: "An ifcfg VLAN file's name, DEVICE and VLAN_ID disagree"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        return .ran(ifcfgDevices(ctx).filter { $0.kind == .vlan }.compactMap(vlanFinding(ctx)))
    }

    private static func vlanFinding(_ ctx: CheckContext) -> (IntendedDevice) -> Finding? {
        { d in
            guard let label = d.labels.first?.value else { return nil }
            let fromName = VLANChecks.suggested(byName: label)
            let deviceEntry = d.declaration
            let fromDevice = deviceEntry.flatMap { VLANChecks.suggested(byName: $0.value) }
            var problems: [String] = []
            var evidence: [Evidence] = []
            var edits: [String] = []
            if let deviceEntry, fromName != nil, deviceEntry.value != label {
                problems.append("DEVICE=\(deviceEntry.value)")
                evidence.append(ctx.evidence.config(deviceEntry))
                edits.append("-e 's/^DEVICE=.*/DEVICE=\(label)/'")
            }
            let intended = fromName?.id ?? fromDevice?.id
            if let id = d.vlanID, let intended, id.value != intended {
                problems.append("VLAN_ID=\(id.value)")
                evidence.append(ctx.evidence.config(id.origin))
                edits.append("-e 's/^VLAN_ID=.*/VLAN_ID=\(intended)/'")
            }
            if let phys = d.vlanParent, let parent = fromName?.parent, phys.value != parent {
                problems.append("PHYSDEV=\(phys.value)")
                evidence.append(ctx.evidence.config(phys.origin))
                edits.append("-e 's/^PHYSDEV=.*/PHYSDEV=\(parent)/'")
            }
            guard !problems.isEmpty else { return nil }
            let base = "ifcfg-\(label)"
            let named = fromName.map { "its name says VLAN \($0.id)\($0.parent.map { " on \($0)" } ?? "")" } ?? "its name says \(label)"
            let fix = edits.isEmpty || fromName == nil
                ? "edit \(d.file) so that its name, DEVICE and VLAN_ID agree; then ifdown/ifup \(q(label))"
                : "sed -i \(edits.joined(separator: " ")) \(q(d.file)); then nmcli connection reload && ifup \(q(label)) (or ifdown/ifup)"
            return Finding(
                check: "config.ifcfg_vlan_id_mismatch", severity: .fail, subject: base,
                explanation: "\(base) contradicts itself: \(named) but it sets \(problems.joined(separator: " and ")), as if it was copied from another VLAN's file and not fully edited. At the next ifup the device comes up in the wrong VLAN or clashes with the original.",
                evidence: evidence, fix: fix,
                devices: [label, d.name] + [d.vlanParent?.value].compactMap { $0 })
        }
    }

    static let missingBridge = Check(
        id: "config.ifcfg_missing_bridge", family: .config, severity: .fail,
        title: "An ifcfg file's BRIDGE= names a bridge that is neither configured nor running"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        let devices = ifcfgDevices(ctx)
        let configured = Set(devices.map(\.name))
        return .ran(devices.compactMap { d in
            guard let master = d.master, master.origin.key == "BRIDGE", let label = d.labels.first?.value,
                  !configured.contains(master.value), ctx.topology.bridges[master.value] == nil else { return nil }
            let bridge = master.value
            let running = ctx.sortedBridges.map(\.name)
            return Finding(
                check: "config.ifcfg_missing_bridge", severity: .fail, subject: "ifcfg-\(label)",
                explanation: "ifcfg-\(label) puts \(d.name) in bridge \(bridge), but no ifcfg file configures \(bridge) and no such bridge runs. At the next boot \(d.name) joins no bridge.",
                evidence: [ctx.evidence.config(master.origin),
                           ctx.evidence.model("running bridges", running.isEmpty ? "(none)" : running.joined(separator: " "))],
                fix: "create \(HostFiles.join(ctx.facts.ifcfgDirectory ?? HostPaths.defaultIfcfgDirectory, "ifcfg-\(bridge)")) with DEVICE=\(bridge) TYPE=Bridge ONBOOT=yes, or correct BRIDGE= in \(d.file)",
                devices: [d.name, bridge])
        })
    }

    /// The kinds of difference `config.ifcfg_drift` has always reported.
    static let ifcfgDriftCategories: Set<ConfigDrift.Category> = [.missing, .vlan, .bond, .bridgePort]

    static let drift = Check(
        id: "config.ifcfg_drift", family: .config, severity: .warn,
        title: "Configured bond mode, slaves, VLAN or bridge differ from the running state"
    ) { ctx in
        if let reason = ifcfgMissing(ctx) { return .skipped(reason) }
        return .ran(ifcfgDevices(ctx).compactMap { d in
            var diffs = ConfigDrift.differences(d, ctx: ctx).filter { ifcfgDriftCategories.contains($0.category) }
            guard !diffs.isEmpty, let label = d.labels.first?.value else { return nil }
            diffs.sort { $0.what < $1.what }
            return Finding(
                check: "config.ifcfg_drift", severity: .warn, subject: d.name,
                explanation: "\(d.name) runs differently from ifcfg-\(label): \(diffs.map(\.what).joined(separator: "; ")). The next reboot or ifup changes the network under the running VMs.",
                evidence: diffs.flatMap(\.evidence),
                fix: "if the files are right: ifdown \(q(d.name)); ifup \(q(d.name)) (nmcli connection up \(q(d.name))); if the running state is right, update \(d.file)",
                devices: [d.name])
        })
    }
}
