import CNetlink
import KVMNetModel

/// Decodes `RTM_NEWLINK` / `RTM_DELLINK` (an `ifinfomsg` and `IFLA_*` attributes).
enum LinkMessageDecoder {
    /// Whether a link message describes the device itself. The bridge also sends
    /// `RTM_NEWLINK`/`RTM_DELLINK` with `ifi_family` `AF_BRIDGE` about its ports to the same
    /// group; an `AF_BRIDGE` `RTM_DELLINK` means "left the bridge", not "device gone", and
    /// the device-level `AF_UNSPEC` message that accompanies it carries the new state.
    static func isDeviceMessage(_ info: ifinfomsg) -> Bool {
        info.ifi_family == AddressFamily.unspec
    }

    /// The port's ifindex when `message` is the bridge's `AF_BRIDGE` `RTM_NEWLINK` about one
    /// of its ports. STP port state changes (listening, learning, forwarding, blocking) are
    /// sent only this way, without the link's other attributes.
    static func bridgePortNotification(_ message: MessageView) -> Int32? {
        guard message.type == RouteMessageType.newLink,
              let info = try? message.familyHeader(ifinfomsg.self),
              info.ifi_family == AddressFamily.bridge, info.ifi_index > 0 else { return nil }
        return info.ifi_index
    }

    /// The change an `RTM_NEWLINK` or `RTM_DELLINK` stands for: of family `AF_UNSPEC`, the
    /// device (``TopologyChange/linkUpdated(_:)``, ``TopologyChange/linkRemoved(index:name:)``);
    /// of family `AF_BRIDGE`, the link's bridge VLANs
    /// (``TopologyChange/bridgeVLANsUpdated(index:name:vlans:)``), never its other
    /// attributes; `nil` for other families.
    static func change(from message: MessageView) throws(NetlinkDecodeError) -> TopologyChange? {
        let info = try message.familyHeader(ifinfomsg.self)
        if info.ifi_family == AddressFamily.bridge { return try bridgeVLANChange(from: message, info: info) }
        guard isDeviceMessage(info) else { return nil }
        if message.type == RouteMessageType.delLink {
            let attrs = try message.attributes(after: ifinfomsg.self, maxType: LinkAttr.maxParsed, context: "IFLA")
            let name = try attrs.string(LinkAttr.ifname, "IFLA_IFNAME") ?? ""
            return .linkRemoved(index: Int(info.ifi_index), name: name)
        }
        return .linkUpdated(try update(from: message, info: info))
    }

    /// An `AF_BRIDGE` link message as a VLAN change. `RTM_NEWLINK` (the dump's answer, and
    /// `br_ifinfo_notify` after every VLAN, port or STP change) carries the link's whole
    /// VLAN list, or none (`vlans` `nil`: see ``BridgeVLANDecoder/decode(_:)``);
    /// `RTM_DELLINK` means the port left its bridge, so it has no VLANs any more.
    static func bridgeVLANChange(from message: MessageView, info: ifinfomsg) throws(NetlinkDecodeError) -> TopologyChange {
        guard info.ifi_index > 0 else { throw .invalidValue(attribute: "ifi_index", detail: "\(info.ifi_index)") }
        let attrs = try message.attributes(after: ifinfomsg.self, maxType: LinkAttr.maxParsed, context: "IFLA")
        let name = try attrs.string(LinkAttr.ifname, "IFLA_IFNAME") ?? ""
        let index = Int(info.ifi_index)
        if message.type == RouteMessageType.delLink { return .bridgeVLANsUpdated(index: index, name: name, vlans: nil) }
        return .bridgeVLANsUpdated(index: index, name: name, vlans: try BridgeVLANDecoder.decode(attrs))
    }

    /// Decodes a device-level `RTM_NEWLINK` into the model's per-link update.
    static func update(from message: MessageView, info: ifinfomsg) throws(NetlinkDecodeError) -> LinkUpdate {
        let attrs = try message.attributes(after: ifinfomsg.self, maxType: LinkAttr.maxParsed, context: "IFLA")
        guard let name = try attrs.string(LinkAttr.ifname, "IFLA_IFNAME"), !name.isEmpty else {
            throw .missingAttribute("IFLA_IFNAME")
        }
        guard info.ifi_index > 0 else {
            throw .invalidValue(attribute: "ifi_index", detail: "\(info.ifi_index)")
        }
        let linkInfo = try LinkInfoDecoder.decode(attrs, linkName: name)

        var kind = LinkKind(kernelKind: linkInfo.kind)
        if linkInfo.kind == nil && info.ifi_type == KernelValue.arphrdLoopback { kind = .loopback }

        let carrier = try attrs.u8(LinkAttr.carrier, "IFLA_CARRIER").map { $0 != 0 }
        let address = try attrs.bytes(LinkAttr.address, "IFLA_ADDRESS").flatMap { $0.isEmpty ? nil : MACAddress.format($0) }
        let link = Link(
            name: name,
            index: Int(info.ifi_index),
            kind: kind,
            operState: try attrs.u8(LinkAttr.operstate, "IFLA_OPERSTATE").map(OperState.init(kernelValue:)) ?? .unknown,
            adminUp: info.ifi_flags & KernelValue.iffUp != 0,
            carrier: carrier,
            carrierChanges: try attrs.u32(LinkAttr.carrierChanges, "IFLA_CARRIER_CHANGES").map(UInt64.init),
            mtu: try attrs.u32(LinkAttr.mtu, "IFLA_MTU").map { Int($0) },
            address: address
        )

        var update = LinkUpdate(link: link)
        update.masterIndex = try attrs.u32(LinkAttr.master, "IFLA_MASTER").flatMap { $0 == 0 ? nil : Int($0) }
        update.lowerIndex = try lowerIndex(attrs, index: info.ifi_index, kind: kind)

        if var bond = linkInfo.bond {
            bond.bond.miiUp = carrier ?? false
            update.bond = bond.bond
            update.bondActiveSlaveIndex = bond.activeSlaveIndex
            update.bondPrimaryIndex = bond.primaryIndex
        }
        update.bondSlave = linkInfo.bondSlave
        update.bridge = linkInfo.bridge
        update.bridgePort = linkInfo.bridgePort
        update.vlan = linkInfo.vlan
        return update
    }

    /// `IFLA_LINK` as the model's lower device, when it is one.
    ///
    /// Left out when it names the device itself, when `IFLA_LINK_NETNSID` says the index
    /// belongs to another namespace (it would resolve to an unrelated local device), and
    /// for veth, whose `IFLA_LINK` is its peer: a peer is not a lower device (sysfs has no
    /// `lower_*` for it either), and a pair in one namespace would make a cycle.
    static func lowerIndex(_ attrs: AttributeTable, index: Int32, kind: LinkKind) throws(NetlinkDecodeError) -> Int? {
        guard let link = try attrs.u32(LinkAttr.link, "IFLA_LINK"), link != 0, Int32(bitPattern: link) != index else {
            return nil
        }
        if attrs.has(LinkAttr.linkNetnsID) || kind == .veth { return nil }
        return Int(link)
    }
}
