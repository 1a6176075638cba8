#!/bin/sh
# Install what the real-kernel lab needs: qemu (TCG), two Debian kernels
# (6.1 = linux-image-amd64 on bookworm, 6.12 = linux-image-6.12-amd64 from
# bookworm's repos), busybox-static, iproute2, cpio, gzip, xz-utils, libbpf1 (the
# release kvmnet-diag loads libbpf.so.1 for watch: build-initramfs.sh copies what ldd lists).
#
# Idempotent: packages already installed are not touched, and `apt-get update`
# runs at most once (only when something is missing and a first install
# attempt cannot find it).  Kernel images land in /boot and /lib/modules; the
# lab uses only those files, never a bootloader.  There is no bootloader on
# the build machines, so kernel postinst hooks (initramfs-tools, zz-update-grub)
# are disabled for the duration of the install (we boot our own initramfs).
set -eu

PKGS="qemu-system-x86 linux-image-amd64 linux-image-6.12-amd64 busybox-static iproute2 cpio gzip xz-utils kmod dash libbpf1"

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: must run as root (apt-get install)" >&2
    exit 1
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-deps.sh: all packages already installed:$(printf ' %s' $PKGS)"
    exit 0
fi
echo "install-deps.sh: installing:$missing"

export DEBIAN_FRONTEND=noninteractive
export DEBCONF_NONINTERACTIVE_SEEN=true
APT_OPTS="-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

# Kernel postinst hooks: initramfs-tools' hook exits early when INITRD=No
# (we boot our own initramfs, never /boot/initrd.img-*), and there is no
# bootloader to update.  If a hook still fails, the kernel image and modules
# are already unpacked, which is all the lab needs (see the fallback below).
export INITRD=No

try_install() {
    # shellcheck disable=SC2086
    apt-get install $APT_OPTS $missing
}

if ! try_install; then
    echo "install-deps.sh: first attempt failed; running apt-get update once and retrying" >&2
    apt-get update -q
    if ! try_install; then
        # A failing postinst hook (initramfs / bootloader) leaves the packages
        # unpacked but unconfigured.  The lab only needs the unpacked files, so
        # finish configuration tolerantly and check the files are there.
        echo "install-deps.sh: install reported errors; trying dpkg --configure -a" >&2
        dpkg --configure -a || true
    fi
fi

# Verify what the lab actually uses.
fail=0
for f in /usr/bin/qemu-system-x86_64 /bin/busybox /sbin/ip /sbin/bridge /usr/bin/cpio /bin/gzip /usr/bin/xz /bin/dash; do
    [ -x "$f" ] || { echo "install-deps.sh: missing $f" >&2; fail=1; }
done
n=0
for d in /lib/modules/*/kernel/drivers/net/bonding; do
    [ -d "$d" ] && n=$((n + 1))
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "install-deps.sh: no /boot/vmlinuz-*" >&2; fail=1; }
[ "$n" -ge 2 ] || { echo "install-deps.sh: expected 2 kernels with bonding modules, found $n" >&2; fail=1; }
[ "$fail" = 0 ] || exit 1
echo "install-deps.sh: ok; kernels: $(ls /boot | sed -n 's/^vmlinuz-//p' | tr '\n' ' ')"
