/// One end of a path, resolved from what the user typed to the host device where it
/// attaches.
public struct Endpoint: Sendable, Hashable, Codable {
    /// What was asked for: a domain name, interface name, MAC or IP address.
    public var query: String
    /// The libvirt domain, when the endpoint is a VM.
    public var domain: String?
    /// The host device the endpoint attaches through: the VM's tap, or the link itself.
    public var device: String
    public var mac: String?
    /// Known addresses: `10.0.0.5/24`, or a bare address given on the command line.
    public var addresses: [String]
    /// The bridge libvirt says the tap belongs on (`<source bridge>`, or the network's bridge).
    public var expectedBridge: String?

    public init(query: String, domain: String? = nil, device: String, mac: String? = nil,
                addresses: [String] = [], expectedBridge: String? = nil) {
        self.query = query
        self.domain = domain
        self.device = device
        self.mac = mac
        self.addresses = addresses
        self.expectedBridge = expectedBridge
    }

    enum CodingKeys: String, CodingKey {
        case query, domain, device, mac, addresses
        case expectedBridge = "expected_bridge"
    }

    /// The name to use in sentences: the domain, else the device.
    public var displayName: String { domain ?? device }
}

/// A request naming something the host does not know.
public struct ResolveError: Error, Sendable, Hashable, Codable {
    public var query: String
    public var message: String

    public init(query: String, message: String) {
        self.query = query
        self.message = message
    }
}
