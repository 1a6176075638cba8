import KVMNetModel
import KVMNetSources

/// Turns the events of a watch into a ``WatchReport``: sorts each frame into a direction
/// (A to B, B to A), names devices and hops, groups drops by hop and reason, counts the
/// frames that entered A's port but never left through B's (a bridge that does not flood
/// or forward a frame to a port frees no frame: there is no drop event to see), and joins
/// the result with the static diagnosis. Pure: the caller gathers the kernel's data.
public struct WatchAnalysis: Sendable {
    /// Timeline entries kept in the report.
    public static let timelineLimit = 200

    /// What the kernel said, gathered by the caller.
    public struct Input: Sendable {
        public var events: [FrameEvent]
        /// Seconds watched.
        public var seconds: Double
        /// `CLOCK_MONOTONIC` nanoseconds at the start (timeline times are relative to it).
        public var startNanoseconds: UInt64
        /// Inode of the host's network namespace (the one the snapshot's ifindexes are of).
        public var hostNetworkNamespace: UInt32
        /// `enum skb_drop_reason` names (``FrameEvent/reason`` -> `NETFILTER_DROP`).
        public var reasonNames: [UInt32: String]
        /// Drop locations named from /proc/kallsyms.
        public var symbols: [UInt64: KernelSymbols.Symbol]
        public var lostRecords: UInt64
        /// Sentences about data that could not be had (kallsyms hidden...).
        public var notes: [String]
        /// The kernel's ids of the programs that watched (`bpftool prog show id N`).
        public var programIDs: [UInt32]

        public init(events: [FrameEvent], seconds: Double, startNanoseconds: UInt64 = 0, hostNetworkNamespace: UInt32,
                    reasonNames: [UInt32: String], symbols: [UInt64: KernelSymbols.Symbol] = [:],
                    lostRecords: UInt64 = 0, notes: [String] = [], programIDs: [UInt32] = []) {
            self.events = events
            self.seconds = seconds
            self.startNanoseconds = startNanoseconds
            self.hostNetworkNamespace = hostNetworkNamespace
            self.reasonNames = reasonNames
            self.symbols = symbols
            self.lostRecords = lostRecords
            self.notes = notes
            self.programIDs = programIDs
        }
    }

    let plan: WatchPlan

    public init(plan: WatchPlan) { self.plan = plan }

