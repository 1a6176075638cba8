#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import KVMNetMetrics
import KVMNetModel
import KVMNetSources
import KVMNetState
import Logging
import KVMNetLock

/// Which tap belongs to which running libvirt domain (`kvmnet_vm_interface_info`), read
/// from libvirt's live state: the `<domstatus>` files of running domains under
/// `/run/libvirt/qemu` and the networks (the directories of ``HostPaths``), by the
/// reader and the mapping to the model's ``VMInterface`` that `kvmnet-diag` and
/// `/diagnose` use (``LibvirtReader``, ``LibvirtVMs``: one rule for the bridge).
///
/// Proxmox VE guests join them (``ProxmoxReader``, ``ProxmoxVMs``: the same rule for the
/// bridge): the NICs of `<proxmoxRoot>/qemu-server` and `lxc` configs whose tap
/// (`tap<vmid>i<n>`, `veth<vmid>i<n>`) exists, re-read when such a tap appears or vanishes;
/// `source="proxmox"` joins the error series once a guest directory was found.
///
/// Live mode, and with `--no-netlink` only when `--libvirt-dir` or `--proxmox-dir` names
/// the replayed tree's directories (``AgentConfig/vmConfigsWithoutNetlink``: the defaults
/// are this host's, and the tree is not this host).
/// Re-read when a `vnet*` link appears or vanishes, and at the rescan interval. libvirt
/// creates the tap before it writes the status file, so after a change the read is
/// retried (0.25 s doubling to 8 s, about 16 s in all) until every `vnet*` link is mapped
/// to a domain (a `vnet*` that is not libvirt's, a veth say, only costs those retries).
/// Files are read on a queue of their own, never on the netlink thread.
final class LibvirtDomains: Sendable {
    let directories: [String]
    /// Proxmox VE's root (`/etc/pve`) and this node's name (`nil`: the host name).
    let proxmoxRoot: String
    let proxmoxNode: String?
    let table = VMInterfaceTable()
    private let state: HostState
    private let logger: Logger
    private let queue = DispatchQueue(label: "kvmnet.libvirt")

    private struct Status {
        /// `vnet*` links seen in the topology (from events and rescans).
        var taps: Set<String> = []
        /// Bumped by each change; a retry chain of an older generation stops.
        var generation = 0
        var lastErrors: [String] = []
        var proxmoxRegistered = false
    }
    private let status = Locked(Status())

    static let maxRetryDelay = 8.0

    init(directories: [String], proxmoxRoot: String = ProxmoxReader.defaultRoot, proxmoxNode: String? = nil,
         state: HostState, logger: Logger) {
        self.directories = directories
        self.proxmoxRoot = proxmoxRoot
        self.proxmoxNode = proxmoxNode
        self.state = state
        self.logger = logger
    }

    /// Names libvirt gives the taps it creates (`vnet0`, `vnet1`, ...).
    static func isLibvirtTap(_ name: String) -> Bool { name.hasPrefix("vnet") }

