import KVMNetState
import Synchronization

/// One network interface of a running libvirt domain: the tap on the host, the bridge the
/// domain's XML puts it on, and the guest's MAC.
public struct VMInterface: Sendable, Hashable {
    public var domain: String
    /// The tap (`<target dev='vnet0'/>`).
    public var device: String
    /// `<source bridge>`, or the bridge of the `<source network>`; empty when none (macvtap).
    public var bridge: String
    /// `<mac address>`, lower-case.
    public var mac: String

    public init(domain: String, device: String, bridge: String, mac: String) {
        self.domain = domain
        self.device = device
        self.bridge = bridge
        self.mac = mac
    }
}

/// The VM interfaces as last read from libvirt. The agent replaces the contents when it
/// re-reads libvirt's state; scrapes only read them (memory, no file access).
public final class VMInterfaceTable: Sendable {
    private let storage: Mutex<[VMInterface]>

    public init(_ interfaces: [VMInterface] = []) {
        storage = Mutex(interfaces)
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

/// `kvmnet_vm_interface_info{domain,device,bridge,mac}`: which tap belongs to which VM.
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
            help: "A running libvirt domain's interface: its tap, the bridge its XML names and its MAC; value is always 1.",
            type: .gauge)
        var seen = Set<String>()
        for i in table.interfaces where snapshot.topology.links[i.device] != nil {
            // A tap belongs to one domain; a stale double (a status file not yet rewritten) shows once.
            guard seen.insert(i.device).inserted else { continue }
            info.add([("domain", i.domain), ("device", i.device), ("bridge", i.bridge), ("mac", i.mac)], 1)
        }
        return [info]
    }
}
