/// One frame between the two ends of a watched path, as the kernel handled it: dropped
/// (`skb:kfree_skb`), received by a device (`net:netif_receive_skb`) or sent by one
/// (`net:net_dev_start_xmit`). Written by `kvmnet-diag watch`'s BPF program.
public struct FrameEvent: Sendable, Hashable {
    /// What happened to the frame.
    public enum Kind: UInt32, Sendable, Hashable, Codable {
        case drop = 1
        case receive = 2
        case transmit = 3
    }

    public var kind: Kind
    /// `CLOCK_MONOTONIC` nanoseconds (`bpf_ktime_get_ns`).
    public var timestampNanoseconds: UInt64
    /// For a drop: the kernel text address that freed the frame (`location`).
    public var location: UInt64
    /// For a drop: the raw `enum skb_drop_reason` value (named from the kernel's BTF).
    public var reason: UInt32
    /// The device the frame was on (0: none).
    public var ifindex: Int
    /// Inode number of that device's network namespace (0: no device).
    public var networkNamespace: UInt32
    /// The device the frame arrived on (`skb_iif`; 0 for locally sent frames).
    public var ingressIfindex: Int
    public var length: Int
    /// The frame's VLAN id, when it carried a tag (in the skb or in its header).
    public var vlanID: Int?
    /// The EtherType after any VLAN header (0x0800 IPv4, 0x0806 ARP, 0x86dd IPv6...).
    public var etherType: UInt16
    /// IPv4: the protocol number; ARP: the operation (1 request, 2 reply).
    public var ipProtocol: UInt8
    /// IPv4 ICMP: the ICMP type (8 echo request, 0 echo reply).
    public var icmpType: UInt8
    /// Source and destination MAC as 48-bit words (``MACAddress/format(_:)-(UInt64)``).
    public var sourceMAC: UInt64
    public var destinationMAC: UInt64
    /// IPv4 source and destination (ARP: sender and target) in dotted form; `nil` for
    /// other protocols.
    public var sourceIPv4: String?
    public var destinationIPv4: String?

    public init(kind: Kind, timestampNanoseconds: UInt64 = 0, location: UInt64 = 0, reason: UInt32 = 0,
                ifindex: Int, networkNamespace: UInt32 = 0, ingressIfindex: Int = 0, length: Int = 0,
                vlanID: Int? = nil, etherType: UInt16, ipProtocol: UInt8 = 0, icmpType: UInt8 = 0,
                sourceMAC: UInt64, destinationMAC: UInt64, sourceIPv4: String? = nil, destinationIPv4: String? = nil) {
        self.kind = kind
        self.timestampNanoseconds = timestampNanoseconds
        self.location = location
        self.reason = reason
        self.ifindex = ifindex
        self.networkNamespace = networkNamespace
        self.ingressIfindex = ingressIfindex
        self.length = length
        self.vlanID = vlanID
        self.etherType = etherType
        self.ipProtocol = ipProtocol
        self.icmpType = icmpType
        self.sourceMAC = sourceMAC
        self.destinationMAC = destinationMAC
        self.sourceIPv4 = sourceIPv4
        self.destinationIPv4 = destinationIPv4
    }

    /// The frame's protocol in words: `ARP request`, `ICMP echo request`, `IPv4/TCP`, `IPv6`...
    public var protocolName: String {
        switch etherType {
        case 0x0806: return ipProtocol == 1 ? "ARP request" : ipProtocol == 2 ? "ARP reply" : "ARP"
        case 0x0800:
            switch ipProtocol {
            case 1:
                switch icmpType {
                case 8: return "ICMP echo request"
                case 0: return "ICMP echo reply"
                case 3: return "ICMP unreachable"
                default: return "ICMP type \(icmpType)"
                }
            case 6: return "IPv4/TCP"
            case 17: return "IPv4/UDP"
            default: return "IPv4 proto \(ipProtocol)"
            }
        case 0x86dd: return "IPv6"
        default:
            let hex = String(etherType, radix: 16)
            return "EtherType 0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }
}
