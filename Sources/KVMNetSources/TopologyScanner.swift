import KVMNetModel

/// Everything one read of a proc and sys tree gave, with the problems met on the way.
public struct ScanResult: Sendable {
    /// Every link, and the bridge FDB from `brforward` (no VLANs, no static entries).
    public var dump: FullDump
    /// Whether any bridge's `brforward` could be read.
    public var fdbKnown: Bool
    /// `/proc/net/bonding/<bond>` parsed, by bond name.
    public var bondSupplements: [String: Bond]
    /// `/proc/net/vlan/config` parsed, by device name.
    public var vlanSupplements: [String: VLANDevice]
    /// Read and parse errors. The scan went on without the piece in error.
    public var errors: [SourceError]
    /// What these trees cannot give at all, though the host has it (nothing failed): the
    /// per-port VLAN lists of each VLAN-filtering bridge (``unavailableBridgeVLANs(_:sysfsRoot:)``).
    public var unavailable: [SourceError] = []

    /// The joined topology.
    public var topology: Topology {
        TopologyBuilder.build(links: dump.links, fdb: fdbKnown ? FDBCounts(tallying: dump.fdb) : nil,
                              bondSupplements: bondSupplements, vlanSupplements: vlanSupplements)
    }
}

/// Reads the host's topology from a proc and a sys tree (the real ones, or a captured
/// fixture tree): `/sys/class/net/*`, `/proc/net/bonding/*`, `/proc/net/vlan/config`.
public struct TopologyScanner: Sendable {
    public var procfsRoot: String
    public var sysfsRoot: String

    public init(procfsRoot: String = "/proc", sysfsRoot: String = "/sys") {
        self.procfsRoot = procfsRoot
        self.sysfsRoot = sysfsRoot
    }

    /// Reads everything. Never throws: problems are in ``ScanResult/errors``.
    public func scan() -> ScanResult {
        var errors: [SourceError] = []
        let links = readLinks(&errors)
        let (fdb, fdbKnown) = readFDB(links: links, errors: &errors)
        let bonds = readBonding(&errors)
        let vlans = readVLANConfig(&errors)
        var result = ScanResult(dump: FullDump(links: links, fdb: fdb), fdbKnown: fdbKnown,
                                bondSupplements: bonds, vlanSupplements: vlans, errors: errors)
        result.unavailable = Self.unavailableBridgeVLANs(links, sysfsRoot: sysfsRoot)
        return result
    }

    /// One notice per bridge whose `bridge/vlan_filtering` is 1: sysfs has no per-port
    /// VLAN list (nor the bridge's own), so its ports' VLANs are unknown, not empty. The
    /// agent logs it once; kvmnet-diag reports it as missing data.
    public static func unavailableBridgeVLANs(_ links: [LinkUpdate], sysfsRoot: String) -> [SourceError] {
        links.filter { $0.bridge?.vlanFiltering == true }.map(\.link.name).sorted().map { name in
            SourceError(source: .sysfs, path: "\(sysfsRoot)/class/net/\(name)/bridge/vlan_filtering", kind: .notApplicable,
                        message: "bridge \(name) filters by VLAN (vlan_filtering 1), but sysfs has no per-port VLAN lists: "
                            + "its ports' VLANs, PVIDs and untagged flags are unknown (read them over netlink, without --no-netlink)")
        }
    }

    /// Every `/sys/class/net/<dev>`. A device that vanishes mid-read is left out, with an error.
    public func readLinks(_ errors: inout [SourceError]) -> [LinkUpdate] {
        let reader = SysfsLinkReader(sysfsRoot: sysfsRoot)
        let names: [String]
        switch reader.deviceNames() {
        case .success(let n): names = n
        case .failure(let e):
            errors.append(SourceError(source: .sysfs, path: e.path, kind: e.kind, message: e.description))
            return []
        }
        var out: [LinkUpdate] = []
        out.reserveCapacity(names.count)
        for name in names {
            var problems: [ReadError] = []
            switch reader.read(name, problems: &problems) {
            case .success(let u): out.append(u)
            case .failure(let e):
                let why = e.isMissing ? "device vanished while being read" : e.description
                errors.append(SourceError(source: .sysfs, path: e.path, kind: e.kind, message: why))
            }
            for p in problems {
                errors.append(SourceError(source: .sysfs, path: p.path, kind: p.kind, message: p.description))
            }
        }
        return out
    }

