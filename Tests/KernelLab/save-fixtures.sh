#!/bin/sh
# save-fixtures.sh [RESULTS_DIR]
#
# Copies the real /proc/net/bonding/* and /proc/net/vlan/* the lab guests
# produced (default RESULTS_DIR: .build-lab/results, filled by run-lab.sh)
# into Tests/KernelLab/captured/<kernel>/<scenario>/<step>/ as a procfs-like
# tree, so a reader rooted at that directory sees them at their real paths:
#   <step>/proc/net/bonding/<bond>
#   <step>/proc/net/vlan/config, <step>/proc/net/vlan/<vlan-dev>
#   <step>/ip-d-j-link.json   (`ip -d -j link` at the same instant: the
#                              netlink view, for cross-checking parsers)
# A dump taken inside a netns is under <step>/ns-<name>/.
# Each kernel's captured/<kernel>/ is replaced as a whole; kernels not in
# RESULTS_DIR are left alone.  MACs are random per boot, so re-capturing
# changes the files: commit a new capture only when it is wanted.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results=${1:-$repo/.build-lab/results}
dest=$here/captured
[ -d "$results" ] || { echo "save-fixtures: no $results (run run-lab.sh first)" >&2; exit 1; }

n_kernels=0
for kdir in "$results"/*/; do
    kdir=${kdir%/}
    [ -f "$kdir/markers.txt" ] || continue
    k=${kdir##*/}
    if ! grep -q '^KVMNET-LAB-ALL-DONE modules_ok=1 ' "$kdir/markers.txt"; then
        echo "save-fixtures: skipping $k: its lab run did not complete" >&2
        continue
    fi
    out=$dest/$k
    rm -rf "$out"
    n=0
    # every dump step is a directory holding ip_link.json
    for j in $(cd "$kdir" && find . -name ip_link.json | LC_ALL=C sort); do
        step=$(dirname "$j"); step=${step#./}
        src=$kdir/$step
        to=$out/$step
        for f in "$src"/proc_net_bonding_*; do
            [ -f "$f" ] || continue
            case $f in *.stderr) continue ;; esac
            mkdir -p "$to/proc/net/bonding"
            cp "$f" "$to/proc/net/bonding/${f##*/proc_net_bonding_}"
            n=$((n + 1))
        done
        for f in "$src"/proc_net_vlan_*; do
            [ -f "$f" ] || continue
            case $f in *.stderr) continue ;; esac
            mkdir -p "$to/proc/net/vlan"
            cp "$f" "$to/proc/net/vlan/${f##*/proc_net_vlan_}"
            n=$((n + 1))
        done
        if [ -d "$to" ]; then
            cp "$src/ip_link.json" "$to/ip-d-j-link.json"
        fi
    done
    {
        echo "kernel=$k"
        echo "uname=$(cat "$kdir/_lab/boot/uname.txt" 2>/dev/null)"
        echo "iproute2=$(dpkg-query -W -f='${Version}' iproute2 2>/dev/null)"
        echo "captured=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "source=Tests/KernelLab/run-lab.sh (qemu TCG, Debian kernel, scenarios in Tests/KernelLab/scenarios)"
        echo "files=$n"
    } > "$out/MANIFEST"
    echo "save-fixtures: $k: $n procfs files -> $out"
    n_kernels=$((n_kernels + 1))
done
[ "$n_kernels" -gt 0 ] || { echo "save-fixtures: no complete kernel results in $results" >&2; exit 1; }
