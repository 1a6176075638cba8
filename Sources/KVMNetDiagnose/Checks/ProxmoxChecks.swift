import KVMNetModel
import KVMNetSources

/// Checks of Proxmox VE guests' NICs (`net<n>:` of `/etc/pve/qemu-server/<vmid>.conf` and
/// `/etc/pve/lxc/<vmid>.conf`) against the running topology, as pve-common's `tap_plug`
/// wires them: the tap (a container's `veth<vmid>i<n>`) on the NIC's bridge, or with
/// `firewall=1` on `fwbr<vmid>i<n>`, joined by the veth pair `fwln<vmid>i<n>` =
/// `fwpr<vmid>p<n>` to the bridge; on a VLAN-aware bridge the NIC's port (the tap, or
/// `fwpr` with the firewall) gets `tag=` as its PVID, untagged (VLAN 1 without a tag) and
/// every VLAN of `trunks=`.
///
/// Only guests whose tap exists are checked: a guest without one is not running here.
enum ProxmoxChecks {
    static let all: [Check] = [tapWrongBridge, tagNotOnPort, trunksMissing, mtuMismatch, firewallPathMissing]

    /// One NIC of a running guest.
    struct NIC {
        var guest: ProxmoxGuest
        var nic: ProxmoxNIC
        var devices: ProxmoxDevices
        /// The bridge it belongs on (``VMInterface/intendedBridge(_:networkBridge:vlanAware:)``).
        var expectedBridge: String?

        var subject: String { "\(guest.displayName) \(devices.tap)" }
        /// The NIC's port on its bridge: `fwpr<vmid>p<n>` with the firewall, else the tap.
        var port: String { nic.firewall ? devices.firewallPeer : devices.tap }
        /// The guest's own devices: a finding is kept for a path through them, not for every
        /// path through the bridge it shares with healthy guests.
        var allDevices: [String] {
            [guest.displayName, String(guest.vmid), devices.tap] + (nic.firewall
                ? [devices.firewallBridge, devices.firewallLink, devices.firewallPeer] : [])
        }
    }

    /// The skip reason when this is no Proxmox host (or its configs could not be read).
    static func proxmoxMissing(_ ctx: CheckContext) -> String? {
        guard ctx.facts.proxmoxGuests.isEmpty else { return nil }
        if let denied = ctx.deniedRead(.proxmox) { return CheckContext.needsPrivilege(denied) }
        guard ctx.facts.proxmoxDirectories.isEmpty else { return nil }
        return "no Proxmox VE guest configs found (no /etc/pve/qemu-server or /etc/pve/lxc, or --proxmox-dir)"
    }

    /// The bridged NICs of guests whose tap exists.
    static func runningNICs(_ ctx: CheckContext) -> [NIC] {
        let resolver = EndpointResolver(snapshot: ctx.snapshot)
        return ctx.facts.proxmoxGuests.flatMap { guest in
            guest.nics.compactMap { nic -> NIC? in
                let devices = guest.devices(nic)
                guard nic.bridge != nil, ctx.topology.links[devices.tap] != nil else { return nil }
                return NIC(guest: guest, nic: nic, devices: devices, expectedBridge: resolver.expectedBridge(of: nic))
            }
        }
    }

    /// A setting of the NIC's config line, cited with its file and line.
    static func config(_ n: NIC, _ key: String, _ value: String?) -> Evidence {
        Evidence(source: "proxmox", file: n.guest.file, line: n.nic.line, attribute: "\(n.nic.key) \(key)",
                 value: value ?? "(not set)")
    }

    /// The NIC's property string with `key` set to `value` (removed when `nil`).
    static func setting(_ nic: ProxmoxNIC, _ key: String, _ value: String?) -> String {
        var items = nic.value.split(separator: ",").map(String.init)
        let index = items.firstIndex { $0.hasPrefix(key + "=") }
        switch (index, value) {
        case (let i?, let v?): items[i] = "\(key)=\(v)"
        case (let i?, nil): items.remove(at: i)
        case (nil, let v?): items.append("\(key)=\(v)")
        case (nil, nil): break
        }
        return items.joined(separator: ",")
    }

