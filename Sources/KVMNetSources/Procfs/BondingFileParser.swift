import KVMNetModel

/// Parses `/proc/net/bonding/<bond>` (bond_info_show_master / bond_info_show_slave),
/// kernels 2.6-era to 6.19, RHEL/CentOS 7-9, Debian, Ubuntu and vendor kernels.
///
/// Every line is `Key: value` (split on the FIRST `": "`), `Key:` (empty value) or a bare
/// line (`802.3ad info`, `bond X has no active aggregator`). Indentation (TABs or spaces)
/// is ignored; the 4-space `details actor/partner lacp pdu:` sub-blocks are recognised by
/// the header line that opens them. Keys the parser does not know are kept in
/// `BondingFile.unknownLines` and are never an error; a known key whose value has the
/// wrong form (`Link Failure Count: abc`) is an error naming the line and the value.
public enum BondingFileParser {
    /// Parses the text of `/proc/net/bonding/<name>`.
    /// - Parameters:
    ///   - name: the bond's name (the file's name).
    ///   - file: the path, used in error messages only.
    public static func parse(_ text: String, name: String, file: String) throws(ProcfsParseError) -> BondingFile {
        let lines = ProcfsParseText.lines(text)
        guard lines.contains(where: { !ProcfsParseText.trimmed($0).isEmpty }) else {
            throw ProcfsParseError(file: file, message: "the file is empty; expected the text of /proc/net/bonding/\(name)")
        }
        let hasModeLine = lines.contains { line in
            if case .pair(let key, _) = BondLine(line), key == "Bonding Mode" { return true }
            return false
        }
        guard hasModeLine else {
            let first = lines.first { !ProcfsParseText.trimmed($0).isEmpty }.map { String(ProcfsParseText.trimmed($0)) } ?? ""
            throw ProcfsParseError(
                file: file,
                message: "not a bonding file: no 'Bonding Mode:' line (first line is '\(first.prefix(80))')")
        }
        var state = BondingParseState(file: file, name: name)
        for (offset, raw) in lines.enumerated() {
            let number = offset + 1
            let line = BondLine(raw)
            if case .pair(let key, let value) = line, key == "Slave Interface", value.isEmpty {
                // "Slave Interface:" with no name: a file cut while it was written when nothing
                // follows (the slave is dropped); garbage otherwise.
                if lines.dropFirst(number).allSatisfy({ ProcfsParseText.trimmed($0).isEmpty }) { break }
                throw ProcfsParseError(file: file, line: number, message: "'Slave Interface:' has no interface name")
            }
            let indented = raw.first.map { $0 == " " || $0 == "\t" } ?? false
            try state.consume(line, number: number, indented: indented)
        }
        return try state.finish()
    }
}

// MARK: - Lines

/// One line of a bonding file, split on the first `": "` (or `":\t"`).
private enum BondLine: Equatable {
    case blank
    case bare(String)
    case pair(key: String, value: String)

    init(_ raw: Substring) {
        let text = ProcfsParseText.trimmed(raw)
        if text.isEmpty {
            self = .blank
            return
        }
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == ":" {
                let next = text.index(after: i)
                if next == text.endIndex {
                    self = .pair(key: String(ProcfsParseText.trimmed(text[..<i])), value: "")
                    return
                }
                if text[next] == " " || text[next] == "\t" {
                    self = .pair(key: String(ProcfsParseText.trimmed(text[..<i])), value: String(ProcfsParseText.trimmed(text[next...])))
                    return
                }
            }
            i = text.index(after: i)
        }
        self = .bare(String(text))
    }
}

// MARK: - State machine

private enum PDUSide { case actor, partner }

private struct SlaveBuilder {
    var slave: BondSlave
    var details = BondingFile.SlaveLACPDetails()
}

private struct BondingParseState {
    let file: String
    let name: String

