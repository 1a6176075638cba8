/// A read or parse problem in one source. The read goes on without that piece.
public struct SourceError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The source, as in `kvmnet_source_errors_total{source}`: `sysfs`, `procfs_bonding`,
    /// `procfs_vlan`, `netlink`, `brforward`.
    public var source: String
    public var path: String
    public var message: String

    public init(source: String, path: String, message: String) {
        self.source = source
        self.path = path
        self.message = message
    }

    public var description: String { "\(source): \(path): \(message)" }

    /// Every source the agent reads, so their error counters start at zero.
    public static let allSources = ["brforward", "netlink", "procfs_bonding", "procfs_vlan", "sysfs"]
}
