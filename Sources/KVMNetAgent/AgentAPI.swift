import KVMNetModel
import KVMNetNetlink
import KVMNetWeb

/// The agent's read-only API for kvmnet-diag across hosts (docs/api.md), served on the
/// `/metrics` listener with the same TLS and basic auth.
///
/// - `GET /api/v1/`: what this agent serves (`api_version`, `agent_version`, `endpoints`).
/// - `GET /api/v1/snapshot`: the host's snapshot, as `kvmnet-diag snapshot` writes it,
///   secrets of the configuration files read masked (served by the plugged diagnosis).
/// - `GET /api/v1/fdb?mac=A[,B...]`: where the bridges hold those MACs (at most
///   ``maxMACs`` per request, ``maxEntries`` entries per answer).
///
/// Every answer is JSON with `api_version`; an error is `{"api_version", "error"}` with a
/// 4xx status, also for an API version this agent does not have (`/api/v2/...`: 404).
public enum AgentAPI {
    /// The one version this agent speaks.
    public static let version = 1
    /// `/api/v1`.
    public static let prefix = "/api/v\(version)"
    public static let snapshotPath = "\(prefix)/snapshot"
    public static let fdbPath = "\(prefix)/fdb"
    /// MACs one FDB lookup may ask for.
    public static let maxMACs = 64
    /// Entries one FDB answer holds at most (a MAC is in one entry per bridge and VLAN).
    public static let maxEntries = 4096

    /// The body of an error answer.
    public static func error(status: Int, _ message: String) -> WebResponse {
        WebResponse(status: status, contentType: "application/json",
                    text: "{\"api_version\":\(version),\"error\":\(JSONText.quoted(message))}\n")
    }
}

extension Agent {
    /// Answers a request under `/api/`.
    func handleAPI(_ request: WebRequest) -> WebResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return AgentAPI.error(status: 405, "the API is read-only: GET only")
        }
        switch request.path {
        case AgentAPI.prefix, AgentAPI.prefix + "/":
            let endpoints = [AgentAPI.snapshotPath, AgentAPI.fdbPath].filter { $0 != AgentAPI.snapshotPath || diagnose != nil }
            let list = endpoints.map(JSONText.quoted).joined(separator: ",")
            return WebResponse(status: 200, contentType: "application/json",
                               text: "{\"api_version\":\(AgentAPI.version),\"agent_version\":\(JSONText.quoted(config.version)),\"endpoints\":[\(list)]}\n")
        case AgentAPI.snapshotPath:
            guard let diagnose else { return AgentAPI.error(status: 404, "this agent runs without the diagnosis: no snapshot") }
            return diagnose(request, liveHost())
        case AgentAPI.fdbPath:
            return fdbLookup(request.query)
        default:
            if !request.path.hasPrefix(AgentAPI.prefix + "/") && request.path != AgentAPI.prefix {
                return AgentAPI.error(status: 404, "this agent speaks API version \(AgentAPI.version) only (\(AgentAPI.prefix)/): \(request.path) is not served")
            }
            return AgentAPI.error(status: 404, "\(request.path) is not part of API version \(AgentAPI.version): \(AgentAPI.snapshotPath) and \(AgentAPI.fdbPath) are")
        }
    }

    /// `mac=aa:bb:cc:dd:ee:ff,...`: the FDB entries of those MACs.
    func fdbLookup(_ query: String) -> WebResponse {
        var macs: [String] = []
        for (key, value) in QueryString.pairs(query) {
            guard key == "mac" else {
                return AgentAPI.error(status: 400, "unknown parameter \"\(key.prefix(40))\": give mac=aa:bb:cc:dd:ee:ff[,...]")
            }
            macs += value.split(separator: ",").map(String.init)
        }
        guard !macs.isEmpty else { return AgentAPI.error(status: 400, "give mac=aa:bb:cc:dd:ee:ff[,...]") }
        guard macs.count <= AgentAPI.maxMACs else {
            return AgentAPI.error(status: 400, "at most \(AgentAPI.maxMACs) MACs per request, got \(macs.count)")
        }
        var words = Set<UInt64>()
        for m in macs {
            guard let w = MACAddress.parse(m) else {
                return AgentAPI.error(status: 400, "\"\(m.prefix(40))\" is not a MAC address (aa:bb:cc:dd:ee:ff)")
            }
            words.insert(w)
        }
        let (found, truncated, known) = state.keyedFDBLocations(of: words, limit: AgentAPI.maxEntries)
        let entries = config.netlink ? withAges(found) : found.map(\.location)
        return WebResponse(status: 200, contentType: "application/json",
                           text: AgentAPI.fdbAnswer(entries, known: known, truncated: truncated))
    }

    /// The entries with the age of each learned one, asked of the kernel now (one FDB get
    /// each, on this request's thread: the event thread is not involved). An entry the
    /// kernel cannot tell about (gone since, or a kernel before 5.0) keeps a `null` age;
    /// local and static entries are not asked (they never age out).
    func withAges(_ found: [(key: FDBEntry.Key, location: FDBLocation)]) -> [FDBLocation] {
        let asked = found.filter { $0.location.kind == .learned }.map(\.key)
        guard !asked.isEmpty else { return found.map(\.location) }
        let infos: [FDBEntry.Key: Result<FDBCacheInfo, FDBGetError>]
        do {
            infos = try NetlinkFDBReader.cacheInfo(of: asked, onDecodeError: { [self] error in
                logger.warning("netlink message skipped", metadata: ["error": "\(error)"])
                state.recordSourceError(.netlink)
            })
        } catch {
            logger.warning("FDB ages not read: answering without them", metadata: ["error": "\(error)"])
            state.recordSourceError(.netlink)
            return found.map(\.location)
        }
        return found.map { key, location in
            var l = location
            switch infos[key] {
            case .success(let info)?:
                l.ageSeconds = info.updatedSeconds
            case .failure(let why)?:
                logger.debug("FDB entry age unknown", metadata: ["mac": "\(l.mac)", "bridge": "\(l.bridge)", "vlan": "\(l.vlan)", "why": "\(why)"])
            case nil:
                break
            }
            return l
        }
    }
}

extension AgentAPI {
    /// The body of a `/api/v1/fdb` answer (docs/api.md).
    static func fdbAnswer(_ entries: [FDBLocation], known: Bool, truncated: Bool) -> String {
        var out = "{\"api_version\":\(version),\"fdb_known\":\(known),\"truncated\":\(truncated),\"entries\":["
        for (i, e) in entries.enumerated() {
            if i > 0 { out += "," }
            out += "{\"mac\":\(JSONText.quoted(e.mac)),\"bridge\":\(JSONText.quoted(e.bridge)),\"port\":\(JSONText.quoted(e.port)),\"vlan\":\(e.vlan),\"kind\":\(JSONText.quoted(e.kind.rawValue)),\"age_seconds\":\(FDBLocation.ageJSON(e.ageSeconds))}"
        }
        return out + "]}\n"
    }
}

/// JSON string literals for the hand-assembled answers above.
enum JSONText {
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
