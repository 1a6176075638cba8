import KVMNetModel
import KVMNetSources

/// Turns what the user typed into endpoints: a libvirt domain name, a Proxmox VE guest's
/// name or vmid, an interface name, a MAC address or an IP address, tried in that order.
/// A domain (guest) with several interfaces gives several candidate endpoints.
public struct EndpointResolver: Sendable {
    let snapshot: DiagSnapshot

    public init(snapshot: DiagSnapshot) { self.snapshot = snapshot }

    private var topology: Topology { snapshot.topology }
    private var facts: HostFacts { snapshot.facts }

    public func resolve(_ query: String) -> Result<[Endpoint], ResolveError> {
        if let domain = facts.domain(named: query) { return resolve(domain: domain, query: query) }
        if let guest = facts.proxmoxGuest(matching: query) { return resolve(guest: guest, query: query) }
        if topology.links[query] != nil || topology.bridges[query] != nil {
            return .success([endpoint(device: query, query: query)])
        }
        if MACText.isMAC(query) { return resolve(mac: MACText.normalize(query), query: query) }
        if IPv4(query) != nil || IPv4Interface(query) != nil || query.contains(":") {
            return resolve(ip: query, query: query)
        }
        return .failure(ResolveError(query: query, message:
            "'\(query)' is not a libvirt domain, Proxmox guest, interface, MAC or IP address known on this host\(knownNamesHint)"))
    }

