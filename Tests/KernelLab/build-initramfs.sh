#!/bin/sh
# build-initramfs.sh KERNEL_VERSION OUT.gz [[NAME=]BINARY...]
#
# Builds a gzip'd newc cpio for the kernel-lab guest:
#   /bin/busybox (+ applet links, except `ip`: scenarios use iproute2's),
#   /bin/dash, /sbin/ip, /sbin/bridge, every extra BINARY (into /bin/<basename>,
#   or /bin/NAME when given as NAME=BINARY),
#   each with the shared libraries ldd lists and the dynamic loader;
#   the modules tls llc stp garp mrp 8021q bridge veth bonding dummy of
#   KERNEL_VERSION plus everything they depend on (modinfo -F depends,
#   recursively), decompressed to plain .ko, in dependency order in
#   /lab/modules.list (bonding max_bonds=0, dummy numdummies=0); nf_tables and
#   br_netfilter likewise, listed in /lab/modules-late.list for scenarios to load;
#   /init (guest/init), /lab/lib.sh and /lab/scenarios/*.sh.
#
# Environment:
#   LAB_SCENARIO_DIR  directory of scenario scripts (default: ./scenarios)
#   LAB_SCENARIOS     space-separated subset of scenario names (default: all)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
    echo "usage: $0 KERNEL_VERSION OUT.gz [[NAME=]BINARY...]" >&2
    exit 2
fi
kver=$1; out=$2; shift 2
moddir=/lib/modules/$kver
[ -d "$moddir" ] || { echo "build-initramfs: no $moddir" >&2; exit 1; }
scen_dir=${LAB_SCENARIO_DIR:-$here/scenarios}
WANTED_MODULES="tls llc stp garp mrp 8021q bridge veth bonding dummy"
# crc32c_generic first: libcrc32c (for nf_tables) has it only as a soft dependency ("pre: crc32c").
LATE_MODULES="crc32c_generic nf_tables br_netfilter"

stage=$(mktemp -d "${TMPDIR:-/tmp}/kvmnet-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/bin "$stage"/sbin "$stage"/proc "$stage"/sys "$stage"/dev \
    "$stage"/run "$stage"/tmp "$stage"/etc "$stage"/lab/scenarios \
    "$stage/lib/modules/$kver" "$stage"/var
ln -s /run "$stage"/var/run

# copy_file SRC DEST_IN_STAGE: copy following symlinks, keep mode.
copy_file() {
    mkdir -p "$stage$(dirname "$2")"
    cp -L "$1" "$stage$2"
}

# copy_bin SRC DEST: the binary and everything ldd says it loads.
copy_bin() {
    [ -x "$1" ] || { echo "build-initramfs: not an executable: $1" >&2; exit 1; }
    copy_file "$1" "$2"
    if ldd_out=$(ldd "$1" 2>/dev/null); then
        # "libx.so => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)"
        echo "$ldd_out" | awk '
            $2 == "=>" && $3 ~ /^\// { print $3 }
            $1 ~ /^\// { print $1 }
            $2 == "=>" && $3 == "not" { print "MISSING " $1 }
        ' | while read -r lib rest; do
            if [ "$lib" = MISSING ]; then
                echo "build-initramfs: $1 needs $rest, which ldd cannot find" >&2
                exit 1
            fi
            [ -e "$stage$lib" ] || copy_file "$lib" "$lib"
        done
    fi
}

# --- busybox and the userland the scenarios rely on
copy_file /bin/busybox /bin/busybox
for applet in $(/bin/busybox --list); do
    case $applet in
        ip|busybox) continue ;;   # iproute2's /sbin/ip must win (type bond...)
    esac
    [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
copy_bin /bin/dash /bin/dash
copy_bin /sbin/ip /sbin/ip
copy_bin /sbin/bridge /sbin/bridge
for b in "$@"; do
    case $b in
        *=*) copy_bin "${b#*=}" "/bin/${b%%=*}" ;;   # NAME=PATH
        *)   copy_bin "$b" "/bin/$(basename "$b")" ;;
    esac
done
# glibc resolver/user lookups some programs do; harmless when unused.
printf 'root:x:0:0:root:/:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$stage/etc/hosts"
printf 'hosts: files\n' > "$stage/etc/nsswitch.conf"

# --- modules: dependency closure, dependencies first
order=""
visiting=" "
add_module() {
    case " $order " in *" $1 "*) return 0 ;; esac
    case "$visiting" in *" $1 "*) echo "build-initramfs: module dependency cycle at $1" >&2; exit 1 ;; esac
    visiting="$visiting$1 "
    deps=$(modinfo -k "$kver" -F depends "$1") || { echo "build-initramfs: no module $1 for $kver" >&2; exit 1; }
    for d in $(echo "$deps" | tr ',' ' '); do
        add_module "$d"
    done
    order="$order $1"
}
for m in $WANTED_MODULES; do add_module "$m"; done
# Modules a scenario loads itself (lab_load_late_modules), not at boot: nf_tables and
# br_netfilter (the watch scenario's firewall drops) would put every other scenario's
# bridged frames through netfilter.
boot_order=$order
for m in $LATE_MODULES; do add_module "$m"; done

: > "$stage/lab/modules.list"
: > "$stage/lab/modules-late.list"
for m in $order; do
    f=$(modinfo -k "$kver" -F filename "$m")
    dest="$stage/lib/modules/$kver/$m.ko"
    case $f in
        *.ko.xz)  xz -dc "$f" > "$dest" ;;
        *.ko.zst) zstd -qdc "$f" > "$dest" ;;
        *.ko.gz)  gzip -dc "$f" > "$dest" ;;
        *.ko)     cp "$f" "$dest" ;;
        *) echo "build-initramfs: unexpected module file $f" >&2; exit 1 ;;
    esac
    case $m in
        bonding) params="max_bonds=0" ;;
        dummy)   params="numdummies=0" ;;
        *)       params="" ;;
    esac
    case " $boot_order " in
        *" $m "*) echo "$m $params" >> "$stage/lab/modules.list" ;;
        *)        echo "$m $params" >> "$stage/lab/modules-late.list" ;;
    esac
done

# --- init, helpers, scenarios
install -m 0755 "$here/guest/init" "$stage/init"
install -m 0644 "$here/guest/lib.sh" "$stage/lab/lib.sh"
n=0
if [ -n "${LAB_SCENARIOS:-}" ]; then
    for s in $LAB_SCENARIOS; do
        [ -f "$scen_dir/$s.sh" ] || { echo "build-initramfs: no scenario $scen_dir/$s.sh" >&2; exit 1; }
        install -m 0755 "$scen_dir/$s.sh" "$stage/lab/scenarios/$s.sh"; n=$((n + 1))
    done
else
    for s in "$scen_dir"/*.sh; do
        [ -f "$s" ] || continue
        install -m 0755 "$s" "$stage/lab/scenarios/"; n=$((n + 1))
    done
fi
[ "$n" -gt 0 ] || { echo "build-initramfs: no scenarios in $scen_dir" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($(du -k "$out" | cut -f1) KiB): kernel $kver, modules:$order, scenarios: $n, extra binaries: $#"
