import KVMNetModel

/// The IP addresses of every link, as the monitor keeps them: link events carry no
/// addresses, so the monitor adds these to every ``LinkUpdate`` it delivers, the way
/// ``NetlinkTopologyDump`` does. Same order as the dump (the kernel's).
struct AddressBook {
    private(set) var byIndex: [Int: [String]] = [:]

    /// Replaces everything with a fresh `RTM_GETADDR` dump.
    /// - Returns: the ifindexes whose list changed.
    mutating func reload(using socket: RouteSocket, onDecodeError: (NetlinkDecodeError) -> Void) throws(NetlinkError) -> Set<Int> {
        let addresses = try socket.dump(.addresses, attempts: NetlinkTopologyDump.maxAttempts, onDecodeError: onDecodeError) {
            m throws(NetlinkDecodeError) in try AddressMessageDecoder.address(from: m)
        }
        var fresh: [Int: [String]] = [:]
        for a in addresses { fresh[a.linkIndex, default: []].append(a.text) }
        let changed = Set(fresh.keys).union(byIndex.keys).filter { fresh[$0] != byIndex[$0] }
        byIndex = fresh
        return changed
    }

    /// Sets the addresses of every link update in `changes`; forgets removed links.
    mutating func fill(_ changes: inout [TopologyChange]) {
        for i in changes.indices {
            switch changes[i] {
            case .linkUpdated(var u):
                u.link.addresses = byIndex[u.link.index] ?? []
                changes[i] = .linkUpdated(u)
            case let .linkRemoved(index, _):
                byIndex[index] = nil
            default:
                break
            }
        }
    }
}
