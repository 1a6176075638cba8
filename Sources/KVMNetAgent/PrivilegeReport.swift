import KVMNetModel
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What the agent can read with the privileges it runs with, logged once at start: the
/// agent works without root (netlink needs none), with less data, and says which.
struct PrivilegeReport: Equatable {
    struct Item: Equatable {
        var source: Source
        var path: String
        /// What is missing because of it.
        var effect: String
    }

    var uid: uid_t
    /// CAP_NET_ADMIN in the effective set (root has it).
    var netAdmin: Bool
    /// Sources that exist but cannot be read.
    var unreadable: [Item] = []
    /// Sources that can be read but hide part of their data.
    var reduced: [Item] = []

    /// Looks at the sources `config` names.
    static func probe(_ config: AgentConfig) -> PrivilegeReport {
        var r = PrivilegeReport(uid: geteuid(), netAdmin: hasNetAdmin())
        let bonding = config.paths.procfs("net/bonding")
        if exists(bonding) {
            if !readable(bonding, directory: true) {
                r.unreadable.append(Item(source: .procfsBonding, path: bonding, effect: "slave speed and duplex, churn counts, LACPDU details"))
            } else if !r.netAdmin {
                r.reduced.append(Item(source: .procfsBonding, path: bonding, effect: "802.3ad churn counts and LACPDU partner details (shown only to CAP_NET_ADMIN)"))
            }
        }
        let vlan = config.paths.procfs("net/vlan/config")
        if exists(vlan) && !readable(vlan, directory: false) {
            r.unreadable.append(Item(source: .procfsVLAN, path: vlan, effect: config.netlink
                ? "nothing: VLAN ids and parents come from netlink"
                : "VLAN ids: kvmnet_vlan_info is absent with --no-netlink"))
        }
        let net = config.paths.sysfs("class/net")
        if exists(net) && !readable(net, directory: true) {
            r.unreadable.append(Item(source: .sysfs, path: net, effect: config.netlink ? "link speeds" : "every link"))
        }
        for dir in config.paths.libvirtDirectories where exists(dir) && !readable(dir, directory: true) {
            r.unreadable.append(Item(source: .libvirt, path: dir, effect: "which VM owns which tap (/diagnose vm.* checks, kvmnet_vm_interface_info)"))
        }
        if exists(config.paths.ifcfgDirectory) && !readable(config.paths.ifcfgDirectory, directory: true) {
            r.unreadable.append(Item(source: .ifcfg, path: config.paths.ifcfgDirectory, effect: "/diagnose config.* checks"))
        }
        return r
    }

    /// One log line, once: a warning naming what is unreadable or reduced; at debug level
    /// when nothing is.
    func log(_ logger: Logger) {
        let who = "uid \(uid)\(netAdmin ? " with" : " without") CAP_NET_ADMIN"
        guard !unreadable.isEmpty || !reduced.isEmpty else {
            logger.debug("every source is readable", metadata: ["privileges": "\(who)"])
            return
        }
        func list(_ items: [Item]) -> String { items.map { "\($0.path) (\($0.effect))" }.joined(separator: "; ") }
        var metadata: Logger.Metadata = ["privileges": "\(who)"]
        if !unreadable.isEmpty { metadata["unreadable"] = "\(list(unreadable))" }
        if !reduced.isEmpty { metadata["reduced"] = "\(list(reduced))" }
        logger.warning("running with reduced data: some sources are unreadable without root; the rest is served", metadata: metadata)
    }

    private static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    private static func readable(_ path: String, directory: Bool) -> Bool {
        access(path, directory ? (R_OK | X_OK) : R_OK) == 0
    }

    /// Bit 12 of CapEff in /proc/self/status.
    private static func hasNetAdmin() -> Bool {
        guard let f = fopen("/proc/self/status", "r") else { return geteuid() == 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if s.hasPrefix("CapEff:"), let v = UInt64(s.dropFirst(7).filter { !$0.isWhitespace }, radix: 16) {
                return v & (1 << 12) != 0
            }
        }
        return geteuid() == 0
    }
}
