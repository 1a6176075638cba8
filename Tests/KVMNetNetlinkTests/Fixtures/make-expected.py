#!/usr/bin/env python3
"""make-expected.py [DIR]: writes <name>.expected.json for every <name>.nlmsg of a capture
(default: captured-6.18 next to this file), from iproute2's view of the same moment, never
from the project's decoder.

The capture (Tools/FixtureCaptureTool.swift, run by scripts/netlink-capture-fixtures) wrote,
next to the raw messages, iproute2's JSON at each moment:
  dump-before.*.json, dump.*.json   before and after the dumps (must agree: the dump is
                                    then what iproute2 saw)
  event-<action>.*.json             after each action's events
  (* = ip-link: ip -d -s -s -j link show; bridge-fdb: bridge -j fdb show;
       ip-addr: ip -j addr show)

What each message becomes (the model's TopologyChange, as FixtureCorpusTests reads it):
- RTM_NEWLINK of family AF_UNSPEC: linkUpdated, every field from iproute2's JSON entry of
  that ifindex at that moment (the dump, or after the action for an action's last message
  about the link). An action's earlier messages about a link (a veth that comes up in two
  steps, a port leaving its bridge, a tap going down before it is deleted) describe a
  state no JSON was taken in: for those, iproute2 decodes the very message
  (`ip -d monitor file`, kept as <name>.ip-monitor.txt); it does not print the carrier
  change count, which is then left unchecked ("unchecked": ["link.carrierChanges"]).
- RTM_DELLINK of family AF_UNSPEC: linkRemoved, index and name from the JSON before.
- RTM_NEWLINK/RTM_DELLINK of family AF_BRIDGE (port notifications), ARP and ND
  neighbours, addresses: [] (no topology change). Addresses are checked to be in ip-addr.
- RTM_NEWNEIGH/RTM_DELNEIGH of family AF_BRIDGE: a dump message is the entry of
  `bridge fdb show` at the same position (the same kernel dump, in the same order); an
  event is the entry that the action added or removed (JSON before vs after), matched by
  the message's ndm_ifindex, state and NTF_SELF. Entries with "master" become fdbAdded /
  fdbRemoved (kind: permanent -> local, static -> static, else learned; portIndex is the
  message's ndm_ifindex, which is the bridge's own index for an entry the kernel moved to
  the bridge before deleting it); "self" entries (a device's own addresses) are [].

Only the nlmsghdr and the family header (ifinfomsg/ndmsg: family, ifindex, state, flags)
are read from the message bytes, to know what a message is about.
"""
import json
import os
import re
import struct
import subprocess
import sys

RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWNEIGH, RTM_DELNEIGH = 16, 17, 20, 21, 28, 29
AF_UNSPEC, AF_INET, AF_BRIDGE, AF_INET6 = 0, 2, 7, 10
NUD_REACHABLE, NUD_STALE, NUD_NOARP, NUD_PERMANENT = 0x02, 0x04, 0x40, 0x80
NTF_SELF = 0x02
PORT_STATES = {"disabled": 0, "listening": 1, "learning": 2, "forwarding": 3, "blocking": 4}


def fail(msg):
    sys.exit(f"make-expected: {msg}")


def header(data):
    length, mtype, _flags, _seq, _pid = struct.unpack_from("<IHHII", data, 0)
    if length != len(data):
        fail(f"length {length} != {len(data)} bytes")
    family = data[16]
    if mtype in (RTM_NEWLINK, RTM_DELLINK):
        (index,) = struct.unpack_from("<i", data, 20)
        return dict(type=mtype, family=family, index=index)
    if mtype in (RTM_NEWNEIGH, RTM_DELNEIGH):
        index, state, flags = struct.unpack_from("<iHB", data, 20)
        return dict(type=mtype, family=family, index=index, state=state, flags=flags)
    if mtype in (RTM_NEWADDR, RTM_DELADDR):
        (index,) = struct.unpack_from("<I", data, 20)
        return dict(type=mtype, family=family, index=index)
    return dict(type=mtype, family=family, index=0)


