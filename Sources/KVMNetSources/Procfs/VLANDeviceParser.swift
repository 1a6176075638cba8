/// Parses `/proc/net/vlan/<dev>` (vlandev_seq_show):
///
///     ens33.100  VID: 100	 REORDER_HDR: 1  dev->priv_flags: 1
///              total frames received            0
///               total bytes received            0
///           Broadcast/Multicast Rcvd            0
///
///           total frames transmitted          145
///            total bytes transmitted        11140
///     Device: ens33
///     INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:0
///      EGRESS priority mappings: 0:2
///
/// `priv_flags` is hex in every version (`%hx`, `%llx`, `%x`). Counter lines are
/// `"%30s %12llu"`; counters with other labels (2.6-era `total headroom inc`) go to
/// `extraCounters`. Header, the five standard counters, `Device:` and the ingress map are
/// required: a file without them is reported as truncated.
public enum VLANDeviceParser {
    public static func parse(_ text: String, file: String) throws(ProcfsParseError) -> VLANDeviceFile {
        let lines = ProcfsParseText.lines(text)
        guard let headerIndex = lines.firstIndex(where: { !ProcfsParseText.trimmed($0).isEmpty }) else {
            throw ProcfsParseError(file: file, message: "the file is empty; expected the text of /proc/net/vlan/<device>")
        }
        let headerNumber = headerIndex + 1
        let header = ProcfsParseText.fields(lines[headerIndex])
        func value(after label: String) -> String? {
            guard let at = header.firstIndex(where: { $0 == label }) else { return nil }
            let next = header.index(after: at)
            // The next label (`REORDER_HDR:`) instead of a value: the value is missing.
            guard next < header.endIndex, !header[next].hasSuffix(":") else { return "" }
            return String(header[next])
        }
        guard let deviceField = header.first, deviceField != "VID:", let idText = value(after: "VID:") else {
            throw ProcfsParseError(
                file: file, line: headerNumber,
                message: "not a /proc/net/vlan/<device> file: expected '<device>  VID: <id>  REORDER_HDR: <0|1>  dev->priv_flags: <hex>', found '\(ProcfsParseText.trimmed(lines[headerIndex]).prefix(80))'")
        }
        let device = String(deviceField)
        let id = try VLANIDText.parse(idText, device: device, file: file, line: headerNumber)
        guard let reorderText = value(after: "REORDER_HDR:"), let reorder = Int(reorderText) else {
            throw ProcfsParseError(
                file: file, line: headerNumber,
                message: "'REORDER_HDR': expected 0 or 1, found '\(value(after: "REORDER_HDR:") ?? "nothing")'")
        }
        let flagsText = value(after: "dev->priv_flags:") ?? ""
        let flagsDigits = flagsText.hasPrefix("0x") || flagsText.hasPrefix("0X") ? String(flagsText.dropFirst(2)) : flagsText
        guard let privFlags = UInt64(flagsDigits, radix: 16) else {
            throw ProcfsParseError(
                file: file, line: headerNumber,
                message: "'dev->priv_flags': expected a hexadecimal number, found '\(flagsText.isEmpty ? "nothing" : flagsText)'")
        }

        var counters: [String: UInt64] = [:]
        var extra: [String: UInt64] = [:]
        var parent: String?
        var ingress: [UInt32]?
        var egress: [EgressMapping] = []
        let known: Set<String> = [
            "total frames received", "total bytes received", "Broadcast/Multicast Rcvd",
            "total frames transmitted", "total bytes transmitted",
        ]

        var index = headerIndex + 1
        while index < lines.count {
            let number = index + 1
            let line = ProcfsParseText.trimmed(lines[index])
            index += 1
            if line.isEmpty { continue }
            if line.hasPrefix("Device:") {
                let name = ProcfsParseText.trimmed(line.dropFirst("Device:".count))
                guard !name.isEmpty else {
                    throw ProcfsParseError(file: file, line: number, message: "'Device:' names no parent device")
                }
                parent = String(name)
            } else if line.hasPrefix("INGRESS priority mappings:") {
                ingress = try parseIngress(line.dropFirst("INGRESS priority mappings:".count), file: file, line: number)
            } else if line.hasPrefix("EGRESS priority mappings:") {
                egress = try parseEgress(line.dropFirst("EGRESS priority mappings:".count), file: file, line: number)
            } else if let last = ProcfsParseText.fields(line).last {
                let label = String(ProcfsParseText.trimmed(line[..<last.startIndex]))
                if let count = UInt64(last), !label.isEmpty {
                    if known.contains(label) { counters[label] = count } else { extra[label] = count }
                } else if known.contains(label) {
                    throw ProcfsParseError(
                        file: file, line: number, message: "'\(label)': expected a non-negative integer, found '\(last)'")
                }
                // Anything else is a line this parser does not know: ignored.
            }
        }

        func counter(_ label: String) throws(ProcfsParseError) -> UInt64 {
            guard let count = counters[label] else {
                throw ProcfsParseError(file: file, message: "no '\(label)' line (truncated file?)")
            }
            return count
        }
        let receivedFrames = try counter("total frames received")
        let receivedBytes = try counter("total bytes received")
        let receivedMulticast = try counter("Broadcast/Multicast Rcvd")
        let transmittedFrames = try counter("total frames transmitted")
        let transmittedBytes = try counter("total bytes transmitted")
        guard let parent else {
            throw ProcfsParseError(file: file, message: "no 'Device:' line naming the parent device (truncated file?)")
        }
        guard let ingress else {
            throw ProcfsParseError(file: file, message: "no 'INGRESS priority mappings:' line (truncated file?)")
        }
        return VLANDeviceFile(
            device: device, id: id, reorderHeader: reorder != 0, privFlags: privFlags,
            receivedFrames: receivedFrames, receivedBytes: receivedBytes, receivedMulticast: receivedMulticast,
            transmittedFrames: transmittedFrames, transmittedBytes: transmittedBytes, parent: parent,
            ingressPriorityMap: ingress, egressPriorityMap: egress, extraCounters: extra)
    }