    /// Names Proxmox VE gives guest NICs' host devices (`tap100i0`, `veth101i0`).
    static func isProxmoxTap(_ name: String) -> Bool {
        for prefix in ["tap", "veth"] where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "i", omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= "0" && $0 <= "9" } }) { return true }
        }
        return false
    }

    /// Starts serving the table: registers the `libvirt` error source and reads once.
    func start() {
        state.registerSources([.libvirt])
        changed()
    }

    /// Netlink changes (already applied to the state): re-reads when a `vnet*` link
    /// appeared or vanished.
    func linksChanged(_ changes: [TopologyChange]) {
        let relevant = status.withLock { s in
            var relevant = false
            for c in changes {
                switch c {
                case .linkUpdated(let u) where Self.isLibvirtTap(u.link.name) || Self.isProxmoxTap(u.link.name):
                    if s.taps.insert(u.link.name).inserted { relevant = true }
                case .linkRemoved(_, let name) where Self.isLibvirtTap(name) || Self.isProxmoxTap(name):
                    if s.taps.remove(name) != nil { relevant = true }
                default:
                    break
                }
            }
            return relevant
        }
        if relevant { changed() }
    }

    /// The periodic re-read (no retries).
    func rescan() {
        queue.async { [self] in _ = refresh() }
    }

    /// Reads now, then again with backoff until every `vnet*` link is mapped; a newer
    /// change supersedes the retries of an older one.
    private func changed() {
        let generation = status.withLock { s in
            s.generation += 1
            return s.generation
        }
        queue.async { [self] in readAndRetry(generation: generation, delay: 0.25) }
    }

    private func readAndRetry(generation: Int, delay: Double) {
        guard status.withLock({ $0.generation == generation }) else { return }
        if refresh() || delay > Self.maxRetryDelay { return }
        queue.asyncAfter(deadline: .now() + delay) { [self] in
            readAndRetry(generation: generation, delay: delay * 2)
        }
    }

    /// Reads libvirt's state and the Proxmox guest configs into the table; returns whether
    /// every `vnet*` link of the topology is mapped.
    @discardableResult
    func refresh() -> Bool {
        let reading = LibvirtReader.read(directories: directories)
        let proxmox = ProxmoxReader.read(root: proxmoxRoot, node: proxmoxNode ?? Self.nodeName)
        if !proxmox.directories.isEmpty, status.withLock({ s in defer { s.proxmoxRegistered = true }; return !s.proxmoxRegistered }) {
            state.registerSources([.proxmox])
        }
        recordErrors(reading.errors.map { ($0, Source.libvirt) } + proxmox.errors.map { ($0, Source.proxmox) })
        let topology = state.snapshot().topology
        let interfaces = LibvirtVMs.runningInterfaces(domains: reading.domains, networks: reading.networks)
            + ProxmoxVMs.interfaces(guests: proxmox.guests, exists: { topology.links[$0] != nil },
                                    vlanAware: { topology.bridges[$0]?.vlanAware })
        if table.replace(interfaces) {
            logger.debug("VM interfaces re-read", metadata: [
                "interfaces": "\(interfaces.map { "\($0.domain)/\($0.tap ?? "")" }.joined(separator: " "))",
            ])
        }
        let taps = Set(topology.links.keys.filter { Self.isLibvirtTap($0) || Self.isProxmoxTap($0) })
        status.withLock { $0.taps = taps }
        let mapped = Set(interfaces.compactMap(\.tap))
        return taps.filter(Self.isLibvirtTap).allSatisfy(mapped.contains)
    }

    /// The host name up to its first dot: Proxmox's node name.
    static var nodeName: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.split(separator: ".").first.map(String.init)
    }

    /// Counts and logs read errors. A denied read is not counted: libvirt's status
    /// files are root's (0600) and the packaged agent runs unprivileged, so it would count
    /// them at every rescan (and fire the source-errors alert) for a limit of its setup,
    /// documented in docs/metrics.md; it is logged like the others.
    private func recordErrors(_ errors: [(SourceError, Source)]) {
        for (e, source) in errors where e.kind != .permission { state.recordSourceError(source) }
        let messages = errors.map { "\($0.0.path): \($0.0.message)" }
        let changed = status.withLock { s in
            defer { s.lastErrors = messages }
            return s.lastErrors != messages
        }
        for (e, source) in errors {
            // Logged as a warning once; the same errors again (every rescan) only at debug.
            var metadata: Logger.Metadata = ["source": "\(source)", "path": "\(e.path)", "error": "\(e.message)"]
            if e.kind == .permission { metadata["hint"] = "kvmnet_vm_interface_info needs root (libvirt's files are 0600, Proxmox's 0640 root:www-data)" }
            if changed { logger.warning("source error", metadata: metadata) } else { logger.debug("source error", metadata: metadata) }
        }
    }
}
