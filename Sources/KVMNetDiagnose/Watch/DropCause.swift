import KVMNetModel

/// A drop's cause in plain words, from the kernel's reason and function and what the
/// snapshot knows of the device (port state, VLAN membership, MTU); for a firewall drop,
/// the static firewall finding that names the rule.
///
/// The kernel's reasons are coarse where it matters most here: Linux 6.1 frees a frame the
/// bridge's VLAN filter or port state refuses with `NOT_SPECIFIED` (newer kernels say
/// `BRIDGE_INGRESS_STP_STATE` for the latter), so the function and the device's state
/// decide between the causes.
struct DropCause {
    let topology: Topology
    let staticReport: DiagReport

    /// Bridge functions whose drops are the bridge's own decisions (state, VLAN, flooding).
    static let bridgeFunctions: Set<String> = [
        "br_handle_frame", "br_handle_frame_finish", "br_flood", "br_forward", "br_pass_frame_up",
        "br_allowed_ingress", "br_allowed_egress", "br_handle_vlan", "__br_forward", "br_multicast_flood",
    ]

    /// Functions that free a frame too large for the device it is sent to.
    static let mtuFunctions: Set<String> = [
        "br_dev_queue_push_xmit", "__dev_forward_skb", "__dev_forward_skb2", "is_skb_forwardable",
        "veth_xmit", "dev_forward_skb", "br_nf_dev_queue_xmit",
    ]

    /// `receiver`: the host device of the end the frames were going to (its tap).
    func explain(reason: String, function: String?, device: String, vlanID: Int?, length: Int, receiver: String? = nil) -> String {
        let function = function ?? ""
        let link = topology.links[device]
        let bridge = topology.bridge(containing: device)
        let port = bridge?.port(named: device)
        if reason == "NETFILTER_DROP" {
            let rule = staticReport.findings.first { $0.check.hasPrefix("firewall.") && $0.severity == .fail }
            return "a netfilter rule or chain policy of the host firewall dropped them"
                + (rule.map { " (\($0.check): \($0.headline))" } ?? " (nft list ruleset shows which)")
        }
        if reason == "BRIDGE_INGRESS_STP_STATE" || (function == "br_handle_frame" && port.map { $0.state != .forwarding && $0.state != .learning } == true) {
            let state = port?.state.name ?? "not forwarding"
            return "\(device) is in STP state \(state): bridge \(bridge?.name ?? "?") takes no frames from it"
        }
        if reason == "PKT_TOO_BIG" || (Self.mtuFunctions.contains(function) && link?.mtu.map { length > $0 } == true) {
            return "the frames (\(length) bytes) are larger than the MTU of \(device) (\(link?.mtu.map(String.init) ?? "?"))"
        }
        if Self.bridgeFunctions.contains(function) || function.hasPrefix("br_vlan") {
            // A frame the bridge had a destination port for and did not send there
            // (br_forward, often inlined into br_handle_frame_finish): that port decides.
            if let bridge, let receiver, receiver != device, let out = bridge.port(named: receiver) {
                if out.state != .forwarding {
                    return "\(receiver), the port towards the destination, is in STP state \(out.state.name): bridge \(bridge.name) does not forward to it"
                }
                if bridge.vlanAware, let vlanID, let vlans = out.vlans, !vlans.contains(vlanID),
                   port?.vlans.map({ $0.contains(vlanID) }) != false {
                    return "the VLAN filter of bridge \(bridge.name): \(receiver), the port towards the destination, is not a member of VLAN \(vlanID)"
                }
            }
            if let bridge, bridge.vlanAware, let vlanID {
                if let port, let vlans = port.vlans, !vlans.contains(vlanID) {
                    return "the VLAN filter of bridge \(bridge.name): \(device) is not a member of VLAN \(vlanID)"
                }
                if port == nil, device == bridge.name, let vlans = bridge.vlans, !vlans.contains(vlanID) {
                    return "the VLAN filter of bridge \(bridge.name): the bridge itself is not a member of VLAN \(vlanID)"
                }
                return "bridge \(bridge.name) refused them in VLAN \(vlanID) (\(function))"
            }
            if let port, port.state != .forwarding {
                return "\(device) is in STP state \(port.state.name): bridge \(bridge?.name ?? "?") does not forward through it"
            }
            if function == "br_flood" { return "bridge \(bridge?.name ?? device) flooded them to no port" }
            return "bridge \(bridge?.name ?? device) dropped them (\(function))"
        }
        switch reason {
        case "IP_RPFILTER": return "the reverse-path filter (rp_filter) of \(device)"
        case "NEIGH_FAILED", "NEIGH_QUEUEFULL": return "neighbour (ARP) resolution failed on \(device)"
        case _ where reason.hasPrefix("QDISC") || reason.hasPrefix("TC_"):
            return "traffic control (tc) on \(device) dropped them (\(reason))"
        default:
            return "the kernel dropped them, reason \(reason)" + (function.isEmpty ? "" : " in \(function)")
        }
    }

    /// Frames that entered `sender`'s port and never left through `receiver`'s.
    func notForwarded(sender: Endpoint, receiver: Endpoint, bridge: String?, vlanID: Int?) -> String {
        let target = receiver.device
        let prefix = "entered \(bridge ?? "the host") on \(sender.device) but never left through \(target)"
        if let bridge = bridge.flatMap({ topology.bridges[$0] }) {
            if let port = bridge.port(named: target) {
                if port.state != .forwarding { return prefix + ": \(target) is in STP state \(port.state.name)" }
                if bridge.vlanAware, let vlanID, let vlans = port.vlans, !vlans.contains(vlanID) {
                    return prefix + ": \(target) is not a member of VLAN \(vlanID) on VLAN-aware bridge \(bridge.name), so the bridge does not send VLAN \(vlanID) frames to it"
                }
            } else if topology.bridge(containing: target)?.name != bridge.name {
                return prefix + ": \(target) is not a port of \(bridge.name)"
            }
        }
        if let failure = staticReport.findings.first(where: { $0.severity == .fail }) {
            return prefix + " (\(failure.check): \(failure.headline))"
        }
        return prefix
    }
}