    /// The report of `input`.
    public func report(_ input: Input) -> WatchReport {
        let a = Side(plan.from), b = Side(plan.to)
        let causes = DropCause(topology: plan.topology, staticReport: plan.staticReport)
        var classified: [(FrameEvent, WatchReport.Direction)] = []
        // Where the ends share this kernel (namespace VMs), their own stacks show up in
        // other network namespaces. A frame freed in its sender's namespace never reached
        // the host (a veth crossing refusing it: the host side's MTU) and is kept, on the
        // sender's hop; what the receiver's stack frees (a reply no socket wants) is not
        // the host's handling and is left out.
        var senderNamespaces: [WatchReport.Direction: Set<UInt32>] = [:]
        for event in input.events where event.kind == .transmit && !isHost(event, input) {
            if let direction = Self.direction(of: event, a, b) { senderNamespaces[direction, default: []].insert(event.networkNamespace) }
        }
        var elsewhere = 0
        for event in input.events {
            guard let direction = Self.direction(of: event, a, b) else { continue }
            if !isHost(event, input) {
                guard event.kind == .drop, senderNamespaces[direction]?.contains(event.networkNamespace) == true else {
                    elsewhere += 1
                    continue
                }
            }
            classified.append((event, direction))
        }

        // Counts of frames received and sent per device.
        var counts: [FrameKey: Int] = [:]
        for (event, direction) in classified where event.kind != .drop {
            counts[FrameKey(direction: direction, device: device(event, input), event: Self.word(event.kind)), default: 0] += 1
        }
        let frames = counts.map { WatchReport.FrameCount(direction: $0.key.direction, device: $0.key.device, event: $0.key.event, count: $0.value) }
            .sorted { ($0.direction.rawValue, $0.device, $0.event) < ($1.direction.rawValue, $1.device, $1.event) }

        // Kernel drops per direction, device, reason and function.
        var groups: [DropKey: (count: Int, protocols: [String: Int], vlan: Int?, length: Int)] = [:]
        var hostCopies = 0
        for (event, direction) in classified where event.kind == .drop {
            if isHostCopy(event, direction: direction, input) {
                hostCopies += 1
                continue
            }
            let sender = ends(direction).sender
            let own = !isHost(event, input)
            let key = DropKey(direction: direction,
                              device: own ? "\(sender.displayName)'s own interface (ifindex \(event.ifindex), netns \(event.networkNamespace))" : device(event, input),
                              hostDevice: own ? sender.device : device(event, input), reason: reasonName(event, input),
                              function: input.symbols[event.location]?.function, location: event.location)
            var group = groups[key] ?? (0, [:], event.vlanID, 0)
            group.count += 1
            group.protocols[event.protocolName, default: 0] += 1
            group.length = max(group.length, event.length)
            groups[key] = group
        }
        var drops: [WatchReport.Drop] = groups.map { key, group in
            let hop = self.hop(of: key.hostDevice)
            let function = input.symbols[key.location]?.description ?? key.function
            let checks = Self.unique(checks(on: key.hostDevice, hop: hop))
            return WatchReport.Drop(
                direction: key.direction, source: .kernel, device: key.device, hop: hop?.name,
                reason: key.reason, function: function, count: group.count,
                protocols: Self.mostFrequentFirst(group.protocols), vlanID: group.vlan,
                cause: causes.explain(reason: key.reason, function: key.function, device: key.hostDevice, vlanID: group.vlan,
                                      length: group.length, receiver: ends(key.direction).receiver.device),
                checks: checks, onMarkedHop: !checks.isEmpty)
        }

        // Frames that entered one end's port and neither left through the other's nor were dropped.
        for direction in [WatchReport.Direction.forward, .backward] {
            let (sender, receiver) = ends(direction)
            let entered = counts[FrameKey(direction: direction, device: sender.device, event: "received")] ?? 0
            let left = counts[FrameKey(direction: direction, device: receiver.device, event: "sent")] ?? 0
            let dropped = drops.filter { $0.direction == direction }.reduce(0) { $0 + $1.count }
            let missing = entered - left - dropped
            guard missing > 0 else { continue }
            let events = classified.filter { $0.1 == direction && $0.0.kind == .receive && device($0.0, input) == sender.device }
            let bridge = plan.topology.bridge(containing: sender.device)?.name
            // Untagged frames enter a VLAN-aware bridge in the port's PVID (the receive
            // event sees them before the bridge tags them).
            let pvid = bridge.flatMap { plan.topology.bridges[$0] }.flatMap { $0.vlanAware ? $0.port(named: sender.device)?.vlans?.pvid : nil }
            let vlan = events.compactMap(\.0.vlanID).first ?? pvid
            let hop = bridge.flatMap { self.hop(of: $0) } ?? self.hop(of: receiver.device)
            var protocols: [String: Int] = [:]
            for (event, _) in events { protocols[event.protocolName, default: 0] += 1 }
            let checks = Self.unique(checks(on: receiver.device, hop: self.hop(of: receiver.device)) + checks(on: bridge ?? "", hop: hop))
            drops.append(WatchReport.Drop(
                direction: direction, source: .notForwarded, device: bridge ?? receiver.device, hop: hop?.name,
                reason: "NOT_FORWARDED", function: nil, count: missing,
                protocols: Self.mostFrequentFirst(protocols), vlanID: vlan,
                cause: causes.notForwarded(sender: sender, receiver: receiver, bridge: bridge, vlanID: vlan),
                checks: checks, onMarkedHop: !checks.isEmpty))
        }
        drops.sort { ($1.count, $0.direction.rawValue, $0.device) < ($0.count, $1.direction.rawValue, $1.device) }

        let timeline = classified.prefix(Self.timelineLimit).map { event, direction in
            WatchReport.TimelineEntry(
                seconds: Double(event.timestampNanoseconds &- input.startNanoseconds) / 1e9,
                direction: direction, event: Self.word(event.kind),
                device: device(event, input), protocolName: event.protocolName, vlanID: event.vlanID,
                reason: event.kind == .drop ? reasonName(event, input) : nil,
                function: event.kind == .drop ? input.symbols[event.location]?.description : nil)
        }

        let staticFailures = plan.staticReport.findings.filter { $0.severity == .fail }.map(\.check)
        let staticWarnings = plan.staticReport.findings.filter { $0.severity == .warn }.map(\.check)
        var notes = input.notes
        if classified.isEmpty {
            notes.append("No frame between \(plan.from.displayName) and \(plan.to.displayName) was seen in \(Self.format(input.seconds)) s: was a ping running between them? (kvmnet-diag watch only sees frames while they pass)")
        }
        if elsewhere > 0 {
            notes.append("\(elsewhere) events in other network namespaces (the ends' own network stacks, where they share this kernel) are left out: they are not the host's handling of the frames")
        }
        if hostCopies > 0 {
            notes.append("\(hostCopies) copies of broadcast frames that a bridge passed up to the host itself were dropped there; they are not the copies on the way to the other end, and are not counted as drops")
        }
        if input.lostRecords > 0 {
            notes.append("\(input.lostRecords) events did not fit the ring buffer: the counts are lower bounds")
        }
        let agrees: Bool? = drops.isEmpty ? nil : drops.allSatisfy(\.onMarkedHop)
        if let agrees, !agrees, !staticFailures.isEmpty {
            notes.append("The kernel dropped frames where the static diagnosis marked no failure: the drop, not the configuration, is the evidence here")
        } else if agrees == nil, !staticFailures.isEmpty, !classified.isEmpty {
            notes.append("The static diagnosis reports \(staticFailures.joined(separator: ", ")), but no frame was dropped while watching")
        }
        return WatchReport(
            tool: "kvmnet-diag", version: KVMNetDiagnoseVersion.current, host: plan.staticReport.host,
            from: plan.from.displayName, to: plan.to.displayName, seconds: input.seconds,
            verdict: verdict(drops: drops, frames: classified.count),
            exitCode: drops.isEmpty ? 0 : 1, frames: frames, drops: drops, timeline: timeline,
            timelineOmitted: max(0, classified.count - Self.timelineLimit), lostRecords: input.lostRecords,
            staticVerdict: plan.staticReport.verdict, staticPath: plan.staticReport.path?.rendered ?? "",
            staticFailures: staticFailures, staticWarnings: staticWarnings, agreesWithStatic: agrees, programIDs: input.programIDs, notes: notes)
    }