    var driverVersion: String?
    var mode: BondMode = .unknown
    var failOverMACSuffix: String?
    var xmitHashPolicy: String?
    var primary: String?
    var primaryReselect: String?
    var activeSlave: String?
    var miiUp = false
    var miimonMs = 0
    var updelayMs = 0
    var downdelayMs = 0
    var peerNotificationDelayMs: Int?
    var arpIntervalMs = 0
    var arpMissedMax: Int?
    var arpTargets: [String] = []
    var nsTargets: [String] = []

    var saw8023adInfo = false
    var lacpActive: Bool?
    var lacpRate: String?
    var minLinks: Int?
    var adSelect: String?
    var systemPriority: Int?
    var systemMAC: String?
    var hasNoActiveAggregator = false
    var sawAggregatorInfo = false
    var aggregatorFirstLine: Int?
    var aggregatorID: Int?
    var aggregatorPorts: Int?
    var aggregatorActorKey: Int?
    var aggregatorPartnerKey: Int?
    var aggregatorPartnerMAC: String?

    var slaves: [BondSlave] = []
    var lacpDetails: [String: BondingFile.SlaveLACPDetails] = [:]
    var current: SlaveBuilder?
    var pduSide: PDUSide?
    var unknownLines: [BondingFile.KeyValue] = []

    init(file: String, name: String) {
        self.file = file
        self.name = name
    }

    func error(_ line: Int, _ message: String) -> ProcfsParseError {
        ProcfsParseError(file: file, line: line, message: message)
    }

    mutating func keepUnknown(_ key: String, _ value: String) {
        unknownLines.append(BondingFile.KeyValue(key: key, value: value, slave: current?.slave.name))
    }

    /// - Parameter indented: the raw line began with a space or TAB.
    mutating func consume(_ line: BondLine, number: Int, indented: Bool) throws(ProcfsParseError) {
        switch line {
        case .blank:
            pduSide = nil
        case .bare(let text):
            if pduSide != nil, indented {
                keepUnknown(text, "")
                return
            }
            pduSide = nil
            if text == "802.3ad info" {
                saw8023adInfo = true
            } else if text.hasPrefix("bond "), text.hasSuffix(" has no active aggregator") {
                hasNoActiveAggregator = true
            } else {
                // e.g. an injected bare "Speed": kept, not fatal, and it does not erase a value.
                keepUnknown(text, "")
            }
        case .pair(let key, let value):
            if key == "Slave Interface" {
                pduSide = nil
                flushSlave()
                current = SlaveBuilder(slave: BondSlave(name: value, miiStatus: .unknown))
                return
            }
            if let side = pduSide, current != nil {
                if try consumePDU(key, value, side: side, number: number) { return }
                if indented {
                    // An indented line the parser does not know, inside the LACPDU block:
                    // kept, and the block goes on.
                    keepUnknown(key, value)
                    return
                }
            }
            pduSide = nil
            if current != nil {
                try consumeSlave(key, value, number: number)
            } else {
                try consumeMaster(key, value, number: number)
            }
        }
    }

    mutating func flushSlave() {
        guard let done = current else { return }
        slaves.append(done.slave)
        if done.details.actor != nil || done.details.partner != nil {
            lacpDetails[done.slave.name] = done.details
        }
        current = nil
    }

    // MARK: master lines