    /// `qm set 100 --net0 '...'` (`pct set` for a container).
    static func set(_ n: NIC, _ value: String) -> String {
        "\(n.guest.kind.command) set \(n.guest.vmid) --\(n.nic.key) \(q(value))"
    }

    /// Re-plugging the NIC the Proxmox way: a change of `firewall` makes Proxmox unplug the
    /// tap and plug it again (`tap_unplug`, `tap_plug`), rebuilding its bridge, firewall
    /// path and VLANs from the config.
    static func replug(_ n: NIC) -> String {
        let toggled = setting(n.nic, "firewall", n.nic.firewall ? "0" : "1")
        return "\(set(n, toggled)) && \(set(n, n.nic.value))"
    }

    static func master(_ ctx: CheckContext, _ device: String) -> String? { ctx.topology.bridge(containing: device)?.name }

    static let tapWrongBridge = Check(
        id: "pve.tap_wrong_bridge", family: .proxmox, severity: .fail,
        title: "A Proxmox guest's NIC is on another bridge than its config names"
    ) { ctx in
        if let reason = proxmoxMissing(ctx) { return .skipped(reason) }
        return .ran(runningNICs(ctx).compactMap { n in
            guard let expected = n.expectedBridge else { return nil }
            // With the firewall the NIC's port on its bridge is fwpr; a missing one is
            // pve.firewall_path_missing's.
            let port = n.port
            guard ctx.topology.links[port] != nil else { return nil }
            let actual = master(ctx, port)
            if n.nic.firewall && actual == nil { return nil }
            guard actual != expected else { return nil }
            let derived = expected != n.nic.bridge
                ? " (\(n.nic.bridge ?? "?") is not VLAN-aware, so Proxmox puts a NIC with tag=\(n.nic.tag.map(String.init) ?? "?") on \(expected), a bridge over the uplink's VLAN device)"
                : ""
            let whereNow = actual.map { "is on \($0)" } ?? "is on no bridge"
            let consequence = actual == nil ? "The guest is cut off." : "The guest sits in the wrong network segment."
            var evidence = [ctx.evidence.link(port, .master, actual ?? "(none)"), config(n, "bridge", n.nic.bridge)]
            if !derived.isEmpty { evidence.append(config(n, "tag", n.nic.tag.map(String.init))) }
            return Finding(
                check: "pve.tap_wrong_bridge", severity: .fail, subject: n.subject,
                explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) \(port == n.devices.tap ? "tap" : "firewall veth") \(port) \(whereNow), but its config puts it on \(expected)\(derived). \(consequence)",
                evidence: evidence,
                fix: "\(replug(n)) (Proxmox plugs it again as the config says), or now: ip link set dev \(q(port)) master \(q(expected))"
                    + (actual.map { "; if \($0) is right: \(set(n, setting(n.nic, "bridge", $0)))" } ?? ""),
                devices: n.allDevices)
        })
    }

    static let tagNotOnPort = Check(
        id: "pve.tag_not_on_port", family: .proxmox, severity: .fail,
        title: "A Proxmox NIC's tag is not its port's PVID on the VLAN-aware bridge"
    ) { ctx in
        if let reason = proxmoxMissing(ctx) { return .skipped(reason) }
        return .ran(runningNICs(ctx).compactMap { n in
            guard let name = n.expectedBridge, let bridge = ctx.topology.bridges[name], bridge.vlanAware,
                  let vlans = bridge.port(named: n.port)?.vlans else { return nil }
            // Proxmox: `bridge vlan add dev PORT vid TAG pvid untagged`, VLAN 1 without a tag.
            let want = n.nic.tag ?? 1
            guard vlans.pvid != want || vlans.egressUntagged(want) != true else { return nil }
            let running = vlans.pvid.map { "its PVID is \($0)" } ?? "it has no PVID"
            let tagText = n.nic.tag.map { "tag=\($0)" } ?? "no tag (Proxmox then gives the port VLAN 1)"
            return Finding(
                check: "pve.tag_not_on_port", severity: .fail, subject: n.subject,
                explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) has \(tagText), but on \(name) its port \(n.port) \(vlans.egressUntagged(want) == true ? running : "is not an untagged member of VLAN \(want) (\(running))"). The guest's untagged frames land in another VLAN, or are dropped.",
                evidence: [config(n, "tag", n.nic.tag.map(String.init)), ctx.evidence.bridgeVLANs(n.port, vlans)],
                fix: "\(replug(n)), or now: bridge vlan add dev \(q(n.port)) vid \(want) pvid untagged",
                devices: n.allDevices)
        })
    }

    static let trunksMissing = Check(
        id: "pve.trunks_missing", family: .proxmox, severity: .fail,
        title: "VLANs of a Proxmox NIC's trunks are not on its port"
    ) { ctx in
        if let reason = proxmoxMissing(ctx) { return .skipped(reason) }
        return .ran(runningNICs(ctx).compactMap { n in
            guard !n.nic.trunks.isEmpty, let name = n.expectedBridge, let bridge = ctx.topology.bridges[name] else { return nil }
            let trunks = n.nic.trunksText ?? ""
            if bridge.vlanFiltering == false {
                return Finding(
                    check: "pve.trunks_missing", severity: .fail, subject: n.subject,
                    explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) asks for trunks=\(trunks), but \(name) is not VLAN-aware: Proxmox refuses trunks there (\"vlan aware feature need to be enabled to use trunks\") and the guest's tagged frames are not carried as VLANs.",
                    evidence: [config(n, "trunks", trunks), ctx.evidence.vlanFiltering(bridge)],
                    fix: "make \(name) VLAN-aware (bridge-vlan-aware yes in /etc/network/interfaces, then ifreload -a), or drop the trunks: \(set(n, setting(n.nic, "trunks", nil)))",
                    devices: n.allDevices)
            }
            guard bridge.vlanAware, let vlans = bridge.port(named: n.port)?.vlans else { return nil }
            let missing = n.nic.trunks.filter { !vlans.contains($0) }
            guard !missing.isEmpty else { return nil }
            let text = rangesText(missing)
            return Finding(
                check: "pve.trunks_missing", severity: .fail, subject: n.subject,
                explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) has trunks=\(trunks), but its port \(n.port) on \(name) is not a member of VLAN \(text). The guest's frames tagged with \(missing.count == 1 ? "it" : "them") are dropped.",
                evidence: [config(n, "trunks", trunks), ctx.evidence.bridgeVLANs(n.port, vlans)],
                fix: "\(replug(n)), or now: " + text.split(separator: ",").map { "bridge vlan add dev \(q(n.port)) vid \($0)" }.joined(separator: "; "),
                devices: n.allDevices)
        })
    }

    /// `20-22,30` for [20, 21, 22, 30].
    static func rangesText(_ ids: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < ids.count {
            var j = i
            while j + 1 < ids.count, ids[j + 1] == ids[j] + 1 { j += 1 }
            parts.append(i == j ? String(ids[i]) : "\(ids[i])-\(ids[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    static let mtuMismatch = Check(
        id: "pve.mtu_mismatch", family: .proxmox, severity: .fail,
        title: "A Proxmox NIC's mtu= differs from its running device's MTU"
    ) { ctx in
        if let reason = proxmoxMissing(ctx) { return .skipped(reason) }
        return .ran(runningNICs(ctx).compactMap { n in
            guard let configured = n.nic.mtu, configured != 1 || n.guest.kind == .lxc,
                  let running = ctx.topology.links[n.devices.tap]?.mtu, running != configured else { return nil }
            let evidence = [config(n, "mtu", String(configured)), ctx.evidence.link(n.devices.tap, .mtu, String(running))]
            if n.guest.kind == .qemu {
                // A VM's tap has the bridge's MTU; mtu= is what virtio tells the guest
                // (host_mtu). Smaller is a choice; larger cannot be carried.
                guard configured > running else { return nil }
                return Finding(
                    check: "pve.mtu_mismatch", severity: .fail, subject: n.subject,
                    explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) tells the guest MTU \(configured) (mtu=\(configured)), but its tap \(n.devices.tap) carries \(running). The guest's larger frames are dropped on the host: small packets pass, large transfers stall.",
                    evidence: evidence,
                    fix: "\(set(n, setting(n.nic, "mtu", "1"))) (the bridge's MTU), or raise the MTU of the bridge and its uplink to \(configured)",
                    devices: n.allDevices)
            }
            return Finding(
                check: "pve.mtu_mismatch", severity: .warn, subject: n.subject,
                explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) has mtu=\(configured), but its host veth \(n.devices.tap) runs with \(running): the container and the host disagree on the largest frame.",
                evidence: evidence,
                fix: "\(replug(n)) (Proxmox sets the veth's MTU again), or now: ip link set dev \(q(n.devices.tap)) mtu \(configured)",
                devices: n.allDevices)
        })
    }

    static let firewallPathMissing = Check(
        id: "pve.firewall_path_missing", family: .proxmox, severity: .fail,
        title: "A Proxmox NIC with firewall=1 lacks its firewall bridge path"
    ) { ctx in
        if let reason = proxmoxMissing(ctx) { return .skipped(reason) }
        return .ran(runningNICs(ctx).compactMap { n in
            guard n.nic.firewall else { return nil }
            let d = n.devices
            var problems: [String] = []
            var evidence = [config(n, "firewall", "1")]
            let tapMaster = master(ctx, d.tap)
            if ctx.topology.bridges[d.firewallBridge] == nil {
                problems.append("its firewall bridge \(d.firewallBridge) does not exist")
                evidence.append(ctx.evidence.model("link \(d.firewallBridge)", "(absent)"))
            }
            if tapMaster != d.firewallBridge {
                problems.append("the tap \(d.tap) is \(tapMaster.map { "on \($0)" } ?? "on no bridge"), not on \(d.firewallBridge)")
                evidence.append(ctx.evidence.link(d.tap, .master, tapMaster ?? "(none)"))
            }
            for (device, bridge) in [(d.firewallLink, d.firewallBridge), (d.firewallPeer, n.expectedBridge)] {
                guard ctx.topology.links[device] != nil else {
                    problems.append("the veth \(device) does not exist")
                    evidence.append(ctx.evidence.model("link \(device)", "(absent)"))
                    continue
                }
                let m = master(ctx, device)
                if m == nil {
                    problems.append("the veth \(device) is on no bridge\(bridge.map { " (it belongs on \($0))" } ?? "")")
                    evidence.append(ctx.evidence.link(device, .master, "(none)"))
                }
            }
            guard !problems.isEmpty else { return nil }
            // The tap straight on the NIC's bridge: traffic flows, unfiltered.
            let bypass = tapMaster != nil && tapMaster == n.expectedBridge
            let consequence = bypass
                ? "The guest's traffic flows, but around the firewall: its rules do not apply."
                : "The guest's frames do not reach \(n.expectedBridge ?? "its bridge"): it is cut off."
            return Finding(
                check: "pve.firewall_path_missing", severity: bypass ? .warn : .fail, subject: n.subject,
                explanation: "\(n.guest.displayName) (\(n.guest.vmid))'s \(n.nic.key) has firewall=1, so Proxmox wires it \(d.tap) -> \(d.firewallBridge) -> \(d.firewallLink) = \(d.firewallPeer) -> \(n.expectedBridge ?? "its bridge"); but \(problems.joined(separator: "; ")). \(consequence)",
                evidence: evidence,
                fix: "\(replug(n)) (Proxmox rebuilds the path)"
                    + ((ctx.topology.links[d.firewallPeer] != nil && master(ctx, d.firewallPeer) == nil)
                        ? ", or now: ip link set dev \(q(d.firewallPeer)) master \(q(n.expectedBridge ?? "BRIDGE"))" : ""),
                devices: n.allDevices)
        })
    }
}
