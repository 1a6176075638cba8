/// One thing a Proxmox guest config said that the parser could not take: the line and why.
public struct ProxmoxConfigIssue: Sendable, Hashable, Codable {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// A parsed guest config and what in it could not be read.
public struct ProxmoxParse: Sendable, Hashable {
    public var guest: ProxmoxGuest
    public var issues: [ProxmoxConfigIssue]
}

/// The pure parser of Proxmox VE guest configs (`/etc/pve/qemu-server/<vmid>.conf`,
/// `/etc/pve/lxc/<vmid>.conf`), as qemu-server's and pve-container's config readers
/// take them:
///
/// - the current config is the part before the first `[section]` line (`[snapshot]`,
///   `[PENDING]`, `[special:cloudinit]` follow it and are not what runs);
/// - `#` lines are the guest's description, not settings;
/// - every other line is `key: value`; `net<n>` values are property strings:
///   `,`-separated `key=value`, where a VM NIC's model is a key whose value is the MAC
///   (`virtio=BC:24:11:..`) and a bare word is the model; `trunks` are `;`-separated
///   VLANs and ranges (`20;30-32`).
///
/// No I/O: ``ProxmoxReader`` reads the files.
public enum ProxmoxConfigParser {
    /// VM NIC models (qemu-server's `$nic_model_list`): as a key, their value is the MAC.
    static let models: Set<String> = [
        "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b",
        "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3",
    ]

    /// More VLANs than this in one `trunks=` is taken as the whole range it covers, not listed.
    static let maxTrunkVLANs = 4094

    /// The vmid of a config file name (`100.conf` -> 100); `nil` for any other name.
    public static func vmid(ofFileName name: String) -> Int? {
        guard name.hasSuffix(".conf") else { return nil }
        let stem = name.dropLast(5)
        guard !stem.isEmpty, stem.count <= 9, stem.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              stem.first != "0", let id = Int(stem) else { return nil }
        return id
    }

    /// Parses one config.
    public static func parse(_ text: String, kind: ProxmoxGuestKind, vmid: Int, path: String) -> ProxmoxParse {
        var guest = ProxmoxGuest(kind: kind, vmid: vmid, file: path)
        var issues: [ProxmoxConfigIssue] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = trim(raw)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") { break }
            guard let colon = line.firstIndex(of: ":") else {
                issues.append(ProxmoxConfigIssue(line: number, message: "not a 'key: value' line"))
                continue
            }
            let key = String(line[..<colon])
            let value = trim(line[line.index(after: colon)...])
            switch key {
            case "name" where kind == .qemu, "hostname" where kind == .lxc:
                guest.name = value.isEmpty ? nil : String(value)
                guest.nameLine = number
            default:
                guard key.hasPrefix("net"), let index = Int(key.dropFirst(3)), String(index) == key.dropFirst(3),
                      index >= 0, index < 1000 else { continue }
                var nic = ProxmoxNIC(index: index, line: number, value: String(value))
                parseNIC(value, kind: kind, into: &nic) { issues.append(ProxmoxConfigIssue(line: number, message: "\(key): \($0)")) }
                guest.nics.removeAll { $0.index == index }
                guest.nics.append(nic)
            }
        }
        guest.nics.sort { $0.index < $1.index }
        return ProxmoxParse(guest: guest, issues: issues)
    }

    private static func parseNIC(_ value: Substring, kind: ProxmoxGuestKind, into nic: inout ProxmoxNIC,
                                 issue: (String) -> Void) {
        for item in value.split(separator: ",") {
            let part = trim(item)
            guard !part.isEmpty else { continue }
            guard let eq = part.firstIndex(of: "=") else {
                if kind == .qemu, models.contains(String(part)) { nic.model = String(part) } else { issue("'\(part)' is not key=value") }
                continue
            }
            let key = String(part[..<eq])
            let v = String(part[part.index(after: eq)...])
            if kind == .qemu, models.contains(key) {
                nic.model = key
                nic.mac = v.isEmpty ? nil : v.lowercased()
                continue
            }
            switch key {
            case "model" where kind == .qemu: nic.model = v
            case "macaddr" where kind == .qemu, "hwaddr" where kind == .lxc: nic.mac = v.lowercased()
            case "bridge": nic.bridge = v.isEmpty ? nil : v
            case "tag":
                if let tag = Int(v), (1...4094).contains(tag) { nic.tag = tag } else { issue("tag=\(v) is not a VLAN id (1-4094)") }
            case "trunks":
                if let vlans = trunks(v) {
                    nic.trunksText = v
                    nic.trunks = vlans
                } else {
                    issue("trunks=\(v) is not a ';'-separated list of VLAN ids and ranges")
                }
            case "firewall":
                if let b = bool(v) { nic.firewall = b } else { issue("firewall=\(v) is not a boolean") }
            case "link_down":
                if let b = bool(v) { nic.linkDown = b } else { issue("link_down=\(v) is not a boolean") }
            case "mtu":
                if let mtu = Int(v), (1...65520).contains(mtu) { nic.mtu = mtu } else { issue("mtu=\(v) is not an MTU (1-65520)") }
            case "name" where kind == .lxc: nic.guestName = v
            case "ip" where kind == .lxc, "ip6" where kind == .lxc:
                if v.contains("/") { nic.addresses.append(v) }
            default:
                continue
            }
        }
    }

    /// The VLANs of a `trunks=` value (`20;30-32` -> [20, 30, 31, 32]), sorted, without
    /// repeats; `nil` when it is not such a list.
    public static func trunks(_ text: String) -> [Int]? {
        var vlans = Set<Int>()
        for item in text.split(separator: ";", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2 else { return nil }
            var ids: [Int] = []
            for b in bounds {
                guard !b.isEmpty, b.count <= 4, b.allSatisfy({ $0 >= "0" && $0 <= "9" }), let id = Int(b),
                      (1...4094).contains(id) else { return nil }
                ids.append(id)
            }
            let low = ids[0], high = ids.last ?? ids[0]
            guard low <= high else { return nil }
            for id in low...high { vlans.insert(id) }
        }
        return vlans.isEmpty ? nil : vlans.sorted()
    }

    /// Proxmox's JSON-schema booleans: `1`/`0`, `yes`/`no`, `on`/`off`, `true`/`false`.
    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "yes", "on", "true": return true
        case "0", "no", "off", "false": return false
        default: return nil
        }
    }

    private static func trim(_ s: Substring) -> Substring {
        var s = s
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return s
    }
}
