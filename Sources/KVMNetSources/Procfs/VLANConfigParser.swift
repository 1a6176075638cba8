/// Parses `/proc/net/vlan/config`:
///
///     VLAN Dev name	 | VLAN ID
///     Name-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD
///     ens224.305     | 305  | ens224
///
/// Rows are `"%-15s| %d  | %s"`: the name is padded to 15 bytes (IFNAMSIZ-1), so a 15-byte
/// name has no space before `|`. Interface names may contain `|` (the kernel forbids only
/// `/`, `:` and whitespace), so the row is cut at byte 15 when the row has that layout and
/// at the first `|` otherwise.
public enum VLANConfigParser {
    public static func parse(_ text: String, file: String) throws(ProcfsParseError) -> VLANConfigFile {
        let lines = ProcfsParseText.lines(text)
        guard let headerIndex = lines.firstIndex(where: { !ProcfsParseText.trimmed($0).isEmpty }) else {
            throw ProcfsParseError(file: file, message: "the file is empty; expected the text of /proc/net/vlan/config")
        }
        let header = ProcfsParseText.trimmed(lines[headerIndex])
        guard header.hasPrefix("VLAN Dev name") else {
            throw ProcfsParseError(
                file: file, line: headerIndex + 1,
                message: "not /proc/net/vlan/config: expected the header 'VLAN Dev name | VLAN ID', found '\(header.prefix(80))'")
        }
        var result = VLANConfigFile()
        var index = headerIndex + 1
        while index < lines.count {
            let raw = lines[index]
            let number = index + 1
            index += 1
            let line = ProcfsParseText.trimmed(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("Name-Type:") {
                try parseNameType(line.dropFirst("Name-Type:".count), into: &result, file: file, line: number)
                continue
            }
            result.entries.append(try parseRow(raw, file: file, line: number))
        }
        return result
    }

    /// `VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD` [+ `  bad_proto_recvd: N` on very old kernels].
    private static func parseNameType(
        _ value: Substring, into result: inout VLANConfigFile, file: String, line: Int
    ) throws(ProcfsParseError) {
        let fields = ProcfsParseText.fields(value)
        result.nameType = fields.first.map(String.init)
        if let label = fields.firstIndex(of: "bad_proto_recvd:") {
            let valueIndex = fields.index(after: label)
            let text = valueIndex < fields.endIndex ? String(fields[valueIndex]) : ""
            guard let count = UInt64(text) else {
                throw ProcfsParseError(
                    file: file, line: line, message: "'bad_proto_recvd': expected a non-negative integer, found '\(text)'")
            }
            result.badProtoRecvd = count
        }
    }

    private static func parseRow(_ raw: Substring, file: String, line: Int) throws(ProcfsParseError) -> VLANConfigEntry {
        let expected = "expected a row '<device>| <VLAN id>  | <parent device>'"
        var name: Substring?
        var rest: Substring?
        // Kernel layout: 15 bytes of (padded) name, then '|'.
        let bytes = Array(raw.utf8)
        let bar = UInt8(ascii: "|")
        if bytes.count > 16, bytes[15] == bar, bytes[16...].contains(bar) {
            name = Substring(String(decoding: bytes[0..<15], as: UTF8.self))
            rest = Substring(String(decoding: bytes[16...], as: UTF8.self))
        } else if let first = raw.firstIndex(of: "|") {
            name = raw[..<first]
            rest = raw[raw.index(after: first)...]
        }
        guard let name, let rest, let second = rest.firstIndex(of: "|") else {
            throw ProcfsParseError(file: file, line: line, message: "\(expected), found '\(raw.prefix(80))'")
        }
        let device = String(ProcfsParseText.trimmed(name))
        let idText = String(ProcfsParseText.trimmed(rest[..<second]))
        let parent = String(ProcfsParseText.trimmed(rest[rest.index(after: second)...]))
        guard !device.isEmpty else {
            throw ProcfsParseError(file: file, line: line, message: "\(expected), found no device name in '\(raw.prefix(80))'")
        }
        guard !parent.isEmpty else {
            throw ProcfsParseError(file: file, line: line, message: "\(expected), found no parent device in '\(raw.prefix(80))'")
        }
        let id = try VLANIDText.parse(idText, device: device, file: file, line: line)
        return VLANConfigEntry(device: device, id: id, parent: parent)
    }
}

/// VLAN ids: 0-4094 (the kernel refuses 4095, VLAN_VID_MASK).
enum VLANIDText {
    static func parse(_ text: String, device: String, file: String, line: Int) throws(ProcfsParseError) -> Int {
        guard let id = Int(text), (0...4094).contains(id) else {
            throw ProcfsParseError(
                file: file, line: line, message: "bad VLAN id '\(text)' for \(device): expected an integer from 0 to 4094")
        }
        return id
    }
}