    /// Bridge FDBs from `brforward`, mapped to port ifindexes through `brport/port_no`.
    public func readFDB(links: [LinkUpdate], errors: inout [SourceError]) -> ([FDBEntry], Bool) {
        var entries: [FDBEntry] = []
        var known = false
        for br in links where br.bridge != nil {
            let path = "\(sysfsRoot)/class/net/\(br.link.name)/brforward"
            let bytes: [UInt8]
            switch FileReader.readBytes(path) {
            case .success(let b): bytes = b
            case .failure(let e):
                if !e.isMissing { errors.append(SourceError(source: .brforward, path: path, kind: e.kind, message: e.description)) }
                continue
            }
            let records: [BrforwardEntry]
            do { records = try BrforwardParser.parse(bytes, file: path) } catch {
                errors.append(SourceError(source: .brforward, path: path, message: error.message))
                continue
            }
            known = true
            var indexByPortNo: [Int: Int] = [:]
            for p in links where p.link.master == br.link.name {
                if let no = p.bridgePort?.portNumber { indexByPortNo[no] = p.link.index }
            }
            let bridgeIndex = Int32(br.link.index)
            for r in records {
                let port = indexByPortNo[r.portNumber].map { Int32($0) } ?? bridgeIndex
                entries.append(FDBEntry(mac: FDBEntry.packMAC(r.mac), vlan: 0, bridgeIndex: bridgeIndex,
                                        portIndex: port,
                                        kind: r.isLocal ? .local : .learned))
            }
        }
        return (entries, known)
    }

    /// Every `/proc/net/bonding/<bond>`, parsed.
    public func readBonding(_ errors: inout [SourceError]) -> [String: Bond] {
        let dir = procfsRoot + "/net/bonding"
        guard case .success(let names) = FileReader.list(dir) else { return [:] }  // no bonding module
        var out: [String: Bond] = [:]
        for name in names {
            switch BondingProcReader(procfsRoot: procfsRoot).read(bond: name) {
            case .success(let file): out[name] = file.bond
            case .failure(let e): errors.append(e)
            }
        }
        return out
    }

    /// `/proc/net/vlan/config` (root only: mode 0600), by device name.
    public func readVLANConfig(_ errors: inout [SourceError]) -> [String: VLANDevice] {
        let path = procfsRoot + "/net/vlan/config"
        switch FileReader.readText(path) {
        case .success(let text):
            do {
                let file = try VLANConfigParser.parse(text, file: path)
                return Dictionary(file.vlanDevices.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            } catch {
                errors.append(SourceError(source: .procfsVLAN, path: path, message: error.description))
            }
        case .failure(let e):
            if !e.isMissing { errors.append(SourceError(source: .procfsVLAN, path: path, kind: e.kind, message: e.description)) }
        }
        return [:]
    }
}

/// Reads and parses one `/proc/net/bonding/<bond>`.
public struct BondingProcReader: Sendable {
    public var procfsRoot: String

    public init(procfsRoot: String) { self.procfsRoot = procfsRoot }

    public func read(bond name: String) -> Result<BondingFile, SourceError> {
        let path = "\(procfsRoot)/net/bonding/\(name)"
        switch FileReader.readText(path) {
        case .success(let text):
            do { return .success(try BondingFileParser.parse(text, name: name, file: path)) } catch {
                return .failure(SourceError(source: .procfsBonding, path: path, message: error.description))
            }
        case .failure(let e):
            let why = e.isMissing ? "bond vanished while being read" : e.description
            return .failure(SourceError(source: .procfsBonding, path: path, kind: e.kind, message: why))
        }
    }
}