    private var knownNamesHint: String {
        let names = facts.domains.map(\.name).sorted()
        var parts: [String] = []
        if !names.isEmpty { parts.append("domains: \(names.joined(separator: ", "))") }
        if !facts.proxmoxGuests.isEmpty {
            let list = facts.proxmoxGuests.map { g in g.name.map { "\($0) (\(g.vmid))" } ?? String(g.vmid) }
            parts.append("Proxmox guests: \(list.joined(separator: ", "))")
        }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: "; ")))"
    }

    /// A Proxmox guest's NICs whose tap exists (a guest that runs has them all).
    private func resolve(guest: ProxmoxGuest, query: String) -> Result<[Endpoint], ResolveError> {
        let endpoints = guest.nics.compactMap { nic -> Endpoint? in
            let tap = guest.devices(nic).tap
            guard topology.links[tap] != nil else { return nil }
            return proxmoxEndpoint(guest, nic, query: query)
        }
        guard !endpoints.isEmpty else {
            let start = guest.kind == .qemu ? "qm start \(guest.vmid)" : "pct start \(guest.vmid)"
            let message = guest.nics.isEmpty
                ? "Proxmox guest \(guest.displayName) (\(guest.vmid)) has no network device in \(guest.file)"
                : "Proxmox guest \(guest.displayName) (\(guest.vmid)) has no tap on this host (\(guest.devices(guest.nics[0]).tap) is absent): it is not running here (\(start))"
            return .failure(ResolveError(query: query, message: message))
        }
        return .success(endpoints)
    }

    private func proxmoxEndpoint(_ guest: ProxmoxGuest, _ nic: ProxmoxNIC, query: String, addresses: [String]? = nil) -> Endpoint {
        Endpoint(query: query, domain: guest.displayName, device: guest.devices(nic).tap, mac: nic.mac,
                 addresses: addresses ?? nic.addresses, expectedBridge: expectedBridge(of: nic))
    }

    private func resolve(domain: LibvirtDomain, query: String) -> Result<[Endpoint], ResolveError> {
        guard domain.running else {
            return .failure(ResolveError(query: query, message:
                "domain '\(domain.name)' is defined but not running, so it has no tap on this host (virsh start \(ShellQuote.word(domain.name)))"))
        }
        let endpoints = domain.interfaces.compactMap { iface -> Endpoint? in
            guard let tap = iface.targetDevice else { return nil }
            return Endpoint(query: query, domain: domain.name, device: tap, mac: iface.mac,
                            addresses: iface.addresses, expectedBridge: expectedBridge(of: iface))
        }
        guard !endpoints.isEmpty else {
            return .failure(ResolveError(query: query, message: "domain '\(domain.name)' has no interface with a host device"))
        }
        return .success(endpoints)
    }

    private func resolve(mac: String, query: String) -> Result<[Endpoint], ResolveError> {
        for domain in facts.runningDomains {
            for iface in domain.interfaces where iface.mac == mac {
                if let tap = iface.targetDevice {
                    return .success([Endpoint(query: query, domain: domain.name, device: tap, mac: mac,
                                              addresses: iface.addresses, expectedBridge: expectedBridge(of: iface))])
                }
            }
        }
        for guest in facts.proxmoxGuests {
            for nic in guest.nics where nic.mac.map(MACText.normalize) == mac && topology.links[guest.devices(nic).tap] != nil {
                return .success([proxmoxEndpoint(guest, nic, query: query)])
            }
        }
        if let link = topology.sortedLinks.first(where: { $0.address.map(MACText.normalize) == mac }) {
            return .success([endpoint(device: link.name, query: query)])
        }
        return .failure(ResolveError(query: query, message: "no running VM interface or host device has MAC \(mac)"))
    }

    private func resolve(ip: String, query: String) -> Result<[Endpoint], ResolveError> {
        let bare = String(ip.split(separator: "/").first ?? Substring(ip))
        for link in topology.sortedLinks {
            if let match = link.addresses.first(where: { $0.split(separator: "/").first.map(String.init) == bare }) {
                var e = endpoint(device: link.name, query: query)
                e.addresses = [match]
                return .success([e])
            }
        }
        for domain in facts.runningDomains {
            for iface in domain.interfaces {
                if let match = iface.addresses.first(where: { $0.split(separator: "/").first.map(String.init) == bare }),
                   let tap = iface.targetDevice {
                    return .success([Endpoint(query: query, domain: domain.name, device: tap, mac: iface.mac,
                                              addresses: [match], expectedBridge: expectedBridge(of: iface))])
                }
            }
        }
        for guest in facts.proxmoxGuests {
            for nic in guest.nics where topology.links[guest.devices(nic).tap] != nil {
                if let match = nic.addresses.first(where: { $0.split(separator: "/").first.map(String.init) == bare }) {
                    return .success([proxmoxEndpoint(guest, nic, query: query, addresses: [match])])
                }
            }
        }
        if let neighbour = facts.neighbours.first(where: { $0.address == bare }),
           case .success(var endpoints) = resolve(mac: neighbour.mac, query: query) {
            for i in endpoints.indices where endpoints[i].addresses.isEmpty { endpoints[i].addresses = [ip] }
            return .success(endpoints)
        }
        return .failure(ResolveError(query: query, message:
            "no host device, libvirt or Proxmox interface or ARP entry has address \(bare); give the VM's domain name or MAC instead"))
    }

    /// An endpoint for a host device, naming the domain when the device is a VM's tap.
    private func endpoint(device: String, query: String) -> Endpoint {
        for domain in facts.runningDomains {
            if let iface = domain.interfaces.first(where: { $0.targetDevice == device }) {
                return Endpoint(query: query, domain: domain.name, device: device, mac: iface.mac,
                                addresses: iface.addresses, expectedBridge: expectedBridge(of: iface))
            }
        }
        if let (guest, nic) = facts.proxmoxNIC(tap: device) { return proxmoxEndpoint(guest, nic, query: query) }
        return Endpoint(query: query, device: device, mac: topology.links[device]?.address,
                        addresses: topology.links[device]?.addresses ?? [])
    }

    /// The bridge a libvirt interface should be on: the model's one rule
    /// (``VMInterface/intendedBridge(_:networkBridge:)``), as the agent applies it.
    func expectedBridge(of iface: LibvirtInterface) -> String? {
        LibvirtVMs.bridge(of: iface, networks: facts.networks)
    }

    /// The bridge a Proxmox NIC belongs on: the same rule, with the running bridges' VLAN
    /// awareness (a tagged NIC on a bridge that is not VLAN-aware goes on `<bridge>v<tag>`).
    func expectedBridge(of nic: ProxmoxNIC) -> String? {
        ProxmoxVMs.bridge(of: nic) { topology.bridges[$0]?.vlanAware }
    }
}
