#!/bin/sh
# build-guest.sh OUTDIR [KERNEL_VERSION]
#
# Builds the libvirt tests' guest: OUTDIR/vmlinuz (a copy of the host's
# /boot/vmlinuz-KERNEL_VERSION, readable by libvirt's qemu user) and OUTDIR/initrd.gz
# (a gzip'd newc cpio: static busybox with its applet links, /init from guest/init,
# the virtio-net modules of that kernel with their dependencies, decompressed, in load
# order in /modules.list). Without KERNEL_VERSION: the first /boot/vmlinuz-* (version
# order) whose modules include virtio_net. Skipped when OUTDIR is newer than its inputs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [KERNEL_VERSION]" >&2; exit 2; }
out=$1
kver=${2:-}
if [ -z "$kver" ]; then
    for k in $(ls /boot | sed -n 's/^vmlinuz-//p' | sort -V); do
        if [ -d "/lib/modules/$k" ] && modinfo -k "$k" -F filename virtio_net >/dev/null 2>&1; then
            kver=$k; break
        fi
    done
fi
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || { echo "build-guest: no usable /boot/vmlinuz-* with virtio_net modules" >&2; exit 1; }

mkdir -p "$out"
if [ -s "$out/initrd.gz" ] && [ -s "$out/vmlinuz" ] && [ "$(cat "$out/kernel-version" 2>/dev/null)" = "$kver" ] \
   && [ "$out/initrd.gz" -nt "$here/guest/init" ] && [ "$out/initrd.gz" -nt "$0" ]; then
    echo "build-guest: $out is up to date (kernel $kver)"
    exit 0
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/kvt-guest.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/bin "$stage"/sbin "$stage"/proc "$stage"/sys "$stage"/dev "$stage"/tmp "$stage"/lib/modules
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$here/guest/init" "$stage/init"

# Modules: virtio-net and the PCI transport, dependencies first. Built-in ones
# (modinfo finds no file) are skipped.
order=""
add_module() {
    case " $order " in *" $1 "*) return 0 ;; esac
    f=$(modinfo -k "$kver" -F filename "$1" 2>/dev/null) || return 0
    case $f in (builtin*|"") return 0 ;; esac
    for d in $(modinfo -k "$kver" -F depends "$1" | tr ',' ' '); do add_module "$d"; done
    order="$order $1"
}
for m in virtio_pci virtio_net; do add_module "$m"; done
: > "$stage/modules.list"
for m in $order; do
    f=$(modinfo -k "$kver" -F filename "$m")
    case $f in
        *.ko.xz)  xz -dc "$f" > "$stage/lib/modules/$m.ko" ;;
        *.ko.zst) zstd -qdc "$f" > "$stage/lib/modules/$m.ko" ;;
        *.ko.gz)  gzip -dc "$f" > "$stage/lib/modules/$m.ko" ;;
        *)        cp "$f" "$stage/lib/modules/$m.ko" ;;
    esac
    echo "$m" >> "$stage/modules.list"
done

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$out/initrd.gz.tmp"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
chmod 0644 "$out/initrd.gz.tmp" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
echo "$kver" > "$out/kernel-version"
chmod 0755 "$out"
echo "build-guest: $out: kernel $kver, modules:$order, initrd $(du -k "$out/initrd.gz" | cut -f1) KiB"
