import CNetlink
import Glibc

/// An IP address assigned to a link (`RTM_NEWADDR`), in the model's text form.
public struct InterfaceAddress: Sendable, Hashable {
    /// ifindex of the link (`ifa_index`).
    public var linkIndex: Int
    /// `10.0.0.1/24`, `fe80::1/64`.
    public var text: String

    public init(linkIndex: Int, text: String) {
        self.linkIndex = linkIndex
        self.text = text
    }
}

/// Decodes `RTM_NEWADDR` (an `ifaddrmsg` and `IFA_*` attributes), IPv4 and IPv6 only.
enum AddressMessageDecoder {
    static func address(from message: MessageView) throws(NetlinkDecodeError) -> InterfaceAddress? {
        let ifa = try message.familyHeader(ifaddrmsg.self)
        let size: Int
        switch ifa.ifa_family {
        case AddressFamily.inet: size = 4
        case AddressFamily.inet6: size = 16
        default: return nil
        }
        let attrs = try message.attributes(after: ifaddrmsg.self, maxType: AddrAttr.maxParsed, context: "IFA")
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on
        // point-to-point links, and the only one IPv6 sends.
        let raw: [UInt8]
        if let local = try attrs.bytes(AddrAttr.local, "IFA_LOCAL") {
            raw = local
        } else if let addr = try attrs.bytes(AddrAttr.address, "IFA_ADDRESS") {
            raw = addr
        } else {
            return nil
        }
        guard raw.count >= size else { throw .attributeTooShort(attribute: "IFA_LOCAL/IFA_ADDRESS", needed: size, actual: raw.count) }
        guard let text = format(Array(raw.prefix(size)), family: ifa.ifa_family) else {
            throw .invalidValue(attribute: "IFA_ADDRESS", detail: "not printable")
        }
        return InterfaceAddress(linkIndex: Int(ifa.ifa_index), text: "\(text)/\(ifa.ifa_prefixlen)")
    }

    /// `inet_ntop` of 4 or 16 bytes.
    static func format(_ bytes: [UInt8], family: UInt8) -> String? {
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                inet_ntop(Int32(family), src.baseAddress, dst.baseAddress, socklen_t(dst.count)) != nil
            }
        }
        guard ok else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
