#!/usr/bin/env python3
"""Writes the golden test's fixture host: a proc and a sys tree of a KVM host.

    python3 Tests/Fixtures/make-kvm-host.py Tests/Fixtures/kvm-host

The host: bond0 (active-backup, backup slave ens1f1 down) carries VLANs 10 and 20
(bond0.10, bond0.20) into bridges brvlan-10 and brvlan-20, where VM taps vnet0 and
vnet1 sit; bond1 is 802.3ad with an LACP partner; bond2 is 802.3ad without one
(its switch ports are not a port-channel); vnet2 is a tap on no bridge. The files
follow the kernel's formats (see ../shared/reference/kernel-formats.md); the
/proc/net/bonding texts are what a 6.1 kernel prints for that state.
"""
import os
import shutil
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/kvm-host"
if os.path.exists(root):
    shutil.rmtree(root)
net = os.path.join(root, "sys/class/net")
os.makedirs(net)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def dev(name, ifindex, *, iflink=None, oper="up", carrier=1, changes=2, mtu=1500, mac, speed=None,
        flags=0x1003, devtype=None, master=None, lowers=(), physical=False, tap=False, type_=1):
    d = os.path.join(net, name)
    os.makedirs(d)
    attrs = {"ifindex": ifindex, "iflink": iflink or ifindex, "operstate": oper, "carrier_changes": changes,
             "mtu": mtu, "address": mac, "flags": hex(flags), "type": type_}
    if carrier is not None:
        attrs["carrier"] = carrier
    if speed is not None:
        attrs["speed"] = speed
    for k, v in attrs.items():
        write(os.path.join(d, k), f"{v}\n")
    write(os.path.join(d, "uevent"), (f"DEVTYPE={devtype}\n" if devtype else "") + f"INTERFACE={name}\nIFINDEX={ifindex}\n")
    if master:
        os.symlink(f"../{master}", os.path.join(d, "master"))
    for low in lowers:
        os.symlink(f"../{low}", os.path.join(d, f"lower_{low}"))
    if physical:
        os.symlink("../../../devices/pci0000:00/0000:00:03.0", os.path.join(d, "device"))
    if tap:
        write(os.path.join(d, "tun_flags"), "0x1002\n")
    return d


def attrs(d, sub, values):
    for k, v in values.items():
        write(os.path.join(d, sub, k), f"{v}\n")


# The bonding module's control file: a regular file among the devices (not a device).
write(os.path.join(net, "bonding_masters"), "bond0 bond1 bond2\n")

# Management NIC and loopback.
dev("lo", 1, oper="unknown", mac="00:00:00:00:00:00", mtu=65536, flags=0x9, type_=772, changes=0)
dev("eno1", 2, mac="3c:ec:ef:10:00:01", speed=1000, physical=True)

# bond0: active-backup over ens1f0 (active) and ens1f1 (down, one failure).
for name, idx, mac, up in [("ens1f0", 3, "3c:ec:ef:10:01:00", True), ("ens1f1", 4, "3c:ec:ef:10:01:01", False)]:
    d = dev(name, idx, mac="3c:ec:ef:10:01:00", oper="up" if up else "down", carrier=1 if up else 0,
            changes=2 if up else 3, speed=10000 if up else None, flags=0x1803 if up else 0x1803,
            master="bond0", physical=True)
    attrs(d, "bonding_slave", {"state": "active" if up else "backup", "mii_status": "up" if up else "down",
                               "link_failure_count": 0 if up else 1, "perm_hwaddr": mac, "queue_id": 0})
d = dev("bond0", 9, mac="3c:ec:ef:10:01:00", flags=0x1403, devtype="bond", changes=1)
attrs(d, "bonding", {"mode": "active-backup 1", "miimon": 100, "updelay": 0, "downdelay": 0, "arp_interval": 0,
                     "arp_ip_target": "", "primary": "", "active_slave": "ens1f0", "fail_over_mac": "none 0",
                     "min_links": 0, "mii_status": "up", "slaves": "ens1f0 ens1f1",
                     "xmit_hash_policy": "layer2 0"})

# bond1: 802.3ad with a partner.
for name, idx, mac in [("ens2f0", 5, "3c:ec:ef:10:02:00"), ("ens2f1", 6, "3c:ec:ef:10:02:01")]:
    d = dev(name, idx, mac="3c:ec:ef:10:02:00", speed=25000, flags=0x1803, master="bond1", physical=True)
    attrs(d, "bonding_slave", {"state": "active", "mii_status": "up", "link_failure_count": 0, "perm_hwaddr": mac,
                               "queue_id": 0, "ad_aggregator_id": 1, "ad_actor_oper_port_state": 63,
                               "ad_partner_oper_port_state": 63})
