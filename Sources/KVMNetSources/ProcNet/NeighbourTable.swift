/// One complete entry of the kernel's IPv4 neighbour (ARP) table.
public struct Neighbour: Sendable, Hashable, Codable {
    public var address: String
    public var mac: String
    public var interface: String

    public init(address: String, mac: String, interface: String) {
        self.address = address
        self.mac = mac
        self.interface = interface
    }
}

/// Pure parser of `/proc/net/arp`, used to turn an IP address given on the command
/// line into a MAC, and the MAC into a VM interface.
public enum NeighbourTableParser {
    public static func parse(_ text: String) -> [Neighbour] {
        var out: [Neighbour] = []
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // IP address, HW type, Flags, HW address, Mask, Device; flags 0x0 = incomplete.
            guard f.count >= 6, IPv4(f[0]) != nil, let flags = Int(f[2].dropFirst(2), radix: 16),
                  flags & 0x2 != 0, !MACText.isZero(f[3]) else { continue }
            out.append(Neighbour(address: String(f[0]), mac: f[3].lowercased(), interface: String(f[5])))
        }
        return out
    }
}

/// Small helpers for MAC address text.
public enum MACText {
    static func isZero(_ text: some StringProtocol) -> Bool {
        text.allSatisfy { $0 == "0" || $0 == ":" }
    }

    /// Whether `text` looks like `aa:bb:cc:dd:ee:ff` (any case, or `-` separated).
    public static func isMAC(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let dashed = text.split(separator: "-", omittingEmptySubsequences: false)
        let groups = parts.count == 6 ? parts : dashed
        return groups.count == 6 && groups.allSatisfy { $0.count == 2 && UInt8($0, radix: 16) != nil }
    }

    /// Lower-case colon form.
    public static func normalize(_ text: String) -> String {
        text.lowercased().replacingDash()
    }
}

extension String {
    fileprivate func replacingDash() -> String { String(map { $0 == "-" ? ":" : $0 }) }
}
