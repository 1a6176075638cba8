#!/usr/bin/env python3
"""Writes a sys tree of bonds in the older sysfs layout (issue 12).

    python3 Tests/Fixtures/make-legacy-bonding.py Tests/Fixtures/legacy-bonding

Older kernels link a bond's slaves from the master's directory as `slave_<dev>`
(newer ones as `lower_<dev>`), and `bonding/slaves` names them on every kernel
since 2.6; captured trees (node_exporter's collector/fixtures/sys.ttar is one)
often hold the master's directory and not the slave's own. The bonding module's
`bonding_masters` file sits among the devices. There is no proc tree: every bond
fact comes from sysfs. What the tree holds and what must come out of it:

  bond0  only `bonding/slaves` ("eth0 eth4"), no mode or other attribute, as in
         captures of old hosts; slave_eth0/ and slave_eth4/ are directories of
         their own (no slave directory elsewhere): 2 slaves, 2 up; eth4 has
         2 link failures.
  bond1  active-backup, `bonding/slaves` "eth5 eth1" (the kernel's order, not
         sorted): eth5 has its own directory (master -> ../bond1) and
         slave_eth5 links to it; eth1 only slave_eth1/ (down, 3 failures):
         2 slaves, 1 up, eth5 active.
  bond2  no slaves (empty `bonding/slaves`), carrier down: 0 slaves. Its ifindex
         is bond0's (10): hand-made trees repeat them (node_exporter's gives its
         three bonds ifindex 2), and rescans must keep both devices.
  bond3  balance-xor without a `bonding/slaves` file: slaves only as links,
         lower_eth6/ (up) and both lower_eth7/ (down) and slave_eth7/ (up, to
         show that lower_ wins where both exist): 2 slaves, 1 up.
  eth2   a NIC on no bond.
"""
import os
import shutil
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/legacy-bonding"
if os.path.exists(root):
    shutil.rmtree(root)
net = os.path.join(root, "sys/class/net")
os.makedirs(net)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def attrs(d, values):
    for k, v in values.items():
        write(os.path.join(d, k), f"{v}\n")


def dev(name, ifindex, *, oper="up", carrier=1, mac, devtype=None, physical=False, speed=None):
    d = os.path.join(net, name)
    values = {"ifindex": ifindex, "iflink": ifindex, "operstate": oper, "carrier": carrier, "carrier_changes": 2,
              "mtu": 1500, "address": mac, "flags": "0x1003" if oper == "up" else "0x1002", "type": 1}
    if speed is not None:
        values["speed"] = speed
    attrs(d, values)
    write(os.path.join(d, "uevent"), (f"DEVTYPE={devtype}\n" if devtype else "") + f"INTERFACE={name}\nIFINDEX={ifindex}\n")
    if physical:
        os.symlink("../../../devices/pci0000:00/0000:00:03.0", os.path.join(d, "device"))
    return d


def slave_dir(d, mii, failures=None, state=None):
    """A bonding_slave/ directory (what the kernel shows under the slave's device)."""
    values = {"mii_status": mii}
    if failures is not None:
        values["link_failure_count"] = failures
    if state is not None:
        values["state"] = state
    attrs(os.path.join(d, "bonding_slave"), values)
    write(os.path.join(d, "operstate"), ("up" if mii == "up" else "down") + "\n")


write(os.path.join(net, "bonding_masters"), "bond0 bond1 bond2 bond3\n")
dev("lo", 1, oper="unknown", mac="00:00:00:00:00:00")
dev("eth2", 2, mac="52:54:00:12:00:02", physical=True, speed=1000)

d = dev("bond0", 10, mac="52:54:00:12:00:00", devtype="bond")
write(os.path.join(d, "bonding/slaves"), "eth0 eth4\n")
slave_dir(os.path.join(d, "slave_eth0"), "up", failures=0)
slave_dir(os.path.join(d, "slave_eth4"), "up", failures=2)

d = dev("bond1", 11, mac="52:54:00:12:00:05", devtype="bond")
attrs(os.path.join(d, "bonding"), {"slaves": "eth5 eth1", "mode": "active-backup 1", "miimon": 100,
                                   "active_slave": "eth5", "mii_status": "up"})
e = dev("eth5", 5, mac="52:54:00:12:00:05", physical=True, speed=10000)
os.symlink("../bond1", os.path.join(e, "master"))
slave_dir(e, "up", failures=1, state="active")
os.symlink("../eth5", os.path.join(d, "slave_eth5"))
slave_dir(os.path.join(d, "slave_eth1"), "down", failures=3, state="backup")

d = dev("bond2", 10, oper="down", carrier=0, mac="52:54:00:12:00:0c", devtype="bond")
attrs(os.path.join(d, "bonding"), {"slaves": "", "mode": "active-backup 1", "miimon": 100, "mii_status": "down"})

d = dev("bond3", 13, mac="52:54:00:12:00:06", devtype="bond")
attrs(os.path.join(d, "bonding"), {"mode": "balance-xor 2", "xmit_hash_policy": "layer2+3 2", "miimon": 100,
                                   "mii_status": "up"})
slave_dir(os.path.join(d, "lower_eth6"), "up", failures=0)
slave_dir(os.path.join(d, "lower_eth7"), "down", failures=1)
slave_dir(os.path.join(d, "slave_eth7"), "up", failures=0)
print("wrote", root)
