/// Why a netlink message could not be decoded. The decoder never traps on kernel data:
/// every length is checked before it is read, and what does not fit is reported here.
public enum NetlinkDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The buffer is shorter than a netlink header, or than the header's `nlmsg_len` says.
    case truncatedMessage(needed: Int, available: Int)
    /// The message is shorter than its fixed family header (`ifinfomsg`, `ndmsg`, `ifaddrmsg`).
    case truncatedFamilyHeader(messageType: UInt16, needed: Int, available: Int)
    /// The attribute stream of `context` (`IFLA`, `IFLA_BOND`, ...) does not add up:
    /// an attribute header claims more bytes than remain, or bytes are left over.
    case malformedAttributes(context: String, leftoverBytes: Int)
    /// An attribute is shorter than its type needs.
    case attributeTooShort(attribute: String, needed: Int, actual: Int)
    /// An attribute that must be present is missing.
    case missingAttribute(String)
    /// An attribute's value is outside what the kernel can send.
    case invalidValue(attribute: String, detail: String)

    public var description: String {
        switch self {
        case let .truncatedMessage(needed, available):
            return "netlink message truncated: needs \(needed) bytes, \(available) available"
        case let .truncatedFamilyHeader(type, needed, available):
            return "message type \(type) truncated: family header needs \(needed) bytes, \(available) available"
        case let .malformedAttributes(context, leftover):
            return "malformed \(context) attributes: \(leftover) bytes do not form an attribute"
        case let .attributeTooShort(attribute, needed, actual):
            return "\(attribute) too short: needs \(needed) bytes, has \(actual)"
        case let .missingAttribute(name):
            return "missing \(name)"
        case let .invalidValue(attribute, detail):
            return "invalid \(attribute): \(detail)"
        }
    }
}
