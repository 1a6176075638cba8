#!/bin/sh
# save-netlink-fixtures.sh [RESULTS_DIR]
#
# Turns the kernel lab's raw RTM_NEWLINK dumps (<kernel>/<scenario>/<step>/
# nlmsg-links.txt, written by /bin/nlcapture via guest/lib.sh's lab_dump) into
# netlink decoder fixtures:
#   Tests/KVMNetNetlinkTests/Fixtures/lab-<major.minor>/<scenario>-<step>-<ifname>.nlmsg
# (one raw message each, nlmsghdr onwards) for bonds, bond slaves, VLANs and
# bridges only (chosen by the same step's `ip -d -j link`: info_kind bond, vlan
# or bridge, or info_slave_kind bond; lo, vnet*, veth peers are left out).
# A namespace's dump (<step>/ns-<ns>/) becomes step "<step>-ns-<ns>".
# Next to them, from the same moment:
#   <scenario>-<step>.ip-link.json             (ip -d -j link show)
#   <scenario>-<step>.proc_net_bonding_<bond>  (/proc/net/bonding/<bond>)
# LabCaptureTests.swift asserts the decoded messages against those.
# Each lab-<series>/ directory it writes is replaced as a whole.
# RESULTS_DIR defaults to .build-lab/results.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results=${1:-$repo/.build-lab/results}
dest=$repo/Tests/KVMNetNetlinkTests/Fixtures
[ -d "$results" ] || { echo "save-netlink-fixtures: no results dir $results" >&2; exit 1; }

python3 - "$results" "$dest" <<'PY'
import json, os, re, shutil, sys

results, dest = sys.argv[1], sys.argv[2]
wanted_kinds = {"bond", "vlan", "bridge"}
total = 0
for kernel in sorted(os.listdir(results)):
    kdir = os.path.join(results, kernel)
    if not os.path.isdir(kdir):
        continue
    m = re.match(r"(\d+\.\d+)", kernel)
    if not m:
        continue
    captures = []
    for root, _dirs, files in os.walk(kdir):
        if "nlmsg-links.txt" in files:
            captures.append(root)
    if not captures:
        continue
    out = os.path.join(dest, "lab-" + m.group(1))
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    n = 0
    for root in sorted(captures):
        rel = os.path.relpath(root, kdir).split(os.sep)  # scenario, step[, ns-x]
        if rel[0] == "_lab" or len(rel) < 2:
            continue
        prefix = "-".join(rel)
        jpath = os.path.join(root, "ip_link.json")
        if not os.path.isfile(jpath):
            sys.exit(f"save-netlink-fixtures: {root} has nlmsg-links.txt but no ip_link.json")
        links = json.load(open(jpath))
        keep = set()
        for l in links:
            li = l.get("linkinfo", {})
            if li.get("info_kind") in wanted_kinds or li.get("info_slave_kind") == "bond":
                keep.add(l["ifname"])
        wrote = 0
        for line in open(os.path.join(root, "nlmsg-links.txt")):
            line = line.strip()
            if not line:
                continue
            name, hexmsg = line.split(" ", 1)
            if name not in keep:
                continue
            data = bytes.fromhex(hexmsg)
            if len(data) < 16 or int.from_bytes(data[0:4], "little") != len(data):
                sys.exit(f"save-netlink-fixtures: {root}: bad message for {name}")
            with open(os.path.join(out, f"{prefix}-{name}.nlmsg"), "wb") as f:
                f.write(data)
            wrote += 1
        missing = keep - {l.split(" ", 1)[0] for l in open(os.path.join(root, "nlmsg-links.txt")) if l.strip()}
        if missing:
            sys.exit(f"save-netlink-fixtures: {root}: no message for {sorted(missing)}")
        if wrote == 0:
            continue
        shutil.copyfile(jpath, os.path.join(out, f"{prefix}.ip-link.json"))
        for f in sorted(os.listdir(root)):
            if f.startswith("proc_net_bonding_") and not f.endswith(".stderr"):
                shutil.copyfile(os.path.join(root, f), os.path.join(out, f"{prefix}.{f}"))
        n += wrote
    print(f"save-netlink-fixtures: {kernel} -> {out}: {n} messages")
    total += n
if total == 0:
    sys.exit(f"save-netlink-fixtures: no nlmsg-links.txt with bond/vlan/bridge messages under {results}")
PY
