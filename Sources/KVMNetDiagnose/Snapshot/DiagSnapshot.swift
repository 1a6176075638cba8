import KVMNetSources
import KVMNetModel

/// Everything the diagnosis reads, in one value: the topology model, the host facts,
/// the raw text of the files read, the read errors, and whether the reader was root.
///
/// `kvmnet-diag snapshot -o FILE` writes it as JSON; `--from FILE` diagnoses a saved one;
/// `kvmnet-agent` builds one from its in-memory model. Decoding is lenient: keys other
/// than `topology` may be missing.
public struct DiagSnapshot: Sendable, Hashable, Codable {
    /// Version of this snapshot format.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// When it was taken, ISO 8601 (UTC).
    public var takenAt: String?
    public var hostname: String?
    /// Whether the reader had root (CAP_NET_ADMIN): LACP details and /proc/net/vlan need it.
    public var runningAsRoot: Bool
    /// Sources the topology came from: `sysfs`, `procfs`, `netlink`.
    public var topologySources: [Source]
    /// Roots the files were read under, for evidence paths.
    public var procfsRoot: String
    public var sysfsRoot: String
    public var topology: Topology
    public var facts: HostFacts
    /// Raw text of the libvirt XML, ifcfg, /proc/net/bonding and /proc/net/vlan files read.
    public var files: [SourceFile]
    /// Sources that could not be read. Non-empty means the data is incomplete.
    public var errors: [SourceError]
    /// MAC moves between ports seen per bridge over the agent's window
    /// (`[bridge: moves]`); `nil` when nobody watched FDB events (a one-shot CLI run).
    public var fdbMoves: [String: UInt64]?
    /// Length of the window `fdbMoves` counts over, in seconds.
    public var fdbMovesWindowSeconds: Double?

    public init(
        takenAt: String? = nil, hostname: String? = nil, runningAsRoot: Bool = true,
        topologySources: [Source] = [.sysfs, .procfs], procfsRoot: String = "/proc",
        sysfsRoot: String = "/sys", topology: Topology, facts: HostFacts = HostFacts(),
        files: [SourceFile] = [], errors: [SourceError] = [], fdbMoves: [String: UInt64]? = nil,
        fdbMovesWindowSeconds: Double? = nil
    ) {
        self.schemaVersion = Self.currentSchemaVersion
        self.takenAt = takenAt
        self.hostname = hostname
        self.runningAsRoot = runningAsRoot
        self.topologySources = topologySources
        self.procfsRoot = procfsRoot
        self.sysfsRoot = sysfsRoot
        self.topology = topology
        self.facts = facts
        self.files = files
        self.errors = errors
        self.fdbMoves = fdbMoves
        self.fdbMovesWindowSeconds = fdbMovesWindowSeconds
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case takenAt = "taken_at"
        case hostname
        case runningAsRoot = "running_as_root"
        case topologySources = "topology_sources"
        case procfsRoot = "procfs_root"
        case sysfsRoot = "sysfs_root"
        case topology, facts, files, errors
        case fdbMoves = "fdb_moves"
        case fdbMovesWindowSeconds = "fdb_moves_window_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? Self.currentSchemaVersion
        takenAt = try c.decodeIfPresent(String.self, forKey: .takenAt)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        runningAsRoot = try c.decodeIfPresent(Bool.self, forKey: .runningAsRoot) ?? true
        topologySources = try c.decodeIfPresent([Source].self, forKey: .topologySources) ?? []
        procfsRoot = try c.decodeIfPresent(String.self, forKey: .procfsRoot) ?? "/proc"
        sysfsRoot = try c.decodeIfPresent(String.self, forKey: .sysfsRoot) ?? "/sys"
        topology = try c.decode(Topology.self, forKey: .topology)
        facts = try c.decodeIfPresent(HostFacts.self, forKey: .facts) ?? HostFacts()
        files = try c.decodeIfPresent([SourceFile].self, forKey: .files) ?? []
        errors = try c.decodeIfPresent([SourceError].self, forKey: .errors) ?? []
        fdbMoves = try c.decodeIfPresent([String: UInt64].self, forKey: .fdbMoves)
        fdbMovesWindowSeconds = try c.decodeIfPresent(Double.self, forKey: .fdbMovesWindowSeconds)
    }

    /// The raw file read from `path`, if kept.
    public func file(at path: String) -> SourceFile? { files.first { $0.path == path } }
}
