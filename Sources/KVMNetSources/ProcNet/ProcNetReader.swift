/// Reads the /proc/net files the diagnosis needs beyond the topology: routes, the
/// ARP table, local addresses, and the raw bonding and VLAN files kept for evidence.
public struct ProcNetReader: Sendable {
    public var procfsRoot: String

    public init(procfsRoot: String = "/proc") { self.procfsRoot = procfsRoot }

    private func path(_ relative: String) -> String { HostFiles.join(procfsRoot, relative) }

    /// The main IPv4 routing table, or the error that prevented reading it.
    public func routes() -> (routes: [Route]?, path: String, error: SourceError?) {
        let file = path("net/route")
        switch HostFiles.load(file, source: .route) {
        case .text(let text): return (RouteTableParser.parse(text), file, nil)
        case .absent: return (nil, file, SourceError(source: .route, path: file, kind: .missing, message: "No such file or directory"))
        case .failed(let error): return (nil, file, error)
        }
    }

    /// Complete ARP entries; an unreadable table is simply empty (it only helps resolve IPs).
    public func neighbours() -> [Neighbour] {
        guard case .text(let text) = HostFiles.load(path("net/arp"), source: .procfs) else { return [] }
        return NeighbourTableParser.parse(text)
    }

    /// Interface addresses from if_inet6 and fib_trie + route, for when netlink is not used.
    public func addresses(routes: [Route]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        if case .text(let trie) = HostFiles.load(path("net/fib_trie"), source: .procfs) {
            let local = AddressTableParser.parseLocalAddresses(fibTrie: trie)
            out.merge(AddressTableParser.ipv4Addresses(local: local, routes: routes)) { $0 + $1 }
        }
        if case .text(let inet6) = HostFiles.load(path("net/if_inet6"), source: .procfs) {
            out.merge(AddressTableParser.parseIfInet6(inet6)) { $0 + $1 }
        }
        return out
    }

    /// Raw texts of /proc/net/bonding/* and /proc/net/vlan/config, when readable. The
    /// topology scanner reports their errors; these copies only serve as evidence.
    public func rawBondingAndVLANFiles() -> [SourceFile] {
        var files: [SourceFile] = []
        let bondingDir = path("net/bonding")
        if case .success(let names)? = HostFiles.list(bondingDir, source: .procfs) {
            for name in names {
                let file = HostFiles.join(bondingDir, name)
                if case .text(let text) = HostFiles.load(file, source: .procfs) {
                    files.append(SourceFile(kind: "bonding", path: file, text: text))
                }
            }
        }
        let vlanConfig = path("net/vlan/config")
        if case .text(let text) = HostFiles.load(vlanConfig, source: .procfs) {
            files.append(SourceFile(kind: "vlan", path: vlanConfig, text: text))
        }
        return files
    }
}
