import KVMNetModel

/// Reads the current state of a few links by ifindex (`RTM_GETLINK` without a dump).
///
/// The kernel sends no event when an 802.3ad port's state, its aggregator or the LACP
/// partner changes, so the agent re-reads its bonds and their slaves this way at a short
/// interval: a handful of requests, not a dump. The read belongs to the network
/// namespace of the calling thread.
public enum NetlinkLinkReader {
    /// The links that still exist, in the order asked; vanished ones are left out.
    /// Updates carry no addresses (`Link.addresses` is empty): keep the ones you have.
    public static func read(
        indexes: [Int], onDecodeError: (NetlinkDecodeError) -> Void = { _ in }
    ) throws(NetlinkError) -> [LinkUpdate] {
        guard !indexes.isEmpty else { return [] }
        let socket = try RouteSocket()
        var out: [LinkUpdate] = []
        for index in indexes {
            // A link that vanished answers ENODEV: nothing to report for it.
            let updates = try? socket.dump(.link(index: Int32(truncatingIfNeeded: index)), attempts: 1,
                                           onDecodeError: onDecodeError) { m throws(NetlinkDecodeError) -> LinkUpdate? in
                guard case let .linkUpdated(u)? = try LinkMessageDecoder.change(from: m) else { return nil }
                return u
            }
            out += updates ?? []
        }
        return out
    }
}
