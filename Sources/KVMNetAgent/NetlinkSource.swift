#if canImport(Glibc)
import Glibc
#endif
import KVMNetNetlink
import KVMNetState

extension Agent {
    /// Live source: rtnetlink events through libnl-3, applied to the state as they come;
    /// procfs for what netlink lacks (slave speed and duplex, churn, LACPDU details) and for
    /// what the kernel changes without an event (802.3ad port states, aggregators): re-read
    /// when a bond or one of its slaves changes, and each ``AgentConfig/bondPollSeconds``
    /// while bonds exist.
    ///
    /// The initial dump is taken after subscribing, so no event falls between the two;
    /// after a socket overrun everything is dumped again and reconciled
    /// (``HostState/resync(_:fdbKnown:reason:)`` with `.overrun`).
    func startNetlink() throws -> @Sendable () -> Void {
        let state = self.state
        let logger = self.logger
        let monitor = NetlinkMonitor(
            receiveBufferSize: config.netlinkReceiveBufferSize,
            onChange: { [self] changes in
                state.apply(changes)
                let bonds = state.takeChangedBonds()
                if !bonds.isEmpty { refreshBondProcfs(bonds) }
                libvirtDomains.linksChanged(changes)
            },
            onEvent: { group in state.recordNetlinkEvents(group: group) },
            onOverrun: { [self] in
                logger.warning("netlink socket overrun: events were lost, re-reading the kernel's state")
                // A failed re-dump throws: the monitor drains the socket and retries with backoff.
                try resyncFromNetlink(reason: .overrun)
            },
            onDecodeError: { error in
                logger.warning("netlink message skipped", metadata: ["error": "\(error)"])
                state.recordSourceError(.netlink)
            })
        try monitor.start(afterSubscribing: { [self] in
            try resyncFromNetlink(reason: .initial)
            refreshBondProcfs(nil)
            sampleFDBMoves()
            libvirtDomains.start()
        })
        let interval = config.rescanIntervalSeconds
        let task = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                if Task.isCancelled { break }
                refreshBondProcfs(nil)
                sampleFDBMoves()
                libvirtDomains.rescan()
            }
        }
        // The kernel sends no event when an 802.3ad port's state, its aggregator or the
        // partner changes: /proc/net/bonding is re-read each second while bonds exist.
        let bondPoll = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(config.bondPollSeconds * 1e9))
                if Task.isCancelled { break }
                if state.hasBonds { refreshBonds() }
            }
        }
        return {
            task.cancel()
            bondPoll.cancel()
            monitor.stop()
        }
    }

    /// Re-reads every bond and slave over netlink (a few `RTM_GETLINK`, no dump) and their
    /// /proc/net/bonding files.
    func refreshBonds() {
        do {
            let mark = state.version
            state.refresh(try NetlinkLinkReader.read(indexes: state.bondLinkIndexes, onDecodeError: { [self] error in
                logger.warning("netlink message skipped", metadata: ["error": "\(error)"])
                state.recordSourceError(.netlink)
            }), readAfter: mark)
        } catch {
            logger.warning("netlink re-read of bonds failed", metadata: ["error": "\(error)"])
            state.recordSourceError(.netlink)
        }
        refreshBondProcfs(nil)
    }

    /// Dumps links, FDB and addresses and replaces the state with them. A failed dump is
    /// logged, counted and rethrown (the state is left as it was).
    func resyncFromNetlink(reason: ResyncReason) throws {
        do {
            let dump = try NetlinkTopologyDump.dump(onDecodeError: { [self] error in
                logger.warning("netlink message skipped", metadata: ["error": "\(error)"])
                state.recordSourceError(.netlink)
            })
            state.resync(dump, fdbKnown: true, reason: reason)
            // A dump of 100,000 FDB entries leaves tens of MB of freed heap: give it back.
            releaseFreedMemory()
        } catch {
            logger.error("netlink dump failed", metadata: ["error": "\(error)"])
            state.recordSourceError(.netlink)
            throw error
        }
    }
}
