#!/usr/bin/env python3
"""Writes the Proxmox golden tests' fixture host: the proc, sys and etc trees of a
Proxmox VE node (pve1) with running guests, some of them wired wrong on purpose.

    python3 Tests/Fixtures/make-proxmox-host.py Tests/Fixtures/proxmox-host

Host networking as ifupdown2 configures it (etc/network/interfaces): vmbr0 is a
VLAN-aware bridge (bridge-vlan-aware yes, bridge-vids 2-4094) over bond0
(active-backup over eno1, eno2); vmbr1 is a plain bridge over ens2f0; ens2f1 is a
storage NIC (interfaces.d). etc/pve is laid out as on a node: qemu-server and lxc are
links to nodes/pve1/..., nodes/pve2 is another node's (never read).

The guests' host devices are the ones pve-common's PVE::Network builds (tap_plug,
$compute_fwbr_names): tap<vmid>i<n> (tun, IFF_TAP|IFF_NO_PI|IFF_VNET_HDR) for a VM,
veth<vmid>i<n> for a container; with firewall=1 the tap is on fwbr<vmid>i<n>, joined
to the NIC's bridge by the veth pair fwln<vmid>i<n> = fwpr<vmid>p<n>; a tagged NIC on
a bridge that is not VLAN-aware goes on vmbr1v<tag>, a bridge over ens2f0.<tag>.

Healthy: web1 (100, firewall=1, tag=10), app1 (101, tag=10), legacy1 (105, tag=20 on
vmbr1, so on vmbr1v20), ct1 (container 200, firewall=1). Planted faults, one per
pve.* check the sysfs tree can show:
  db1 (102)      firewall=1, but no fwbr102i0: its tap sits straight on vmbr0
                 (pve.firewall_path_missing, warn: traffic flows, unfiltered)
  mail1 (103)    bridge=vmbr1, its tap is on vmbr0 (pve.tap_wrong_bridge)
  big1 (104)     mtu=9000, its tap carries vmbr1's 1500 (pve.mtu_mismatch, fail)
  router1 (106)  net1 trunks=20;30 on vmbr1, which is not VLAN-aware (pve.trunks_missing)
  ct2 (201)      container, mtu=1400, its veth runs 1500 (pve.mtu_mismatch, warn)
  web2 (108)     firewall=1, fwpr108p0 on no bridge: cut off (pve.firewall_path_missing, fail)
idle1 (107) is stopped (no tap): it is neither in /metrics nor checked.

sysfs has no per-port VLAN lists (those come from netlink), so pve.tag_not_on_port and
the VLAN-aware branch of pve.trunks_missing cannot be planted here: vmbr0's ports are
bridge.vlan_data_missing in the report. The unit tests (ProxmoxCheckTests) cover them.
"""
import os
import shutil
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/proxmox-host"
if os.path.exists(root):
    shutil.rmtree(root)
NET = os.path.join(root, "sys/class/net")
os.makedirs(NET)


