/// What `kvmnet-diag watch A B` saw: the frames between the two ends per device, the
/// drops per hop and reason, a timeline, and the static diagnosis it is joined with.
/// `--json` prints it (docs/watch.md); every key is always present.
public struct WatchReport: Sendable, Hashable, Codable {
    /// A frame direction: from one end to the other.
    public enum Direction: String, Sendable, Hashable, Codable {
        /// A to B.
        case forward = "a_to_b"
        /// B to A.
        case backward = "b_to_a"
    }

    /// Frames of one direction a device received or sent.
    public struct FrameCount: Sendable, Hashable, Codable {
        public var direction: Direction
        public var device: String
        /// `received` (net:netif_receive_skb) or `sent` (net:net_dev_start_xmit).
        public var event: String
        public var count: Int

        public init(direction: Direction, device: String, event: String, count: Int) {
            self.direction = direction
            self.device = device
            self.event = event
            self.count = count
        }
    }

    /// Where kvmnet names a cause from: the kernel's drop event, or its own count of
    /// frames that entered the bridge and never left towards the other end.
    public enum DropSource: String, Sendable, Hashable, Codable {
        case kernel
        case notForwarded = "not_forwarded"
    }

    /// The drops of one direction at one device for one reason.
    public struct Drop: Sendable, Hashable, Codable {
        public var direction: Direction
        public var source: DropSource
        /// The device the frames were on (`ifindex 7 in netns 4026532...` outside the host's namespace).
        public var device: String
        /// The hop of the traced path the device belongs to; `nil` off the path.
        public var hop: String?
        /// The kernel's drop reason without `SKB_DROP_REASON_` (`NETFILTER_DROP`); for
        /// `not_forwarded`, `NOT_FORWARDED`.
        public var reason: String
        /// The kernel function that freed the frames (`br_handle_frame_finish+0x1a4`).
        public var function: String?
        public var count: Int
        /// The frames' protocols (`ICMP echo request`, `ARP request`), most frequent first.
        public var protocols: [String]
        /// The VLAN the frames were in, when they carried a tag.
        public var vlanID: Int?
        /// The cause in words.
        public var cause: String
        /// Failing checks of the static diagnosis on this hop or device.
        public var checks: [String]
        /// Whether the static diagnosis marked this hop or device (``checks`` is not empty).
        public var onMarkedHop: Bool

        enum CodingKeys: String, CodingKey {
            case direction, source, device, hop, reason, function, count, protocols
            case vlanID = "vlan_id"
            case cause, checks
            case onMarkedHop = "on_marked_hop"
        }
    }

    /// One event of the timeline.
    public struct TimelineEntry: Sendable, Hashable, Codable {
        /// Seconds since the watch began.
        public var seconds: Double
        public var direction: Direction
        /// `dropped`, `received` or `sent`.
        public var event: String
        public var device: String
        public var protocolName: String
        public var vlanID: Int?
        public var reason: String?
        public var function: String?

        enum CodingKeys: String, CodingKey {
            case seconds, direction, event, device
            case protocolName = "protocol"
            case vlanID = "vlan_id"
            case reason, function
        }
    }

    public var tool: String
    public var version: String
    public var host: String?
    /// A and B as the user named them, and their display names.
    public var from: String
    public var to: String
    public var seconds: Double
    /// One line: what happened to the frames.
    public var verdict: String
    /// 1 when frames between the two were dropped (or not forwarded), 0 when none were.
    public var exitCode: Int32
    public var frames: [FrameCount]
    public var drops: [Drop]
    /// The first ``WatchAnalysis/timelineLimit`` events.
    public var timeline: [TimelineEntry]
    /// Events beyond the timeline's limit.
    public var timelineOmitted: Int
    /// Records the ring buffer had no room for (the counts are then lower bounds).
    public var lostRecords: UInt64
    /// The static diagnosis of the pair: its verdict, path and failing checks.
    public var staticVerdict: String
    public var staticPath: String
    public var staticFailures: [String]
    /// Its warning checks (`firewall.unverifiable`: a rule whose effect it could not decide).
    public var staticWarnings: [String]
    /// Whether the drops sit where the static diagnosis marked the path (`nil`: no drop).
    public var agreesWithStatic: Bool?
    /// The kernel's ids of the BPF programs that watched, detached before the report
    /// was written (`bpftool prog show id N` finds none of them afterwards).
    public var programIDs: [UInt32]
    /// Sentences for the reader: what could not be named, what to try.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case tool, version, host, from, to, seconds, verdict
        case exitCode = "exit_code"
        case frames, drops, timeline
        case timelineOmitted = "timeline_omitted"
        case lostRecords = "lost_records"
        case staticVerdict = "static_verdict"
        case staticPath = "static_path"
        case staticFailures = "static_failures"
        case staticWarnings = "static_warnings"
        case agreesWithStatic = "agrees_with_static"
        case programIDs = "bpf_program_ids"
        case notes
    }

    /// The report as JSON text (keys sorted, every key present).
    public func jsonBytes() throws -> [UInt8] { try JSONOutput.encode(self) }
}
