import KVMNetModel

/// Reads `bridge fdb show` output the way the exporter must count it: only lines with
/// `master <bridge>` (bridge FDB entries), kind from the state word iproute2 prints
/// (`permanent` local, `static` static, nothing or `stale` learned), port from `dev`
/// (the bridge's own name when the entry has no port).
enum BridgeFDBShow {
    static func summaries(_ text: String) -> [String: FDBSummary] {
        var out: [String: FDBSummary] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let devAt = words.firstIndex(of: "dev"), devAt + 1 < words.count else { continue }
            guard let masterAt = words.lastIndex(of: "master"), masterAt + 1 < words.count else { continue }
            let port = words[devAt + 1]
            let bridge = words[masterAt + 1]
            let kind: FDBEntryKind
            if words.contains("permanent") {
                kind = .local
            } else if words.contains("static") {
                kind = .static
            } else {
                kind = .learned
            }
            out[bridge, default: FDBSummary()].add(port: port, kind: kind)
        }
        return out
    }
}
