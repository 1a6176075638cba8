import KVMNetModel
import KVMNetSources

/// What `kvmnet-diag watch A B` watches, made from a snapshot before anything is attached:
/// the two ends (resolved as `diagnose A B` resolves them), the traced path with the
/// static diagnosis' marks, the addresses the BPF program filters on, and the host's
/// devices by ifindex (to name the devices events carry).
public struct WatchPlan: Sendable {
    /// The static diagnosis of the same pair: its path, findings and verdict, joined with
    /// what the kernel does.
    public var staticReport: DiagReport
    public var from: Endpoint
    public var to: Endpoint
    /// MACs of both ends plus the broadcast address (ARP requests), as 48-bit words.
    public var macs: [UInt64]
    /// IPv4 addresses of both ends (bare).
    public var ipv4: [String]
    /// Host devices by ifindex.
    public var devices: [Int: String]
    /// The snapshot's topology, for causes (MTUs, port states, VLAN memberships).
    public var topology: Topology

    /// The all-ones MAC.
    public static let broadcast: UInt64 = 0xffff_ffff_ffff

    /// Why there is nothing to watch.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// An endpoint the host does not know (the static diagnosis' request errors).
        case unresolved([ResolveError])
        /// An endpoint with neither a MAC nor an IPv4 address: nothing to filter frames on.
        case noAddress(endpoint: String)

        public var description: String {
            switch self {
            case .unresolved(let errors): return errors.map { "\($0.query): \($0.message)" }.joined(separator: "; ")
            case .noAddress(let endpoint):
                return "\(endpoint) has neither a MAC nor an IPv4 address kvmnet knows: its frames cannot be told apart (give its MAC or IP address instead)"
            }
        }
    }

    /// Plans a watch of the pair `from` - `to` on `snapshot`.
    public static func make(snapshot: DiagSnapshot, from: String, to: String) -> Result<WatchPlan, Failure> {
        let report = diagnose(snapshot, request: DiagRequest(.path(from: from, to: to)))
        guard report.requestErrors.isEmpty, let path = report.path, let b = path.to else {
            return .failure(.unresolved(report.requestErrors))
        }
        let a = path.from
        var macs: [UInt64] = []
        var ipv4: [String] = []
        for end in [a, b] {
            let mac = end.mac.flatMap(MACAddress.parse)
            let ips = Self.ipv4(of: end)
            if mac == nil && ips.isEmpty { return .failure(.noAddress(endpoint: end.displayName)) }
            if let mac { macs.append(mac) }
            ipv4 += ips
        }
        macs.append(broadcast)
        var devices: [Int: String] = [:]
        for link in snapshot.topology.links.values where link.index > 0 { devices[link.index] = link.name }
        return .success(WatchPlan(staticReport: report, from: a, to: b, macs: macs, ipv4: ipv4,
                                  devices: devices, topology: snapshot.topology))
    }

    /// The endpoint's IPv4 addresses, bare (`10.0.0.5/24` -> `10.0.0.5`); others left out.
    static func ipv4(of endpoint: Endpoint) -> [String] {
        endpoint.addresses.compactMap { IPv4($0.split(separator: "/").first ?? "")?.description }
    }
}