    /// `37 frames from vm1 to vm2 dropped at vnet1 (...)`, or that none were.
    func verdict(drops: [WatchReport.Drop], frames: Int) -> String {
        guard let first = drops.first else {
            return frames == 0
                ? "no frames between \(plan.from.displayName) and \(plan.to.displayName) seen"
                : "\(frames) frames between \(plan.from.displayName) and \(plan.to.displayName) seen, none dropped"
        }
        let (from, to) = first.direction == .forward ? (plan.from.displayName, plan.to.displayName) : (plan.to.displayName, plan.from.displayName)
        let verb = first.source == .kernel ? "dropped at \(first.device)" : "not forwarded by \(first.device)"
        let more = drops.count > 1 ? " (and \(drops.count - 1) more drop \(drops.count == 2 ? "site" : "sites"))" : ""
        return "\(first.count) frames from \(from) to \(to) \(verb): \(first.cause)\(more)"
    }

    // MARK: - Helpers

    /// A broadcast or multicast frame's copy for the host itself: what a bridge passes up
    /// to its own device (`br_pass_frame_up`, or a drop on the bridge device), which a
    /// bridge not in the frame's VLAN refuses, while the copies to the ports go on. Not on
    /// the way to the other end, unless that end is the bridge device.
    func isHostCopy(_ event: FrameEvent, direction: WatchReport.Direction, _ input: Input) -> Bool {
        guard event.destinationMAC >> 40 & 1 == 1 else { return false }
        let (sender, receiver) = ends(direction)
        guard let bridge = plan.topology.bridge(containing: sender.device)?.name, receiver.device != bridge else { return false }
        return input.symbols[event.location]?.function == "br_pass_frame_up" || device(event, input) == bridge
    }