d = dev("bond1", 10, mac="3c:ec:ef:10:02:00", flags=0x1403, devtype="bond", changes=1)
attrs(d, "bonding", {"mode": "802.3ad 4", "miimon": 100, "updelay": 0, "downdelay": 0, "arp_interval": 0,
                     "arp_ip_target": "", "primary": "", "active_slave": "", "min_links": 0, "mii_status": "up",
                     "slaves": "ens2f0 ens2f1", "xmit_hash_policy": "layer3+4 1", "lacp_rate": "fast 1",
                     "ad_select": "stable 0", "lacp_active": "on 1", "ad_actor_sys_prio": 65535,
                     "ad_actor_system": "00:00:00:00:00:00", "ad_aggregator": 1, "ad_num_ports": 2,
                     "ad_actor_key": 21, "ad_partner_key": 32769, "ad_partner_mac": "00:1c:73:aa:bb:cc"})

# bond2: 802.3ad, no partner answers.
for name, idx, mac in [("ens3f0", 7, "3c:ec:ef:10:03:00"), ("ens3f1", 8, "3c:ec:ef:10:03:01")]:
    d = dev(name, idx, mac="3c:ec:ef:10:03:00", speed=10000, flags=0x1803, master="bond2", physical=True)
    attrs(d, "bonding_slave", {"state": "active" if name == "ens3f0" else "backup", "mii_status": "up",
                               "link_failure_count": 0, "perm_hwaddr": mac, "queue_id": 0,
                               "ad_aggregator_id": 1 if name == "ens3f0" else 2,
                               "ad_actor_oper_port_state": 77 if name == "ens3f0" else 69,
                               "ad_partner_oper_port_state": 1})
d = dev("bond2", 11, mac="3c:ec:ef:10:03:00", flags=0x1403, devtype="bond", changes=1)
attrs(d, "bonding", {"mode": "802.3ad 4", "miimon": 100, "updelay": 0, "downdelay": 0, "arp_interval": 0,
                     "arp_ip_target": "", "primary": "", "active_slave": "", "min_links": 0, "mii_status": "up",
                     "slaves": "ens3f0 ens3f1", "xmit_hash_policy": "layer2 0", "lacp_rate": "slow 0",
                     "ad_select": "stable 0", "lacp_active": "on 1", "ad_actor_sys_prio": 65535,
                     "ad_actor_system": "00:00:00:00:00:00", "ad_aggregator": 1, "ad_num_ports": 1,
                     "ad_actor_key": 15, "ad_partner_key": 1, "ad_partner_mac": "00:00:00:00:00:00"})

# VLANs over bond0, each under a bridge, each bridge with a VM tap.
for vid, idx, bridx, tap, tapidx, vmmac in [(10, 12, 14, "vnet0", 16, "fe:54:00:6b:10:01"),
                                             (20, 13, 15, "vnet1", 17, "fe:54:00:6b:20:01")]:
    br = f"brvlan-{vid}"
    d = dev(f"bond0.{vid}", idx, iflink=9, mac="3c:ec:ef:10:01:00", flags=0x1003, devtype="vlan",
            master=br, lowers=["bond0"], changes=1)
    attrs(d, "brport", {"state": 3, "path_cost": 100, "priority": 32, "port_no": "0x1"})
    d = dev(tap, tapidx, mac=vmmac, flags=0x1003, master=br, tap=True, changes=1, speed=10)
    attrs(d, "brport", {"state": 3, "path_cost": 100, "priority": 32, "port_no": "0x2"})
    d = dev(br, bridx, mac="3c:ec:ef:10:01:00", flags=0x1003, devtype="bridge", lowers=[f"bond0.{vid}", tap],
            changes=1)
    attrs(d, "bridge", {"stp_state": 0, "ageing_time": 30000, "forward_delay": 1500, "vlan_filtering": 0})
    os.makedirs(os.path.join(d, "brif"))
    for p in (f"bond0.{vid}", tap):
        os.symlink(f"../../{p}/brport", os.path.join(d, "brif", p))
    # brforward: struct __fdb_entry records {mac[6], port_no, is_local, ageing u32, port_hi, pad, unused u16}.
    recs = [(bytes.fromhex("3cecef100100"), 1, 1), (bytes.fromhex(vmmac.replace(":", "")), 2, 1),
            (bytes.fromhex("525400aa%02x01" % vid), 2, 0)]
    recs += [(bytes.fromhex("00163e00%02x%02x" % (vid, i)), 1, 0) for i in range(3 if vid == 10 else 2)]
    with open(os.path.join(d, "brforward"), "wb") as f:
        for mac, port, local in recs:
            f.write(mac + struct.pack("<BBIBBH", port, local, 1200, 0, 0, 0))

