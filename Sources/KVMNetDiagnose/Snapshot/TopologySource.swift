import KVMNetModel
import KVMNetSources

/// A full rtnetlink read of links, FDB and addresses. The `kvmnet-diag` executable
/// implements it with `NetlinkTopologyDump`; this target does not link netlink, and
/// tests pass a fixed dump.
public protocol LinkDumpSource: Sendable {
    /// The source, in `DiagSnapshot.topologySources` and in evidence: `.netlink`.
    var source: Source { get }
    /// One read of the host; a failure is returned, never thrown.
    func dump() -> Result<FullDump, SourceError>
}

/// How the collector builds the topology model.
enum TopologyReading {
    /// Without netlink: the lead's scanner over /sys/class/net, /proc/net/bonding,
    /// /proc/net/vlan/config.
    /// What sysfs cannot give (the VLAN lists of VLAN-filtering bridges) counts as missing
    /// data, as an unreadable source does: the report then says "data incomplete".
    static func scan(procfsRoot: String, sysfsRoot: String) -> (Topology, [SourceError]) {
        let result = TopologyScanner(procfsRoot: procfsRoot, sysfsRoot: sysfsRoot).scan()
        return (result.topology, result.errors + result.unavailable)
    }

    /// With netlink: links, FDB and addresses from the dump, completed by what only
    /// procfs has (bond slave speed, LACPDU partner; VLAN ids).
    static func netlink(_ dump: FullDump, procfsRoot: String, sysfsRoot: String) -> (Topology, [SourceError]) {
        var errors: [SourceError] = []
        let scanner = TopologyScanner(procfsRoot: procfsRoot, sysfsRoot: sysfsRoot)
        let bonds = scanner.readBonding(&errors)
        let vlans = scanner.readVLANConfig(&errors)
        let topology = TopologyBuilder.build(links: dump.links, fdb: FDBCounts(tallying: dump.fdb),
                                             bondSupplements: bonds, vlanSupplements: vlans)
        return (topology, errors)
    }

    /// Fills `Link.addresses` from a procfs address table where the model has none.
    static func applyAddresses(_ addresses: [String: [String]], to topology: inout Topology) {
        for (name, list) in addresses {
            guard var link = topology.links[name], link.addresses.isEmpty else { continue }
            link.addresses = list
            topology.links[name] = link
        }
    }
}
