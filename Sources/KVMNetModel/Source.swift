/// A source of host facts: the `source` label of `kvmnet_source_errors_total` and the
/// `source` of a read error (`data_errors` of a report). The raw values are that contract
/// (docs/metrics.md): they never change.
public enum Source: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `/sys/class/net/<dev>/*`.
    case sysfs
    /// `/sys/class/net/<bridge>/brforward`: the FDB without netlink.
    case brforward
    /// rtnetlink (dumps and events).
    case netlink
    /// `/proc/net/bonding/<bond>`.
    case procfsBonding = "procfs_bonding"
    /// `/proc/net/vlan/config` and `/proc/net/vlan/<dev>`.
    case procfsVLAN = "procfs_vlan"
    /// libvirt's domain and network XML.
    case libvirt
    /// Proxmox VE's guest configs (`/etc/pve/qemu-server/*.conf`, `/etc/pve/lxc/*.conf`).
    case proxmox
    /// ifcfg files (RHEL-style network scripts).
    case ifcfg
    /// `/etc/network/interfaces` and the files it sources (ifupdown, ifupdown2).
    case ifupdown
    /// NetworkManager keyfiles (`system-connections/*.nmconnection`).
    case networkManager = "networkmanager"
    /// systemd-networkd's `.netdev` and `.network` files and their drop-ins.
    case networkd
    /// netplan's YAML (`/run/netplan`, `/etc/netplan`, `/lib/netplan`, or `--netplan-dir`).
    case netplan
    /// `/proc/sys/net/...`.
    case sysctl
    /// `/proc/net/route`.
    case route
    /// Other `/proc/net` files (`arp`, `fib_trie`, `if_inet6`) and the raw copies of the
    /// bonding and VLAN files a snapshot keeps.
    case procfs

    /// The sources the agent reads the kernel's state from: their error series exist from
    /// the start (`libvirt` joins them when the live agent first reads libvirt).
    public static let kernel: [Source] = [.brforward, .netlink, .procfsBonding, .procfsVLAN, .sysfs]

    /// The label value.
    public var description: String { rawValue }
}
