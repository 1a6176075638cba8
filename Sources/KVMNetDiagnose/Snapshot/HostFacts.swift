import KVMNetModel
import KVMNetSources

/// Everything the diagnosis knows about the host beyond the topology model:
/// libvirt, Proxmox VE guests, ifcfg configuration, sysctls, routes and neighbours.
public struct HostFacts: Sendable, Hashable, Codable {
    /// Domains, running ones (from `<domstatus>` files) taking precedence over defined ones.
    public var domains: [LibvirtDomain]
    public var networks: [LibvirtNetwork]
    /// Libvirt directories that existed when the snapshot was taken. Empty: libvirt state
    /// unknown, so the `vm.*` checks are skipped.
    public var libvirtDirectories: [String]
    /// Proxmox VE guests (VMs and containers) from their configs, by vmid.
    public var proxmoxGuests: [ProxmoxGuest]
    /// Proxmox guest directories that existed when the snapshot was taken. Empty (and no
    /// guests): not a Proxmox host, so the `pve.*` checks are skipped.
    public var proxmoxDirectories: [String]
    public var ifcfg: [IfcfgFile]
    /// The ifcfg directory, when it existed. `nil`: the `config.*` checks are skipped.
    public var ifcfgDirectory: String?
    /// What the other configuration systems (ifupdown, NetworkManager, ...) intend;
    /// ifcfg's part is mapped from ``ifcfg`` by ``intended``.
    public var configurations: IntendedNetwork
    /// Sysctls by dotted name; absent keys were not present on the host.
    public var sysctls: [String: SysctlValue]
    /// The main IPv4 routing table; `nil` when it could not be read.
    public var routes: [Route]?
    /// The file the routes came from, for evidence.
    public var routesPath: String?
    public var neighbours: [Neighbour]
    /// Where `Link.addresses` came from: `netlink`, `procfs`, or `nil` when unknown
    /// (then `bridge.address_on_port` is skipped).
    public var addressSource: Source?
    /// The host firewall (kvmnet-diag as root); `nil`: not read (the agent, `--from` an
    /// older snapshot), so the `firewall.*` checks are skipped.
    public var firewall: FirewallFacts?

    public init(
        domains: [LibvirtDomain] = [], networks: [LibvirtNetwork] = [], libvirtDirectories: [String] = [],
        proxmoxGuests: [ProxmoxGuest] = [], proxmoxDirectories: [String] = [],
        ifcfg: [IfcfgFile] = [], ifcfgDirectory: String? = nil, configurations: IntendedNetwork = IntendedNetwork(), sysctls: [String: SysctlValue] = [:],
        routes: [Route]? = nil, routesPath: String? = nil, neighbours: [Neighbour] = [],
        addressSource: Source? = nil, firewall: FirewallFacts? = nil
    ) {
        self.domains = domains
        self.networks = networks
        self.libvirtDirectories = libvirtDirectories
        self.proxmoxGuests = proxmoxGuests
        self.proxmoxDirectories = proxmoxDirectories
        self.ifcfg = ifcfg
        self.ifcfgDirectory = ifcfgDirectory
        self.configurations = configurations
        self.sysctls = sysctls
        self.routes = routes
        self.routesPath = routesPath
        self.neighbours = neighbours
        self.addressSource = addressSource
        self.firewall = firewall
    }

    enum CodingKeys: String, CodingKey {
        case domains, networks
        case libvirtDirectories = "libvirt_directories"
        case proxmoxGuests = "proxmox_guests"
        case proxmoxDirectories = "proxmox_directories"
        case ifcfg
        case ifcfgDirectory = "ifcfg_directory"
        case configurations
        case sysctls, routes
        case routesPath = "routes_path"
        case neighbours
        case addressSource = "address_source"
        case firewall
    }