def put(rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def link(target, rel):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


class Device:
    """One /sys/class/net/<name> directory; files are written by save()."""
    count = 0

    def __init__(self, name, mac, *, mtu=1500, up=True, kind=None, peer=None, speed=None, nic=False):
        Device.count += 1
        self.name, self.ifindex = name, Device.count
        self.files = {"ifindex": self.ifindex, "iflink": peer or self.ifindex, "mtu": mtu, "address": mac,
                      "operstate": "up" if up else "down", "carrier": 1 if up else 0, "carrier_changes": 1,
                      "flags": "0x1003" if up else "0x1002", "type": 1}
        if speed:
            self.files["speed"] = speed
        uevent = {"bridge": "DEVTYPE=bridge\n", "bond": "DEVTYPE=bond\n", "vlan": "DEVTYPE=vlan\n"}.get(kind, "")
        self.files["uevent"] = uevent + f"INTERFACE={name}\nIFINDEX={self.ifindex}"
        if kind == "tap":
            self.files["tun_flags"] = "0x5002"
        self.nic, self.master, self.lowers, self.sub = nic, None, [], {}
        self.ports = [] if kind == "bridge" else None

    def save(self):
        d = os.path.join(NET, self.name)
        os.makedirs(d)
        for k, v in self.files.items():
            put(os.path.relpath(os.path.join(d, k), root), f"{v}\n")
        for sub, values in self.sub.items():
            for k, v in values.items():
                put(os.path.relpath(os.path.join(d, sub, k), root), f"{v}\n")
        if self.master:
            os.symlink(f"../{self.master}", os.path.join(d, "master"))
        for low in self.lowers:
            os.symlink(f"../{low}", os.path.join(d, f"lower_{low}"))
        if self.nic:
            os.symlink(f"../../../devices/pci0000:00/0000:00:{self.ifindex:02x}.0", os.path.join(d, "device"))
        if self.ports is not None:
            os.makedirs(os.path.join(d, "brif"))
            for port in self.ports:
                os.symlink(f"../../{port}/brport", os.path.join(d, "brif", port))


devices = {}


def add(name, mac, **kw):
    devices[name] = Device(name, mac, **kw)
    return devices[name]


def bridge(name, mac, *, vlan_aware=False, mtu=1500):
    d = add(name, mac, kind="bridge", mtu=mtu)
    d.sub["bridge"] = {"stp_state": 0, "ageing_time": 30000, "forward_delay": 0, "vlan_filtering": int(vlan_aware),
                       "default_pvid": 1, "vlan_protocol": "0x8100"}
    return d


def plug(port, br):
    """`ip link set dev PORT master BR`, as sysfs shows it."""
    p, b = devices[port], devices[br]
    p.master = br
    b.ports.append(port)
    b.lowers.append(port)
    p.sub["brport"] = {"state": 3, "path_cost": 100, "priority": 32, "port_no": hex(len(b.ports))}


put("sys/class/net/bonding_masters", "bond0\n")
add("lo", "00:00:00:00:00:00", mtu=65536).files.update(flags="0x9", type=772, operstate="unknown")

# Uplinks: bond0 (active-backup, both slaves up) under vmbr0; ens2f0 under vmbr1.
for name, mac in [("eno1", "3c:ec:ef:20:00:01"), ("eno2", "3c:ec:ef:20:00:02")]:
    d = add(name, "3c:ec:ef:20:00:01", speed=10000, nic=True)
    d.master, d.files["flags"] = "bond0", "0x1803"
    d.sub["bonding_slave"] = {"state": "active" if name == "eno1" else "backup", "mii_status": "up",
                              "link_failure_count": 0, "perm_hwaddr": mac, "queue_id": 0}
add("ens2f0", "3c:ec:ef:20:01:00", speed=25000, nic=True)
add("ens2f1", "3c:ec:ef:20:01:01", speed=25000, nic=True, mtu=9000)
bond = add("bond0", "3c:ec:ef:20:00:01", kind="bond")
bond.files["flags"] = "0x1403"
bond.lowers = ["eno1", "eno2"]
bond.sub["bonding"] = {"mode": "active-backup 1", "miimon": 100, "updelay": 0, "downdelay": 0, "arp_interval": 0,
                       "arp_ip_target": "", "primary": "eno1", "active_slave": "eno1", "fail_over_mac": "none 0",
                       "min_links": 0, "mii_status": "up", "slaves": "eno1 eno2", "xmit_hash_policy": "layer2 0"}
bridge("vmbr0", "3c:ec:ef:20:00:01", vlan_aware=True)
bridge("vmbr1", "3c:ec:ef:20:01:00")
plug("bond0", "vmbr0")
plug("ens2f0", "vmbr1")
# Proxmox's bridge for tag=20 on the plain vmbr1: vmbr1v20 over ens2f0.20.
add("ens2f0.20", "3c:ec:ef:20:01:00", kind="vlan", peer=devices["ens2f0"].ifindex).lowers = ["ens2f0"]
bridge("vmbr1v20", "3c:ec:ef:20:01:00")
plug("ens2f0.20", "vmbr1v20")

# The guests: (kind, vmid, name, [net<n> config values], {n: how its devices are wired}).
# A wiring is (bridge the tap or veth is on, firewall path: None, "ok", "no-fwbr", "fwpr-loose", its MTU).
GUESTS = [
    ("qemu", 100, "web1", ["virtio=BC:24:11:64:00:01,bridge=vmbr0,firewall=1,tag=10"], {0: ("vmbr0", "ok", 1500)}),
    ("qemu", 101, "app1", ["virtio=BC:24:11:65:00:01,bridge=vmbr0,tag=10"], {0: ("vmbr0", None, 1500)}),
    ("qemu", 102, "db1", ["virtio=BC:24:11:66:00:01,bridge=vmbr0,firewall=1,tag=10"], {0: ("vmbr0", "no-fwbr", 1500)}),
    ("qemu", 103, "mail1", ["virtio=BC:24:11:67:00:01,bridge=vmbr1"], {0: ("vmbr0", None, 1500)}),
    ("qemu", 104, "big1", ["virtio=BC:24:11:68:00:01,bridge=vmbr1,mtu=9000"], {0: ("vmbr1", None, 1500)}),
    ("qemu", 105, "legacy1", ["e1000=BC:24:11:69:00:01,bridge=vmbr1,tag=20"], {0: ("vmbr1v20", None, 1500)}),
    ("qemu", 106, "router1", ["virtio=BC:24:11:6a:00:01,bridge=vmbr0,tag=10",
                              "virtio=BC:24:11:6a:00:02,bridge=vmbr1,trunks=20;30"],
     {0: ("vmbr0", None, 1500), 1: ("vmbr1", None, 1500)}),
    ("qemu", 107, "idle1", ["virtio=BC:24:11:6b:00:01,bridge=vmbr0,tag=10"], {}),
    ("qemu", 108, "web2", ["virtio=BC:24:11:6c:00:01,bridge=vmbr0,firewall=1,tag=10"], {0: ("vmbr0", "fwpr-loose", 1500)}),
    ("lxc", 200, "ct1", ["name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:c8:00:01,ip=10.0.10.30/24,gw=10.0.10.1,tag=10,type=veth"],
     {0: ("vmbr0", "ok", 1500)}),
    ("lxc", 201, "ct2", ["name=eth0,bridge=vmbr0,hwaddr=BC:24:11:c9:00:01,ip=dhcp,mtu=1400,tag=10,type=veth"],
     {0: ("vmbr0", None, 1500)}),
]


def host_mac(vmid, n, role):
    """A locally administered MAC for a host-side device (the kernel's random one)."""
    return "%s:%02x:%02x:00:%02x:%02x" % ({"tap": "fe", "fwbr": "aa", "fwln": "ba", "fwpr": "ca"}[role],
                                          vmid // 256, vmid % 256, n, 1)


learned = {}   # bridge -> [(MAC, port)]: what its FDB learned
for kind, vmid, name, nets, wiring in GUESTS:
    for n, (br, firewall, mtu) in wiring.items():
        tap = f"{'tap' if kind == 'qemu' else 'veth'}{vmid}i{n}"
        guest_mac = nets[n].split("=")[1].split(",")[0].lower() if kind == "qemu" else \
            [p.split("=")[1].lower() for p in nets[n].split(",") if p.startswith("hwaddr=")][0]
        # A container's veth has its peer in the container (ifindex 2 there).
        add(tap, host_mac(vmid, n, "tap"), mtu=mtu, kind="tap" if kind == "qemu" else None,
            peer=None if kind == "qemu" else 2, speed=10 if kind == "qemu" else 10000)
        if firewall in ("ok", "fwpr-loose"):
            fwbr, fwln, fwpr = f"fwbr{vmid}i{n}", f"fwln{vmid}i{n}", f"fwpr{vmid}p{n}"
            bridge(fwbr, host_mac(vmid, n, "fwbr"), mtu=mtu)
            add(fwln, host_mac(vmid, n, "fwln"), mtu=mtu, peer=Device.count + 2, speed=10000)
            add(fwpr, host_mac(vmid, n, "fwpr"), mtu=mtu, peer=Device.count, speed=10000)
            plug(tap, fwbr)
            plug(fwln, fwbr)
            learned.setdefault(fwbr, []).append((guest_mac, tap))
            if firewall == "ok":
                plug(fwpr, br)
                learned.setdefault(br, []).append((guest_mac, fwpr))
        else:
            plug(tap, br)
            learned.setdefault(br, []).append((guest_mac, tap))

# External hosts learned on the uplinks.
learned["vmbr0"] += [("00:16:3e:0a:00:%02x" % i, "bond0") for i in range(1, 4)]
learned["vmbr1v20"] += [("00:16:3e:14:00:01", "ens2f0.20")]

for name, dev in devices.items():
    dev.save()
# brforward: struct __fdb_entry {mac[6], port_no, is_local, ageing u32, port_hi, pad, unused u16}.
for br, entries in learned.items():
    b = devices[br]
    recs = [(b.files["address"], b.ports[0], 1)] + [(mac, port, 0) for mac, port in entries]
    with open(os.path.join(NET, br, "brforward"), "wb") as f:
        for mac, port, local in recs:
            f.write(bytes.fromhex(mac.replace(":", "")) + struct.pack("<BBIBBH", b.ports.index(port) + 1, local, 0 if local else 900, 0, 0, 0))

# /etc/pve as on a node of a cluster: the guest directories are links into nodes/pve1.
for kind, vmid, name, nets, _ in GUESTS:
    directory = "qemu-server" if kind == "qemu" else "lxc"
    head = (f"boot: order=scsi0;net0\ncores: 2\nmemory: 2048\nname: {name}\n" if kind == "qemu"
            else f"arch: amd64\ncores: 1\nhostname: {name}\nmemory: 512\n")
    body = "".join(f"net{n}: {v}\n" for n, v in enumerate(nets))
    tail = (f"ostype: l26\nscsi0: local-lvm:vm-{vmid}-disk-0,size=32G\nscsihw: virtio-scsi-single\n" if kind == "qemu"
            else f"ostype: debian\nrootfs: local-lvm:vm-{vmid}-disk-0,size=8G\nunprivileged: 1\n")
    put(f"etc/pve/nodes/pve1/{directory}/{vmid}.conf", head + body + tail)
put("etc/pve/nodes/pve1/qemu-server/100.conf", open(os.path.join(root, "etc/pve/nodes/pve1/qemu-server/100.conf")).read()
    + "\n[before-upgrade]\nname: web1-old\nnet0: virtio=BC:24:11:64:00:01,bridge=vmbr9,firewall=0\nsnaptime: 1712345999\n")
put("etc/pve/nodes/pve2/qemu-server/300.conf", "name: other-node-vm\nnet0: virtio=BC:24:11:2c:01:01,bridge=vmbr0\n")
link("nodes/pve1/qemu-server", "etc/pve/qemu-server")
link("nodes/pve1/lxc", "etc/pve/lxc")
link("nodes/pve1", "etc/pve/local")

put("etc/network/interfaces", """# network interface settings; autogenerated
# Please do NOT modify this file directly, unless you know what
# you're doing.

auto lo
iface lo inet loopback

auto eno1
iface eno1 inet manual

auto eno2
iface eno2 inet manual

iface ens2f0 inet manual

auto bond0
iface bond0 inet manual
\tbond-slaves eno1 eno2
\tbond-miimon 100
\tbond-mode active-backup
\tbond-primary eno1

auto vmbr0
iface vmbr0 inet static
\taddress 192.0.2.10/24
\tgateway 192.0.2.1
\tbridge-ports bond0
\tbridge-stp off
\tbridge-fd 0
\tbridge-vlan-aware yes
\tbridge-vids 2-4094

auto vmbr1
iface vmbr1 inet manual
\tbridge-ports ens2f0
\tbridge-stp off
\tbridge-fd 0

source /etc/network/interfaces.d/*
""")
put("etc/network/interfaces.d/storage", "auto ens2f1\niface ens2f1 inet static\n\taddress 198.51.100.10/24\n\tmtu 9000\n")

# procfs: the bond, the VLAN device, the routes and ip_forward (Proxmox leaves it 0).
slave = """
Slave Interface: {0}
MII Status: up
Speed: 10000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: {1}
Slave queue ID: 0
"""
put("proc/net/bonding/bond0", """Ethernet Channel Bonding Driver: v6.8.12-4-pve

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: eno1 (primary_reselect always)
Currently Active Slave: eno1
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0
""" + slave.format("eno1", "3c:ec:ef:20:00:01") + slave.format("eno2", "3c:ec:ef:20:00:02"))
put("proc/net/vlan/config", "VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
    "ens2f0.20      | 20  | ens2f0\n")
put("proc/net/vlan/ens2f0.20", "ens2f0.20  VID: 20\t REORDER_HDR: 1  dev->priv_flags: 1021\n"
    "         total frames received         2048\n          total bytes received       131072\n"
    "      Broadcast/Multicast Rcvd           24\n\n      total frames transmitted         1024\n"
    "       total bytes transmitted        65536\nDevice: ens2f0\n"
    "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:0\n EGRESS priority mappings: \n")
put("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "vmbr0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "vmbr0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "ens2f1\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
put("proc/sys/net/ipv4/ip_forward", "0\n")
print("wrote", root)
