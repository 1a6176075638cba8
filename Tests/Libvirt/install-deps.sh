#!/bin/sh
# Tests/Libvirt/install-deps.sh: what the libvirt end-to-end tests need (Debian 12, root).
#
# libvirtd and virtlogd (started by the tests themselves with -d: no systemd here),
# virsh, virt-clone, qemu (TCG), a kernel image in /boot with its modules (the guest
# boots the host's Debian kernel directly), busybox-static and cpio for the guest's
# initramfs, iproute2 and pytest for the tests.
#
# Idempotent: nothing is fetched when everything is installed; `apt-get update` runs
# only when something is missing. Package scripts may try to start services (no
# systemd: they fail harmlessly, policy-rc.d forbids them for the duration); daemons
# a package started anyway are stopped again, since the tests start their own.
set -eu

PKGS="libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu virtinst
qemu-system-x86 qemu-utils busybox-static linux-image-amd64 kmod cpio gzip xz-utils
iproute2 python3-pytest"

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: must run as root (apt-get install)" >&2
    exit 1
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "install-deps.sh: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true INITRD=No
    # No service starts from package scripts (exit 101 = action forbidden).
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 0755 "$policy"; own_policy=1
    fi
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing \
        || { echo "install-deps.sh: install reported errors; dpkg --configure -a" >&2; dpkg --configure -a || true; }
    [ "$own_policy" = 0 ] || rm -f "$policy"
fi

fail=0
for f in /usr/sbin/libvirtd /usr/sbin/virtlogd /usr/bin/virsh /usr/bin/virt-clone \
         /usr/bin/qemu-system-x86_64 /bin/busybox /usr/bin/cpio /sbin/ip /sbin/modinfo; do
    [ -x "$f" ] || { echo "install-deps.sh: missing $f" >&2; fail=1; }
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "install-deps.sh: no /boot/vmlinuz-*" >&2; fail=1; }
[ "$fail" = 0 ] || exit 1
echo "install-deps.sh: ok"