# A tap of a VM whose interface was dropped from its bridge.
dev("vnet2", 18, oper="down", carrier=None, mac="fe:54:00:6b:99:01", flags=0x1002, tap=True, changes=0)

# /proc/net/bonding and /proc/net/vlan as a 6.1 kernel prints them (read as root).
slave_ab = """
Slave Interface: {name}
MII Status: {mii}
Speed: {speed}
Duplex: {duplex}
Link Failure Count: {fail}
Permanent HW addr: {mac}
Slave queue ID: 0
"""
write(os.path.join(root, "proc/net/bonding/bond0"), """Ethernet Channel Bonding Driver: v6.1.0-28-amd64

Bonding Mode: fault-tolerance (active-backup)
Primary Slave: None
Currently Active Slave: ens1f0
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0
""" + slave_ab.format(name="ens1f0", mii="up", speed="10000 Mbps", duplex="full", fail=0, mac="3c:ec:ef:10:01:00")
      + slave_ab.format(name="ens1f1", mii="down", speed="Unknown", duplex="Unknown", fail=1, mac="3c:ec:ef:10:01:01"))


def lacp_bond(agg_ports, actor_key, partner_key, partner_mac, rate, policy, slaves):
    text = f"""Ethernet Channel Bonding Driver: v6.1.0-28-amd64

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: {policy}
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: {rate}
Min links: 0
Aggregator selection policy (ad_select): stable
System priority: 65535
System MAC address: {slaves[0][1]}
Active Aggregator Info:
\tAggregator ID: 1
\tNumber of ports: {agg_ports}
\tActor Key: {actor_key}
\tPartner Key: {partner_key}
\tPartner Mac Address: {partner_mac}
"""
    for name, mac, speed, agg, astate, pstate, pmac, churn in slaves:
        text += f"""
Slave Interface: {name}
MII Status: up
Speed: {speed} Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: {mac}
Slave queue ID: 0
Aggregator ID: {agg}
Actor Churn State: {churn}
Partner Churn State: {churn}
Actor Churned Count: {1 if churn == 'churned' else 0}
Partner Churned Count: {1 if churn == 'churned' else 0}
details actor lacp pdu:
    system priority: 65535
    system mac address: {slaves[0][1]}
    port key: {actor_key}
    port priority: 255
    port number: {1 if name.endswith('0') else 2}
    port state: {astate}
details partner lacp pdu:
    system priority: {32768 if pmac != '00:00:00:00:00:00' else 65535}
    system mac address: {pmac}
    oper key: {partner_key}
    port priority: {32768 if pmac != '00:00:00:00:00:00' else 255}
    port number: {1 if pmac == '00:00:00:00:00:00' else (17 if name.endswith('0') else 18)}
    port state: {pstate}
"""
    return text


write(os.path.join(root, "proc/net/bonding/bond1"), lacp_bond(
    2, 21, 32769, "00:1c:73:aa:bb:cc", "fast", "layer3+4 (1)",
    [("ens2f0", "3c:ec:ef:10:02:00", 25000, 1, 63, 63, "00:1c:73:aa:bb:cc", "none"),
     ("ens2f1", "3c:ec:ef:10:02:01", 25000, 1, 63, 63, "00:1c:73:aa:bb:cc", "none")]))
write(os.path.join(root, "proc/net/bonding/bond2"), lacp_bond(
    1, 15, 1, "00:00:00:00:00:00", "slow", "layer2 (0)",
    [("ens3f0", "3c:ec:ef:10:03:00", 10000, 1, 77, 1, "00:00:00:00:00:00", "churned"),
     ("ens3f1", "3c:ec:ef:10:03:01", 10000, 2, 69, 1, "00:00:00:00:00:00", "churned")]))

write(os.path.join(root, "proc/net/vlan/config"),
      "VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
      "bond0.10       | 10  | bond0\nbond0.20       | 20  | bond0\n")
for vid in (10, 20):
    write(os.path.join(root, f"proc/net/vlan/bond0.{vid}"),
          f"bond0.{vid}  VID: {vid}\t REORDER_HDR: 1  dev->priv_flags: 1021\n"
          "         total frames received         1024\n"
          "          total bytes received        65536\n"
          "      Broadcast/Multicast Rcvd           12\n\n"
          "      total frames transmitted          512\n"
          "       total bytes transmitted        32768\n"
          "Device: bond0\n"
          "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:0\n"
          " EGRESS priority mappings: \n")
print("wrote", root)