    mutating func consumeMaster(_ key: String, _ value: String, number: Int) throws(ProcfsParseError) {
        switch key {
        case "Ethernet Channel Bonding Driver":
            driverVersion = value.isEmpty ? nil : value
        case "Bonding Mode":
            var description = value
            if value.hasSuffix(")"), let range = value.ranges(of: " (fail_over_mac ").last {
                failOverMACSuffix = String(value[range.upperBound..<value.index(before: value.endIndex)])
                description = String(value[..<range.lowerBound])
            }
            mode = BondMode(procfsDescription: description)
            if mode == .unknown, description != "unknown" {
                // A mode this build does not know: keep the text for the diagnosis.
                keepUnknown(key, value)
            }
        case "Transmit Hash Policy":
            xmitHashPolicy = value.isEmpty ? nil : stripNumberSuffix(value)
        case "Primary Slave":
            var slave = value
            if value.hasSuffix(")"), let range = value.ranges(of: " (primary_reselect ").last {
                primaryReselect = String(value[range.upperBound..<value.index(before: value.endIndex)])
                slave = String(value[..<range.lowerBound])
            }
            primary = (slave == "None" || slave.isEmpty) ? nil : slave
        case "Currently Active Slave":
            activeSlave = (value == "None" || value.isEmpty) ? nil : value
        case "MII Status":
            switch value {
            case "up": miiUp = true
            case "down": miiUp = false
            default:
                throw error(number, "'MII Status' of the bond: expected 'up' or 'down', found '\(value)'")
            }
        case "MII Polling Interval (ms)":
            miimonMs = try int(key, value, number) ?? miimonMs
        case "Up Delay (ms)":
            updelayMs = try int(key, value, number) ?? updelayMs
        case "Down Delay (ms)":
            downdelayMs = try int(key, value, number) ?? downdelayMs
        case "Peer Notification Delay (ms)":
            peerNotificationDelayMs = try int(key, value, number)
        case "ARP Polling Interval (ms)":
            arpIntervalMs = try int(key, value, number) ?? arpIntervalMs
        case "ARP Missed Max":
            arpMissedMax = try int(key, value, number)
        case "ARP IP target/s (n.n.n.n form)":
            arpTargets = commaList(value)
        case "NS IPv6 target/s (xx::xx form)":
            nsTargets = commaList(value)
        case "LACP active":
            switch value {
            case "on": lacpActive = true
            case "off": lacpActive = false
            case "": lacpActive = nil
            default:
                throw error(number, "'LACP active': expected 'on' or 'off', found '\(value)'")
            }
        case "LACP rate":
            lacpRate = value.isEmpty ? nil : value
        case "Min links":
            minLinks = try int(key, value, number)
        case "Aggregator selection policy (ad_select)":
            adSelect = value.isEmpty ? nil : value
        case "System priority":
            systemPriority = try int(key, value, number)
        case "System MAC address":
            systemMAC = mac(value)
        case "Active Aggregator Info":
            sawAggregatorInfo = true
        case "Aggregator ID":
            if value == "N/A" { break }
            aggregatorFirstLine = aggregatorFirstLine ?? number
            aggregatorID = try int(key, value, number)
        case "Number of ports":
            aggregatorFirstLine = aggregatorFirstLine ?? number
            aggregatorPorts = try int(key, value, number)
        case "Actor Key":
            aggregatorFirstLine = aggregatorFirstLine ?? number
            aggregatorActorKey = try int(key, value, number)
        case "Partner Key":
            aggregatorFirstLine = aggregatorFirstLine ?? number
            aggregatorPartnerKey = try int(key, value, number)
        case "Partner Mac Address":
            aggregatorFirstLine = aggregatorFirstLine ?? number
            aggregatorPartnerMAC = mac(value)
        default:
            keepUnknown(key, value)
        }
    }

    // MARK: slave lines