def kind_of(kernel_kind, link_type):
    if kernel_kind is None:
        return "loopback" if link_type == "loopback" else "physical"
    return {"bond": "bond", "bridge": "bridge", "vlan": "vlan", "veth": "veth", "tun": "tap", "tap": "tap",
            "vxlan": "vxlan", "dummy": "dummy"}.get(kernel_kind, "other")


def mac_int(text):
    return int(text.replace(":", ""), 16)


def by_index(links):
    return {l["ifindex"]: l for l in links}


def index_of(links, name):
    for l in links:
        if l["ifname"] == name:
            return l["ifindex"]
    fail(f"no link {name} in the JSON")


def update_from_json(l, links):
    """linkUpdated from an `ip -d -s -s -j link` entry."""
    info = l.get("linkinfo", {})
    kind = kind_of(info.get("info_kind"), l.get("link_type"))
    link = dict(name=l["ifname"], index=l["ifindex"], kind=kind, operState=l["operstate"].lower(),
                adminUp="UP" in l["flags"], carrier="LOWER_UP" in l["flags"],
                carrierChanges=l["stats64"]["tx"]["carrier_changes"], mtu=l["mtu"], address=l["address"],
                lowers=[], addresses=[])
    u = dict(link=link)
    if "master" in l:
        u["masterIndex"] = index_of(links, l["master"])
    # IFLA_LINK is a lower device unless it is the veth peer or in another namespace.
    if "link" in l and "link_netnsid" not in l and kind != "veth" and l["link"] != l["ifname"]:
        u["lowerIndex"] = index_of(links, l["link"])
    if info.get("info_kind") in ("bond", "vlan") or info.get("info_slave_kind") == "bond":
        fail(f"{l['ifname']}: bonds and VLANs are not mapped here (this kernel has neither)")
    if info.get("info_kind") == "bridge":
        d = info["info_data"]
        u["bridge"] = dict(name=l["ifname"], stpEnabled=d["stp_state"] != 0, ageingTimeSeconds=d["ageing_time"] / 100,
                           forwardDelaySeconds=d["forward_delay"] / 100, vlanFiltering=d["vlan_filtering"] != 0, ports=[])
    if info.get("info_slave_kind") == "bridge":
        d = info["info_slave_data"]
        u["bridgePort"] = dict(name=l["ifname"], state=PORT_STATES[d["state"]], pathCost=d["cost"],
                               priority=d["priority"], portNumber=int(d["no"], 16))
    return u


def update_from_monitor_text(text, name):
    """linkUpdated from iproute2's decoding of the message itself (`ip -d monitor file`),
    run in an empty namespace: other devices appear as ifN."""
    lines = text.splitlines()
    m = re.match(r"^(\d+): ([^:@]+)(?:@(if\d+|[^:]+))?: <([^>]*)> mtu (\d+) .*?(?:master (if\d+) )?state (\S+) ", lines[0])
    if not m:
        fail(f"{name}: cannot read iproute2's line: {lines[0]}")
    index, ifname, peer, flags, mtu, master, state = m.groups()
    flags = flags.split(",")
    body = "\n".join(lines[1:])
    mac = re.search(r"link/ether (\S+)", body).group(1)
    kind_line = lines[2].split()[0] if len(lines) > 2 else None
    kernel_kind = {"veth": "veth", "bridge": "bridge", "tun": "tun"}.get(kind_line)
    if kernel_kind is None:
        fail(f"{name}: unknown kind line {lines[2] if len(lines) > 2 else '<none>'}")
    link = dict(name=ifname, index=int(index), kind=kind_of(kernel_kind, "ether"), operState=state.lower(),
                adminUp="UP" in flags, carrier="LOWER_UP" in flags, mtu=int(mtu), address=mac, lowers=[], addresses=[])
    u = dict(link=link)
    if master:
        u["masterIndex"] = int(master[2:])
    if peer and "link-netns" not in body and kernel_kind != "veth":
        fail(f"{name}: a lower device in iproute2's text, not mapped here")
    b = re.search(r"\n\s*bridge forward_delay (\d+) .*?ageing_time (\d+) stp_state (\d+) .*?vlan_filtering (\d+) ", body)
    if kernel_kind == "bridge":
        if not b:
            fail(f"{name}: no bridge attributes in iproute2's text")
        u["bridge"] = dict(name=ifname, stpEnabled=b.group(3) != "0", ageingTimeSeconds=int(b.group(2)) / 100,
                           forwardDelaySeconds=int(b.group(1)) / 100, vlanFiltering=b.group(4) != "0", ports=[])
    p = re.search(r"bridge_slave state (\S+) priority (\d+) cost (\d+) .*?port_no (0x[0-9a-f]+) ", body)
    if p:
        u["bridgePort"] = dict(name=ifname, state=PORT_STATES[p.group(1)], pathCost=int(p.group(3)),
                               priority=int(p.group(2)), portNumber=int(p.group(4), 16))
    return u


