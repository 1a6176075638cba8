import KVMNetSources

/// The ends of a watched path: a frame is reported when its source (MAC or IPv4) and its
/// destination (MAC or IPv4) are both in these sets.
public struct WatchFilter: Sendable, Hashable {
    /// MAC addresses as 48-bit words, first byte most significant (as ``FrameEvent/sourceMAC``).
    public var macs: [UInt64]
    /// IPv4 addresses in dotted form ("10.0.0.1"); ARP frames match on their sender and
    /// target addresses.
    public var ipv4: [String]

    /// A filter of these addresses.
    public init(macs: [UInt64], ipv4: [String]) {
        self.macs = macs
        self.ipv4 = ipv4
    }

    /// At most this many addresses of each kind (the BPF hash maps' size).
    public static let capacity = 256

    /// The IPv4 address as the BPF map's key: its 4 bytes in packet order, loaded as a
    /// host-order word (as the program copies them out of the header); nil when `text` is
    /// not a dotted quad.
    static func ipv4Key(_ text: String) -> UInt32? {
        IPv4(text).map { $0.value.bigEndian }
    }
}