    /// `a:b` -> (a, b).
    private static func pair(_ field: Substring) -> (UInt32, UInt32)? {
        guard let colon = field.firstIndex(of: ":"),
            let left = UInt32(field[..<colon]),
            let right = UInt32(field[field.index(after: colon)...])
        else { return nil }
        return (left, right)
    }

    /// `0:%u  1:%u ... 7:%u`: exactly the eight PCPs.
    private static func parseIngress(_ text: Substring, file: String, line: Int) throws(ProcfsParseError) -> [UInt32] {
        var map = [UInt32](repeating: 0, count: 8)
        var seen = [Bool](repeating: false, count: 8)
        for field in ProcfsParseText.fields(text) {
            guard let (pcp, priority) = pair(field), pcp < 8 else {
                throw ProcfsParseError(
                    file: file, line: line,
                    message: "'INGRESS priority mappings': expected '<0-7>:<priority>', found '\(field)'")
            }
            map[Int(pcp)] = priority
            seen[Int(pcp)] = true
        }
        guard seen.allSatisfy({ $0 }) else {
            let missing = (0..<8).filter { !seen[$0] }.map(String.init).joined(separator: ", ")
            throw ProcfsParseError(
                file: file, line: line, message: "'INGRESS priority mappings': expected 8 entries 0-7, missing \(missing)")
        }
        return map
    }

    /// `%u:%hu ` per entry (trailing space), possibly none.
    private static func parseEgress(_ text: Substring, file: String, line: Int) throws(ProcfsParseError) -> [EgressMapping] {
        var out: [EgressMapping] = []
        for field in ProcfsParseText.fields(text) {
            guard let (priority, qos) = pair(field) else {
                throw ProcfsParseError(
                    file: file, line: line,
                    message: "'EGRESS priority mappings': expected '<skb priority>:<802.1p priority>', found '\(field)'")
            }
            out.append(EgressMapping(skbPriority: priority, vlanQoS: qos))
        }
        return out
    }
}
