import KVMNetSources
import KVMNetModel

/// Checks of VLAN devices: where they sit, their names, their parents.
enum VLANChecks {
    static let all: [Check] = [onBondSlave, nameIDMismatch, parentDown]

    static let onBondSlave = Check(
        id: "vlan.on_bond_slave", family: .vlan, severity: .fail,
        title: "A VLAN device sits on a bond slave instead of the bond"
    ) { ctx in
        .ran(ctx.sortedVLANs.compactMap { vlan in
            guard let bond = ctx.topology.bond(containing: vlan.parent) else { return nil }
            return Finding(
                check: "vlan.on_bond_slave", severity: .fail, subject: vlan.name,
                explanation: "\(vlan.name) (VLAN \(vlan.id)) sits on \(vlan.parent), a slave of \(bond.name), instead of on \(bond.name). Its frames bypass the bond: they stop when \(vlan.parent) goes down or is the backup, and the bond's failover does not cover them.",
                evidence: [ctx.evidence.vlan(vlan),
                           ctx.evidence.bond(bond.name, "Slave Interface", vlan.parent, slave: vlan.parent)],
                fix: "ip link del \(q(vlan.name)) && ip link add link \(q(bond.name)) name \(q("\(bond.name).\(vlan.id)")) type vlan id \(vlan.id) (PHYSDEV=\(bond.name) in its ifcfg file)",
                devices: [vlan.name, vlan.parent, bond.name])
        })
    }

    /// The VLAN id and parent a name suggests: `bond0.20` -> (bond0, 20), `vlan20` -> (nil, 20).
    static func suggested(byName name: String) -> (parent: String?, id: Int)? { VLANName.parse(name) }

    static let nameIDMismatch = Check(
        id: "vlan.name_id_mismatch", family: .vlan, severity: .warn,
        title: "A VLAN device's name says another VLAN id (or parent) than it has"
    ) { ctx in
        .ran(ctx.sortedVLANs.compactMap { vlan in
            guard let named = suggested(byName: vlan.name) else { return nil }
            let idWrong = named.id != vlan.id
            let parentWrong = named.parent.map { $0 != vlan.parent } ?? false
            guard idWrong || parentWrong else { return nil }
            var says: [String] = []
            if idWrong { says.append("VLAN \(named.id) but it carries VLAN \(vlan.id)") }
            if parentWrong, let p = named.parent { says.append("parent \(p) but it sits on \(vlan.parent)") }
            let right = "\(vlan.parent).\(vlan.id)"
            return Finding(
                check: "vlan.name_id_mismatch", severity: .warn, subject: vlan.name,
                explanation: "\(vlan.name)'s name says \(says.joined(separator: " and ")). Anyone reading the name (or a script using it) puts traffic in the wrong VLAN.",
                evidence: [ctx.evidence.vlan(vlan)],
                fix: "if the id is right, rename: ip link set dev \(q(vlan.name)) down && ip link set dev \(q(vlan.name)) name \(q(right)); if the name is right, recreate: ip link del \(q(vlan.name)) && ip link add link \(q(named.parent ?? vlan.parent)) name \(q(vlan.name)) type vlan id \(named.id)",
                devices: [vlan.name])
        })
    }

    static let parentDown = Check(
        id: "vlan.parent_down", family: .vlan, severity: .fail,
        title: "A VLAN device's parent is down or missing"
    ) { ctx in
        .ran(ctx.sortedVLANs.compactMap { vlan in
            guard let parent = ctx.topology.links[vlan.parent] else {
                return Finding(
                    check: "vlan.parent_down", severity: .fail, subject: vlan.name,
                    explanation: "\(vlan.name)'s parent \(vlan.parent) does not exist. The VLAN device cannot send or receive anything.",
                    evidence: [ctx.evidence.vlan(vlan), ctx.evidence.model("link \(vlan.parent)", "(absent)")],
                    fix: "recreate the VLAN device on an existing parent: ip link add link PARENT name \(q(vlan.name)) type vlan id \(vlan.id)",
                    devices: [vlan.name, vlan.parent])
            }
            guard parent.operState == .down || parent.operState == .lowerlayerdown
                || parent.operState == .notpresent || parent.adminUp == false else { return nil }
            let adminDown = parent.adminUp == false
            return Finding(
                check: "vlan.parent_down", severity: .fail, subject: vlan.name,
                explanation: "\(vlan.name)'s parent \(vlan.parent) is \(adminDown ? "administratively down" : "down (no carrier)"). Nothing in VLAN \(vlan.id) passes until it comes up.",
                evidence: [ctx.evidence.vlan(vlan), ctx.evidence.link(vlan.parent, .operState, parent.operState.rawValue)],
                fix: adminDown ? "ip link set dev \(q(vlan.parent)) up"
                    : "repair \(vlan.parent)'s link (cable, switch port, or the bond's slaves: see its own findings)",
                devices: [vlan.name, vlan.parent])
        })
    }
}
