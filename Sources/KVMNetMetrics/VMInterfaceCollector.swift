import KVMNetModel
import KVMNetState
import KVMNetLock

/// The VM interfaces (KVMNetModel's ``VMInterface``) as last read from libvirt. The agent replaces the contents when it
/// re-reads libvirt's state; scrapes only read them (memory, no file access).
public final class VMInterfaceTable: Sendable {
    private let storage: Locked<[VMInterface]>

    public init(_ interfaces: [VMInterface] = []) {
        storage = Locked(interfaces)
    }

    public var interfaces: [VMInterface] { storage.withLock { $0 } }

    /// Replaces the contents; returns whether they changed.
    @discardableResult
    public func replace(_ interfaces: [VMInterface]) -> Bool {
        storage.withLock { current in
            guard Set(current) != Set(interfaces) else { return false }
            current = interfaces
            return true
        }
    }
}

/// `kvmnet_vm_interface_info{domain,device,bridge,mac,vmid}`: which tap belongs to which
/// VM (a libvirt domain, or a Proxmox VE guest: `domain` its name, `vmid` its id; empty
/// for libvirt); `kvmnet_vm_interface_vlan{domain,device,source}`: the VLAN it is in, and
/// the one its configuration asks for (at most three series per interface, whatever the
/// trunks).
///
/// Only interfaces whose tap exists in the snapshot's topology are shown, so a VM's
/// series come and go with its tap even before libvirt's state is read again.
/// The `mac` label is a deliberate exception to "no label holds a MAC": one series per
/// VM interface (bounded by the taps on the host), and the MAC is what joins a tap to the
/// guest (ARP tables, `vm.duplicate_mac`).
public struct VMInterfaceCollector: Collector {
    public let table: VMInterfaceTable

    public init(table: VMInterfaceTable) { self.table = table }

    public func collect(_ snapshot: StateSnapshot) -> [MetricFamily] {
        var info = MetricFamily(
            name: "kvmnet_vm_interface_info",
            help: "A running VM's interface (libvirt domain or Proxmox VE guest): its tap, the bridge its config names, its MAC and Proxmox vmid; value is always 1.",
            type: .gauge)
        var vlan = MetricFamily(
            name: "kvmnet_vm_interface_vlan",
            help: "The VLAN of a VM interface's untagged frames, by source: pvid (its tap's PVID on a VLAN-aware bridge), vlan_device (the one VLAN device on its tap's bridge), libvirt (the <vlan> tag its XML asks for, or a trunk's untagged native tag), proxmox (the tag= of a Proxmox VE guest's NIC).",
            type: .gauge)
        var seen = Set<String>()
        for i in table.interfaces {
            guard let tap = i.tap, snapshot.topology.links[tap] != nil else { continue }
            // A tap belongs to one domain; a stale double (a status file not yet rewritten) shows once.
            guard seen.insert(tap).inserted else { continue }
            info.add([("domain", i.domain), ("device", tap), ("bridge", i.bridge ?? ""), ("mac", i.mac ?? ""), ("vmid", i.vmid.map(String.init) ?? "")], 1)
            let id = [("domain", i.domain), ("device", tap)]
            if let access = snapshot.topology.accessVLAN(ofPort: tap) {
                vlan.add(id + [("source", access.source.rawValue)], access.id)
            }
            if let asked = i.vlan.flatMap(Self.requestedAccessVLAN) {
                vlan.add(id + [("source", (i.manager ?? .libvirt) == .libvirt ? "libvirt" : "proxmox")], asked)
            }
        }
        return [info, vlan]
    }

    /// The VLAN of untagged frames that a libvirt `<vlan>` asks for: the tag of an access
    /// port, or the native tag of a trunk whose native VLAN travels untagged.
    static func requestedAccessVLAN(_ request: VMVLANRequest) -> Int? {
        if !request.trunk { return request.tags.first }
        return request.nativeMode == .untagged ? request.nativeTag : nil
    }
}