    mutating func consumeSlave(_ key: String, _ value: String, number: Int) throws(ProcfsParseError) {
        guard var builder = current else { return }
        defer { current = builder }
        switch key {
        case "MII Status":
            guard let status = MIIStatus(rawValue: value) else {
                throw error(
                    number,
                    "'MII Status' of slave \(builder.slave.name): expected up, going down, down, going back or unknown, found '\(value)'")
            }
            builder.slave.miiStatus = status
        case "Speed":
            builder.slave.speedMbps = try speed(value, number)
        case "Duplex":
            let lower = value.lowercased()
            builder.slave.duplex = (lower.isEmpty || lower == "unknown") ? nil : lower
        case "Link Failure Count":
            builder.slave.linkFailureCount = try uint64(key, value, number) ?? builder.slave.linkFailureCount
        case "Permanent HW addr":
            builder.slave.permanentAddress = mac(value)
        case "Slave queue ID":
            builder.slave.queueID = try int(key, value, number)
        case "Aggregator ID":
            builder.slave.aggregatorID = value == "N/A" ? nil : try int(key, value, number)
        case "Actor Churn State":
            builder.slave.actorChurnState = try churn(key, value, number)
        case "Partner Churn State":
            builder.slave.partnerChurnState = try churn(key, value, number)
        case "Actor Churned Count":
            builder.slave.actorChurnedCount = try uint64(key, value, number)
        case "Partner Churned Count":
            builder.slave.partnerChurnedCount = try uint64(key, value, number)
        case "details actor lacp pdu":
            pduSide = .actor
            builder.details.actor = builder.details.actor ?? BondingFile.LACPDU()
        case "details partner lacp pdu":
            pduSide = .partner
            builder.details.partner = builder.details.partner ?? BondingFile.LACPDU()
        default:
            unknownLines.append(BondingFile.KeyValue(key: key, value: value, slave: builder.slave.name))
        }
    }

    /// A line inside a `details ... lacp pdu:` block; false when the key ends the block.
    mutating func consumePDU(_ key: String, _ value: String, side: PDUSide, number: Int) throws(ProcfsParseError) -> Bool {
        guard var builder = current else { return false }
        var pdu = (side == .actor ? builder.details.actor : builder.details.partner) ?? BondingFile.LACPDU()
        switch key {
        case "system priority":
            pdu.systemPriority = try int(key, value, number)
        case "system mac address":
            pdu.systemMAC = mac(value)
            if side == .partner { builder.slave.partnerSystemMAC = pdu.systemMAC }
        case "port key", "oper key":
            pdu.key = try int(key, value, number)
        case "port priority":
            pdu.portPriority = try int(key, value, number)
        case "port number":
            pdu.portNumber = try int(key, value, number)
        case "port state":
            if value.isEmpty {
                pdu.portState = nil
            } else {
                guard let state = UInt8(value) else {
                    throw error(number, "'port state': expected a number from 0 to 255, found '\(value)'")
                }
                pdu.portState = state
            }
            if side == .actor {
                builder.slave.actorPortState = pdu.portState
            } else {
                builder.slave.partnerPortState = pdu.portState
            }
        default:
            return false
        }
        if side == .actor { builder.details.actor = pdu } else { builder.details.partner = pdu }
        current = builder
        return true
    }

    // MARK: values

    func int(_ key: String, _ value: String, _ number: Int) throws(ProcfsParseError) -> Int? {
        if value.isEmpty { return nil }
        guard let parsed = Int(value) else {
            throw error(number, "'\(key)': expected an integer, found '\(value)'")
        }
        return parsed
    }

    func uint64(_ key: String, _ value: String, _ number: Int) throws(ProcfsParseError) -> UInt64? {
        if value.isEmpty { return nil }
        guard let parsed = UInt64(value) else {
            throw error(number, "'\(key)': expected a non-negative integer, found '\(value)'")
        }
        return parsed
    }

    func churn(_ key: String, _ value: String, _ number: Int) throws(ProcfsParseError) -> ChurnState? {
        if value.isEmpty { return nil }
        guard let state = ChurnState(rawValue: value) else {
            throw error(number, "'\(key)': expected monitoring, churned, none or unknown, found '\(value)'")
        }
        return state
    }

    /// `1000 Mbps` -> 1000; `Unknown` -> nil. Old kernels printed SPEED_UNKNOWN as -1,
    /// 65535 (u16) or 4294967295 (u32) Mbps: nil too.
    func speed(_ value: String, _ number: Int) throws(ProcfsParseError) -> Int? {
        if value.isEmpty || value.lowercased() == "unknown" { return nil }
        var digits = Substring(value)
        if digits.hasSuffix("Mbps") { digits = ProcfsParseText.trimmed(digits.dropLast(4)) }
        guard let mbps = Int(digits) else {
            throw error(number, "'Speed': expected '<number> Mbps' or 'Unknown', found '\(value)'")
        }
        if mbps < 0 || mbps == 65535 || mbps == 4_294_967_295 { return nil }
        return mbps
    }