    /// Lenient decoding: a missing key means "nothing of that kind".
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        domains = try c.decodeIfPresent([LibvirtDomain].self, forKey: .domains) ?? []
        networks = try c.decodeIfPresent([LibvirtNetwork].self, forKey: .networks) ?? []
        libvirtDirectories = try c.decodeIfPresent([String].self, forKey: .libvirtDirectories) ?? []
        proxmoxGuests = try c.decodeIfPresent([ProxmoxGuest].self, forKey: .proxmoxGuests) ?? []
        proxmoxDirectories = try c.decodeIfPresent([String].self, forKey: .proxmoxDirectories) ?? []
        ifcfg = try c.decodeIfPresent([IfcfgFile].self, forKey: .ifcfg) ?? []
        ifcfgDirectory = try c.decodeIfPresent(String.self, forKey: .ifcfgDirectory)
        configurations = try c.decodeIfPresent(IntendedNetwork.self, forKey: .configurations) ?? IntendedNetwork()
        sysctls = try c.decodeIfPresent([String: SysctlValue].self, forKey: .sysctls) ?? [:]
        routes = try c.decodeIfPresent([Route].self, forKey: .routes)
        routesPath = try c.decodeIfPresent(String.self, forKey: .routesPath)
        neighbours = try c.decodeIfPresent([Neighbour].self, forKey: .neighbours) ?? []
        addressSource = try c.decodeIfPresent(Source.self, forKey: .addressSource)
        firewall = try c.decodeIfPresent(FirewallFacts.self, forKey: .firewall)
    }

    /// The running domain, else the defined one, called `name`.
    public func domain(named name: String) -> LibvirtDomain? {
        domains.first { $0.name == name && $0.running } ?? domains.first { $0.name == name }
    }

    /// Running domains.
    public var runningDomains: [LibvirtDomain] { domains.filter(\.running) }

    /// The interfaces of running domains that have a tap, as the model's VM interfaces
    /// (bridge resolved, VLANs asked for): what the agent serves as `kvmnet_vm_interface_info`.
    /// Proxmox guests' NICs are in ``vmInterfaces(topology:)``: which of them run is told
    /// by their taps.
    public var vmInterfaces: [VMInterface] { LibvirtVMs.runningInterfaces(domains: domains, networks: networks) }

    /// Every VM interface whose guest runs: libvirt's running domains', and the Proxmox
    /// NICs whose tap is in `topology` (bridges resolved with its VLAN awareness).
    public func vmInterfaces(topology: Topology) -> [VMInterface] {
        vmInterfaces + ProxmoxVMs.interfaces(guests: proxmoxGuests, exists: { topology.links[$0] != nil },
                                             vlanAware: { topology.bridges[$0]?.vlanAware })
    }

    /// The Proxmox guest a user means by `query`: its vmid, else its name (`name:` /
    /// `hostname:`); a VM before a container of the same name.
    public func proxmoxGuest(matching query: String) -> ProxmoxGuest? {
        if let id = Int(query), String(id) == query, let guest = proxmoxGuests.first(where: { $0.vmid == id }) { return guest }
        return proxmoxGuests.first { $0.name == query && $0.kind == .qemu } ?? proxmoxGuests.first { $0.name == query }
    }

    /// The Proxmox guest and NIC whose tap (`tap<vmid>i<n>`, `veth<vmid>i<n>`) is `device`.
    public func proxmoxNIC(tap device: String) -> (ProxmoxGuest, ProxmoxNIC)? {
        for guest in proxmoxGuests {
            if let nic = guest.nics.first(where: { guest.devices($0).tap == device }) { return (guest, nic) }
        }
        return nil
    }

    /// The network every configuration system intends: ifcfg's files mapped onto the
    /// shared model, then the others.
    public var intended: IntendedNetwork {
        IfcfgIntended.network(ifcfg).merged(with: configurations)
    }

    /// The ifcfg file configuring `device`.
    public func ifcfg(forDevice device: String) -> IfcfgFile? { ifcfg.first { $0.device == device } }

    /// The default route with the lowest metric, if any.
    public var defaultRoute: Route? { routes?.filter(\.isDefault).min { $0.metric < $1.metric } }
}
