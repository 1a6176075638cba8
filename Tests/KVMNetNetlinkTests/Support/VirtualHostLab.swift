import Foundation
import KVMNetModel

/// A KVM host in miniature inside test namespaces: two bridges, veth "VM NICs" whose other
/// ends sit in one namespace per VM, a tap without a process, and static FDB entries.
///
/// ```
/// br0 10.0.0.1/24: vnet0 <-> vm0 eth0 10.0.0.10, vnet1 <-> vm1 eth0 10.0.0.11
/// br1 10.0.1.1/24: vnet2 <-> vm2 eth0 10.0.1.20, tap0
/// ```
/// IPv6 is off everywhere, so that only the test's own traffic teaches the bridges MACs.
final class VirtualHostLab {
    let host: TestNamespace
    let vms: [TestNamespace]

    init(host: TestNamespace) throws {
        self.host = host
        var vms: [TestNamespace] = []
        do {
            for _ in 0..<3 { vms.append(try TestNamespace(prefix: "kvmnet-vm")) }
        } catch {
            vms.forEach { $0.delete() }
            throw error
        }
        self.vms = vms
    }

    /// Deletes the VM namespaces (the host namespace belongs to the caller).
    func tearDown() { vms.forEach { $0.delete() } }

    /// Bridges only: what exists before the VMs start.
    func createBridges() throws {
        try host.disableIPv6()
        try host.ipBatch([
            "link add br0 type bridge",
            "link add br1 type bridge",
            "link set lo up", "link set br0 up", "link set br1 up",
            "addr add 10.0.0.1/24 dev br0",
            "addr add 10.0.1.1/24 dev br1",
        ])
    }

    /// The VMs' NICs, plugged into the bridges and up.
    func plugVMs() throws {
        for vm in vms { try vm.disableIPv6() }
        try host.ipBatch([
            "link add vnet0 type veth peer name eth0 netns \(vms[0].name)",
            "link add vnet1 type veth peer name eth0 netns \(vms[1].name)",
            "link add vnet2 type veth peer name eth0 netns \(vms[2].name)",
            "tuntap add dev tap0 mode tap",
            "link set vnet0 master br0", "link set vnet1 master br0",
            "link set vnet2 master br1", "link set tap0 master br1",
            "link set vnet0 up", "link set vnet1 up", "link set vnet2 up", "link set tap0 up",
        ])
        let addresses = ["10.0.0.10/24", "10.0.0.11/24", "10.0.1.20/24"]
        for (vm, address) in zip(vms, addresses) {
            try vm.ipBatch(["link set lo up", "link set eth0 up", "addr add \(address) dev eth0"])
        }
    }

    /// One datagram between the VMs of br0, both ways, and from vm2 to br1: the ARP
    /// exchanges make the bridges learn the VMs' MACs.
    ///
    /// A bridge enables a port only when the kernel's link watcher has processed its
    /// carrier (up to a second later), and does not learn on a disabled port: wait for the
    /// ports to forward first, and send again until each VM's MAC is learned.
    func exchangeTraffic() throws {
        let ports = ["vnet0", "vnet1", "vnet2"]
        guard waitUntil(timeout: 5, { (try? self.forwardingPorts()).map { Set(ports).isSubset(of: $0) } ?? false }) else {
            throw Command.Failure(arguments: ["wait for forwarding ports"], status: -1, stderr: "timed out")
        }
        for _ in 0..<10 {
            _ = try vms[0].run { try sendUDP(to: "10.0.0.11") }
            _ = try vms[1].run { try sendUDP(to: "10.0.0.10") }
            _ = try vms[2].run { try sendUDP(to: "10.0.1.1") }
            if waitUntil(timeout: 1, { (try? self.learnedPorts()).map { Set(ports).isSubset(of: $0) } ?? false }) { return }
        }
        throw Command.Failure(arguments: ["wait for learned MACs"], status: -1, stderr: "timed out")
    }

    /// Ports in forwarding state, as `bridge link show` prints them.
    func forwardingPorts() throws -> Set<String> {
        var out: Set<String> = []
        for line in try host.bridge("link", "show").split(separator: "\n") where line.contains("state forwarding") {
            // "5: vnet0@if2: <...> mtu 1500 master br0 state forwarding ..."
            let words = line.split(separator: " ")
            if words.count > 1, let name = words[1].split(separator: "@").first {
                out.insert(name.trimmingCharacters(in: [":"]))
            }
        }
        return out
    }

    /// Ports with at least one learned entry.
    func learnedPorts() throws -> Set<String> {
        let summaries = try fdbShow().summaries.values
        return Set(summaries.flatMap { $0.counts.keys.filter { $0.kind == .learned }.map(\.port) })
    }

    /// Two static entries, as a cloud manager pins VM MACs.
    func addStaticEntries() throws {
        try host.bridge("fdb", "add", "02:00:00:00:00:01", "dev", "vnet0", "master", "static")
        try host.bridge("fdb", "add", "02:00:00:00:00:02", "dev", "vnet2", "master", "static")
    }

    /// `bridge fdb show` of the host namespace, counted per bridge.
    func fdbShow() throws -> (text: String, summaries: [String: FDBSummary]) {
        let text = try host.bridge("fdb", "show")
        return (text, BridgeFDBShow.summaries(text))
    }
}
