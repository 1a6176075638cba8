#!/bin/sh
# save-bridge-vlan-fixtures.sh [RESULTS_DIR]
#
# Turns the kernel lab's bridge-vlan-capture scenario (nlcapture's raw messages plus
# iproute2's view at the same moment) into netlink decoder fixtures:
#   Tests/KVMNetNetlinkTests/Fixtures/bridge-vlan-<major.minor>/
#     dump-<ifname>.nlmsg           each message of the AF_BRIDGE RTM_GETLINK dump
#                                   (RTEXT_FILTER_BRVLAN_COMPRESSED)
#     dump-unspec-<ifname>.nlmsg    the AF_UNSPEC RTM_NEWLINK of the bridges (IFLA_BR_VLAN_*)
#                                   and their ports (IFLA_MASTER), from the same moment
#     dump.ip-link.json             ip -d -j link show
#     <step>.bridge-vlan.json       bridge -c -j -d vlan show (dump, and after each event)
#     ev-NN-<what>-MM-g<group>-<type>-<family>-<name>.nlmsg
#                                   every message one change sent to RTNLGRP_LINK (1)
#                                   and RTNLGRP_BRVLAN (33), in order
#     <name>.expected.json          for dump-<ifname> and for the last AF_BRIDGE message
#                                   of each link in an event step: the change it must
#                                   decode to (Fixtures/README.md), built HERE from
#                                   iproute2's JSON, never from kvmnet's decoder: ifindex
#                                   from ip -j link, VLANs from bridge -j vlan (a link
#                                   bridge vlan does not list: "vlans" null; RTM_DELLINK:
#                                   null, the port left its bridge)
#     MANIFEST                      kernel, scenario, files
# Each bridge-vlan-<series>/ directory it writes is replaced as a whole; the other
# fixture directories (lab-*, captured-*) are not touched.
# RESULTS_DIR defaults to .build-lab/results.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results=${1:-$repo/.build-lab/results}
dest=$repo/Tests/KVMNetNetlinkTests/Fixtures
[ -d "$results" ] || { echo "save-bridge-vlan-fixtures: no results dir $results" >&2; exit 1; }

python3 - "$results" "$dest" <<'PY'
import json, os, re, shutil, sys

results, dest = sys.argv[1], sys.argv[2]
TYPES = {16: "newlink", 17: "dellink", 112: "newvlan", 113: "delvlan"}
FAMILIES = {0: "unspec", 7: "bridge"}

def vlan_set(entries):
    """iproute2's vlans of one link -> BridgeVLANSet as JSONEncoder writes it, normalised
    as the model normalises: sorted, neighbours with the same egress flag joined."""
    ranges, pvid = [], None
    for v in entries:
        flags = v.get("flags", [])
        first = v["vlan"]
        last = v.get("vlanEnd", first)
        ranges.append([first, last, "Egress Untagged" in flags])
        if "PVID" in flags:
            pvid = first
    ranges.sort(key=lambda r: (r[0], r[1]))
    out = []
    for r in ranges:
        if out and out[-1][2] == r[2] and out[-1][1] + 1 >= r[0]:
            out[-1][1] = max(out[-1][1], r[1])
        else:
            out.append(list(r))
    s = {"ranges": [{"first": a, "last": b, "untagged": u} for a, b, u in out]}
    if pvid is not None:
        s["pvid"] = pvid
    return s

def expected(index, name, vlans):
    return [{"bridgeVLANsUpdated": {"index": index, "name": name, "vlans": vlans}}]

def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")

total = 0
for kernel in sorted(os.listdir(results)):
    sdir = os.path.join(results, kernel, "bridge-vlan-capture")
    m = re.match(r"(\d+\.\d+)", kernel)
    if not m or not os.path.isdir(sdir):
        continue
    out = os.path.join(dest, "bridge-vlan-" + m.group(1))
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    files = []
    links = json.load(open(os.path.join(sdir, "dump", "ip_link.json")))
    index = {l["ifname"]: l["ifindex"] for l in links}
    shutil.copyfile(os.path.join(sdir, "dump", "ip_link.json"), os.path.join(out, "dump.ip-link.json"))
    files.append("dump.ip-link.json")

    def vlans_at(step):
        path = os.path.join(sdir, step, "bridge_vlan.json")
        shutil.copyfile(path, os.path.join(out, step + ".bridge-vlan.json"))
        files.append(step + ".bridge-vlan.json")
        return {e["ifname"]: vlan_set(e.get("vlans", [])) for e in json.load(open(path))}

    def write_msg(name, hexmsg):
        data = bytes.fromhex(hexmsg)
        if len(data) < 16 or int.from_bytes(data[0:4], "little") != len(data):
            sys.exit(f"save-bridge-vlan-fixtures: {kernel}: bad message {name}")
        with open(os.path.join(out, name + ".nlmsg"), "wb") as f:
            f.write(data)
        files.append(name + ".nlmsg")
        return data

    # The dump.
    now = vlans_at("dump")
    for line in open(os.path.join(sdir, "dump", "nlmsg-bridge.txt")):
        if not line.strip():
            continue
        name, hexmsg = line.split()
        write_msg("dump-" + name, hexmsg)
        write_json(os.path.join(out, f"dump-{name}.expected.json"), expected(index[name], name, now.get(name)))
        files.append(f"dump-{name}.expected.json")
    # The bridges and their ports as the AF_UNSPEC dump shows them (kind, master,
    # IFLA_BR_VLAN_*), so that the dump can be assembled as NetlinkTopologyDump does.
    bridged = {l["ifname"] for l in links
               if l.get("linkinfo", {}).get("info_kind") == "bridge" or "master" in l}
    for line in open(os.path.join(sdir, "dump", "nlmsg-unspec.txt")):
        name, hexmsg = line.split()
        if name in bridged:
            write_msg("dump-unspec-" + name, hexmsg)

    # The events.
    for step in sorted(d for d in os.listdir(sdir) if d.startswith("ev-")):
        after = vlans_at(step)
        msgs = []
        for line in open(os.path.join(sdir, step, "nlmsg-events.txt")):
            if not line.strip():
                continue
            group, mtype, family, name, hexmsg = line.split()
            msgs.append((int(group), int(mtype), int(family), name, hexmsg))
        last = {}
        for i, (g, t, fam, name, _) in enumerate(msgs):
            if fam == 7 and t in (16, 17):
                last[name] = i
        for i, (g, t, fam, name, hexmsg) in enumerate(msgs):
            fname = f"{step}-{i:02d}-g{g}-{TYPES.get(t, str(t))}-{FAMILIES.get(fam, str(fam))}-{name}"
            write_msg(fname, hexmsg)
            if last.get(name) == i:
                vl = None if t == 17 else after.get(name)
                write_json(os.path.join(out, fname + ".expected.json"), expected(index[name], name, vl))
                files.append(fname + ".expected.json")
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write(f"kernel {kernel}\nscenario bridge-vlan-capture (Tests/KernelLab/scenarios/bridge-vlan-capture.sh)\n")
        for name in sorted(files):
            f.write(name + "\n")
    n = sum(1 for x in files if x.endswith(".nlmsg"))
    print(f"save-bridge-vlan-fixtures: {kernel} -> {out}: {n} messages")
    total += n
if total == 0:
    sys.exit(f"save-bridge-vlan-fixtures: no bridge-vlan-capture results under {results}")
PY
