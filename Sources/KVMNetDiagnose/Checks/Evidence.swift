/// One fact a finding rests on: where it was read and the value found there.
public struct Evidence: Sendable, Hashable, Codable {
    /// Kind of source: `sysfs`, `procfs`, `netlink`, `libvirt`, `ifcfg`, `sysctl`, `route`,
    /// `agent` (event counters), `request` (the command line), `model` (derived).
    public var source: String
    /// The file read, when the source is a file.
    public var file: String?
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// What was read: a key (`VLAN_ID`), a procfs label (`Currently Active Slave`), an
    /// attribute (`IFLA_OPERSTATE of bond0`).
    public var attribute: String
    /// The value read, as text.
    public var value: String

    public init(source: String, file: String? = nil, line: Int? = nil, attribute: String, value: String) {
        self.source = source
        self.file = file
        self.line = line
        self.attribute = attribute
        self.value = value
    }

    enum CodingKeys: String, CodingKey { case source, file, line, attribute, value }

    /// `file:line  attribute = value`, or `source  attribute = value` without a file.
    public var rendered: String {
        let location: String
        if let file {
            location = line.map { "\(file):\($0)" } ?? file
        } else {
            location = source
        }
        return "\(location)  \(attribute) = \(value)"
    }
}