def fdb_change(entry, links, port_index, removed):
    if "master" not in entry:
        return []  # NTF_SELF: a device's own address, not a bridge FDB entry
    kind = {"permanent": "local", "static": "static"}.get(entry["state"], "learned")
    e = dict(mac=mac_int(entry["mac"]), vlan=entry.get("vlan", 0), bridgeIndex=index_of(links, entry["master"]),
             portIndex=port_index, kind=kind)
    return [{"fdbRemoved" if removed else "fdbAdded": e}]


def state_class(nud):
    if nud & NUD_PERMANENT:
        return "permanent"
    if nud & NUD_NOARP:
        return "static"
    return ""


def key(e):
    return (e["mac"], e["ifname"], e.get("master"), e.get("vlan"), tuple(e.get("flags", [])), e.get("state"))


def stable(links):
    """What must not change between two snapshots around a dump."""
    out = []
    for l in links:
        info = l.get("linkinfo", {})
        out.append((l["ifindex"], l["ifname"], tuple(l["flags"]), l["operstate"], l["address"], l.get("master"),
                    l["stats64"]["tx"]["carrier_changes"], info.get("info_slave_data", {}).get("state")))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "captured-6.18")

    def load(name):
        with open(os.path.join(d, name)) as f:
            return json.load(f)

    if stable(load("dump-before.ip-link.json")) != stable(load("dump.ip-link.json")) or \
            load("dump-before.bridge-fdb.json") != load("dump.bridge-fdb.json"):
        fail("the links or the FDB changed during the dumps: capture again")

    names = sorted(f[:-len(".nlmsg")] for f in os.listdir(d) if f.endswith(".nlmsg"))
    actions = []  # in capture order: the order FixtureCaptureTool ran them
    for a in ["peer-down", "peer-up", "nomaster", "fdb-add", "fdb-del", "arp-add", "del-tap"]:
        if os.path.exists(os.path.join(d, f"event-{a}.ip-link.json")):
            actions.append(a)
    before_of = {}
    prev = "dump"
    for a in actions:
        before_of[a] = prev
        prev = f"event-{a}"

    headers = {}
    for n in names:
        with open(os.path.join(d, n + ".nlmsg"), "rb") as f:
            headers[n] = header(f.read())

    fdb_dump = [n for n in names if n.startswith("dump-fdb-")]
    fdb_json = load("dump.bridge-fdb.json")
    if len(fdb_dump) != len(fdb_json):
        fail(f"{len(fdb_dump)} FDB messages, {len(fdb_json)} entries in bridge fdb show")

    used = {a: set() for a in actions}
    written = 0
    for n in names:
        h = headers[n]
        unchecked = []
        if n.startswith("dump-"):
            links = load("dump.ip-link.json")
            before = links
            action = None
        else:
            action = next(a for a in actions if n.startswith(f"event-{a}-"))
            links = load(f"event-{action}.ip-link.json")
            before = load(f"{before_of[action]}.ip-link.json")

        if h["type"] in (RTM_NEWLINK, RTM_DELLINK) and h["family"] == AF_BRIDGE:
            expected = []
        elif h["type"] == RTM_DELLINK:
            name = by_index(before)[h["index"]]["ifname"]
            if h["index"] in by_index(links):
                fail(f"{n}: deleted, but still in the JSON after")
            expected = [{"linkRemoved": {"index": h["index"], "name": name}}]
        elif h["type"] == RTM_NEWLINK:
            later = [m for m in names if action and m > n and m.startswith(f"event-{action}-")
                     and headers[m]["type"] in (RTM_NEWLINK, RTM_DELLINK) and headers[m]["family"] == AF_UNSPEC
                     and headers[m]["index"] == h["index"]]
            if not later:
                expected = [{"linkUpdated": update_from_json(by_index(links)[h["index"]], links)}]
            else:
                text = subprocess.run(["unshare", "-n", "ip", "-d", "monitor", "file", os.path.join(d, n + ".nlmsg")],
                                      check=True, capture_output=True, text=True).stdout
                with open(os.path.join(d, n + ".ip-monitor.txt"), "w") as f:
                    f.write(text)
                expected = [{"linkUpdated": update_from_monitor_text(text, n)}]
                unchecked = ["link.carrierChanges"]
        elif h["type"] in (RTM_NEWADDR, RTM_DELADDR):
            addrs = by_index(load("dump.ip-addr.json" if action is None else f"event-{action}.ip-addr.json"))
            fam = {AF_INET: "inet", AF_INET6: "inet6"}[h["family"]]
            if not any(a["family"] == fam for a in addrs.get(h["index"], {}).get("addr_info", [])):
                fail(f"{n}: no {fam} address on ifindex {h['index']} in ip -j addr")
            expected = []
        elif h["type"] in (RTM_NEWNEIGH, RTM_DELNEIGH) and h["family"] != AF_BRIDGE:
            expected = []  # ARP / ND
        elif h["type"] in (RTM_NEWNEIGH, RTM_DELNEIGH):
            if action is None:
                entry = fdb_json[fdb_dump.index(n)]
                if index_of(links, entry["ifname"]) != h["index"]:
                    fail(f"{n}: ndm_ifindex {h['index']}, bridge fdb show says {entry}")
                expected = fdb_change(entry, links, h["index"], removed=False)
            else:
                old = load(f"{before_of[action]}.bridge-fdb.json")
                new = load(f"event-{action}.bridge-fdb.json")
                removed = h["type"] == RTM_DELNEIGH
                a, b = (old, new) if removed else (new, old)
                bkeys = {key(e) for e in b}
                diff = [e for e in a if key(e) not in bkeys and key(e) not in used[action]]
                is_self = bool(h["flags"] & NTF_SELF)
                cands = [e for e in diff if ("self" in e.get("flags", [])) == is_self and e["state"] == state_class(h["state"])]
                idx = lambda name: index_of(before if removed else links, name)
                exact = [e for e in cands if idx(e["ifname"]) == h["index"]]
                moved = [e for e in cands if e.get("master") and idx(e["master"]) == h["index"]]
                pick = exact or moved
                if len(pick) != 1:
                    fail(f"{n}: {len(pick)} entries of the action's FDB change fit: {pick or diff}")
                used[action].add(key(pick[0]))
                expected = fdb_change(pick[0], before if removed else links, h["index"], removed=removed)
        else:
            fail(f"{n}: message type {h['type']} not mapped")

        out = expected if not unchecked else [dict(e, unchecked=unchecked) for e in expected]
        with open(os.path.join(d, n + ".expected.json"), "w") as f:
            json.dump(out, f, sort_keys=True)
            f.write("\n")
        written += 1
    print(f"make-expected: {written} .expected.json files in {d}")


if __name__ == "__main__":
    main()