    /// The sending and the receiving end of a direction.
    func ends(_ direction: WatchReport.Direction) -> (sender: Endpoint, receiver: Endpoint) {
        direction == .forward ? (plan.from, plan.to) : (plan.to, plan.from)
    }

    /// A to B, B to A, or neither (a frame of one end to someone else).
    static func direction(of event: FrameEvent, _ a: Side, _ b: Side) -> WatchReport.Direction? {
        if a.sent(event) && b.receives(event) { return .forward }
        if b.sent(event) && a.receives(event) { return .backward }
        return nil
    }

    /// Protocol names by count, most frequent first (ties by name).
    static func mostFrequentFirst(_ counts: [String: Int]) -> [String] {
        counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map(\.key)
    }

    /// Check ids once each, sorted.
    static func unique(_ checks: [String]) -> [String] { Array(Set(checks)).sorted() }

    struct FrameKey: Hashable {
        var direction: WatchReport.Direction
        var device: String
        var event: String
    }

    struct DropKey: Hashable {
        var direction: WatchReport.Direction
        /// The device as the report names it.
        var device: String
        /// The host device it stands for (the sender's tap for a drop in its own namespace).
        var hostDevice: String
        var reason: String
        var function: String?
        var location: UInt64
    }

    /// One end's addresses.
    struct Side {
        var macs: Set<UInt64>
        var ips: Set<String>

        init(_ endpoint: Endpoint) {
            macs = Set([endpoint.mac.flatMap(MACAddress.parse)].compactMap { $0 })
            ips = Set(WatchPlan.ipv4(of: endpoint))
        }

        func sent(_ event: FrameEvent) -> Bool {
            macs.contains(event.sourceMAC) || event.sourceIPv4.map(ips.contains) == true
        }

        /// Addressed to this end: its MAC or IP, or a broadcast (ARP) for its IP (or any
        /// broadcast ARP when its IP is not known).
        func receives(_ event: FrameEvent) -> Bool {
            if macs.contains(event.destinationMAC) || event.destinationIPv4.map(ips.contains) == true { return true }
            return event.destinationMAC == WatchPlan.broadcast && event.etherType == 0x0806 && ips.isEmpty
        }
    }

    static func word(_ kind: FrameEvent.Kind) -> String {
        switch kind {
        case .drop: return "dropped"
        case .receive: return "received"
        case .transmit: return "sent"
        }
    }

    /// `10` for whole seconds, `6.25` otherwise.
    public static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    /// On a device of the host's network namespace (or of unknown namespace).
    func isHost(_ event: FrameEvent, _ input: Input) -> Bool {
        input.hostNetworkNamespace == 0 || event.networkNamespace == 0 || event.networkNamespace == input.hostNetworkNamespace
    }

    func device(_ event: FrameEvent, _ input: Input) -> String {
        if event.ifindex == 0 { return "no device" }
        if !isHost(event, input) { return "ifindex \(event.ifindex) in netns \(event.networkNamespace)" }
        return plan.devices[event.ifindex] ?? "ifindex \(event.ifindex)"
    }

    func reasonName(_ event: FrameEvent, _ input: Input) -> String {
        input.reasonNames[event.reason] ?? "reason \(event.reason)"
    }

    /// The hop of the traced path that stands for `device`.
    func hop(of device: String) -> Hop? {
        guard let path = plan.staticReport.path else { return nil }
        return (path.fromHops + (path.toHops ?? [])).first { $0.devices.contains(device) || $0.name == device }
    }

    /// Failing checks of the static diagnosis on the hop or about the device.
    func checks(on device: String, hop: Hop?) -> [String] {
        var out = hop?.failures ?? []
        out += plan.staticReport.findings.filter { $0.severity == .fail && $0.devices.contains(device) }.map(\.check)
        return out
    }
}