    func mac(_ value: String) -> String? {
        value.isEmpty ? nil : MACAddress.normalize(value)
    }

    /// `layer3+4 (1)` -> `layer3+4`.
    func stripNumberSuffix(_ value: String) -> String {
        guard value.hasSuffix(")"), let open = value.lastIndex(of: "(") else { return value }
        let inner = value[value.index(after: open)..<value.index(before: value.endIndex)]
        guard !inner.isEmpty, inner.allSatisfy({ $0.isASCII && $0.isNumber }) else { return value }
        return String(ProcfsParseText.trimmed(value[..<open]))
    }

    func commaList(_ value: String) -> [String] {
        value.split(separator: ",").map { String(ProcfsParseText.trimmed($0)) }.filter { !$0.isEmpty }
    }

    // MARK: result

    mutating func finish() throws(ProcfsParseError) -> BondingFile {
        flushSlave()

        var lacp: LACPInfo?
        if mode == .ieee8023ad || saw8023adInfo {
            var aggregator: LACPAggregator?
            if let firstLine = aggregatorFirstLine {
                var missing: [String] = []
                if aggregatorID == nil { missing.append("Aggregator ID") }
                if aggregatorPorts == nil { missing.append("Number of ports") }
                if aggregatorActorKey == nil { missing.append("Actor Key") }
                if aggregatorPartnerKey == nil { missing.append("Partner Key") }
                if aggregatorPartnerMAC == nil { missing.append("Partner Mac Address") }
                guard let id = aggregatorID, let ports = aggregatorPorts, let actorKey = aggregatorActorKey,
                    let partnerKey = aggregatorPartnerKey, let partnerMAC = aggregatorPartnerMAC
                else {
                    throw error(
                        firstLine,
                        "'Active Aggregator Info' is incomplete: missing \(missing.joined(separator: ", "))")
                }
                aggregator = LACPAggregator(
                    id: id, ports: ports, actorKey: actorKey, partnerKey: partnerKey, partnerMAC: partnerMAC)
            }
            let visible = systemPriority != nil || systemMAC != nil || sawAggregatorInfo
                || aggregatorFirstLine != nil || hasNoActiveAggregator
            lacp = LACPInfo(
                rate: lacpRate, adSelect: adSelect, active: lacpActive, systemPriority: systemPriority,
                systemMAC: systemMAC, activeAggregator: aggregator, aggregatorVisible: visible)
        }

        // Only active-backup has backup slaves: in balance-tlb and balance-alb the kernel
        // keeps every slave active (state ACTIVE in netlink) and the "current" one only
        // receives; procfs does not say more.
        if mode == .activeBackup {
            for i in slaves.indices { slaves[i].isActive = slaves[i].name == activeSlave }
        }

        let bond = Bond(
            name: name, mode: mode,
            xmitHashPolicy: xmitHashPolicy, miiUp: miiUp, miimonMs: miimonMs, updelayMs: updelayMs,
            downdelayMs: downdelayMs, arpIntervalMs: arpIntervalMs, arpTargets: arpTargets,
            primary: primary, activeSlave: activeSlave,
            // The kernel prints "(fail_over_mac X)" only in active-backup and only when X != none.
            failOverMAC: mode == .activeBackup ? (failOverMACSuffix ?? "none") : failOverMACSuffix,
            minLinks: minLinks, lacp: lacp, slaves: slaves)
        return BondingFile(
            driverVersion: driverVersion, bond: bond, primaryReselect: primaryReselect,
            peerNotificationDelayMs: peerNotificationDelayMs, arpMissedMax: arpMissedMax, nsTargets: nsTargets,
            hasNoActiveAggregator: hasNoActiveAggregator, unknownLines: unknownLines, lacpDetails: lacpDetails)
    }
}
