/// One IPv4 route of the main table, as `/proc/net/route` lists it.
public struct Route: Sendable, Hashable, Codable {
    public var interface: String
    /// Dotted destination (`0.0.0.0` for the default route).
    public var destination: String
    public var gateway: String
    public var prefixLength: Int
    public var metric: Int
    /// `RTF_*` flags (1 up, 2 gateway, 4 host).
    public var flags: Int
    /// 1-based line in the file.
    public var line: Int

    public init(interface: String, destination: String, gateway: String, prefixLength: Int,
                metric: Int, flags: Int, line: Int) {
        self.interface = interface
        self.destination = destination
        self.gateway = gateway
        self.prefixLength = prefixLength
        self.metric = metric
        self.flags = flags
        self.line = line
    }

    public var isDefault: Bool { destination == "0.0.0.0" && prefixLength == 0 }

    /// A route through a gateway (`RTF_GATEWAY`).
    public var viaGateway: Bool { flags & 0x2 != 0 }

    /// The destination as an interface value, for containment tests.
    public var subnet: IPv4Interface? {
        IPv4(destination).map { IPv4Interface(address: $0, prefix: prefixLength) }
    }
}

/// Pure parser of `/proc/net/route`.
public enum RouteTableParser {
    /// Parses the file; the header line and malformed lines are skipped.
    public static func parse(_ text: String) -> [Route] {
        var routes: [Route] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 8, f[0] != "Iface",
                  let dest = IPv4(procHex: f[1]), let gateway = IPv4(procHex: f[2]),
                  let flags = Int(f[3], radix: 16), let metric = Int(f[6]),
                  let mask = UInt32(f[7], radix: 16) else { continue }
            routes.append(Route(interface: String(f[0]), destination: dest.description,
                                gateway: gateway.description,
                                prefixLength: IPv4.prefixLength(mask: mask.byteSwapped),
                                metric: metric, flags: flags, line: index + 1))
        }
        return routes
    }
}
