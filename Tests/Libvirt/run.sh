#!/bin/sh
# Tests/Libvirt/run.sh [PYTEST_ARGS...]: the libvirt end-to-end tests (as root).
#
# Installs what they need, then runs pytest on this directory: libvirtd and virtlogd
# are started (unless running) and stopped, the guests boot the host's kernel under
# qemu TCG, and the real kvmnet-agent and kvmnet-diag are checked against them.
# Binaries: $KVMNET_BIN_DIR (default .build/debug). Whatever happens to pytest
# (failure, timeout), `kvt.py reap` removes what it left: domains, bridges, daemons.
# KVMNET_LIBVIRT_REQUIRE=1 (scripts/test sets it): not being able to run (no root) is a
# failure, exit 1, and so is a test that skips; without it, no root exits 0 with a note.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
    if [ "${KVMNET_LIBVIRT_REQUIRE:-0}" = 1 ]; then
        echo "Tests/Libvirt: FAILED: needs root (libvirtd, bridges in the root namespace), and KVMNET_LIBVIRT_REQUIRE=1" >&2
        exit 1
    fi
    echo "Tests/Libvirt: skipped: needs root (libvirtd, bridges in the root namespace)"
    exit 0
fi
if ! out=$("$here/install-deps.sh" 2>&1); then
    echo "$out"
    exit 1
fi
echo "$out" | tail -n 1
export KVMNET_BIN_DIR="${KVMNET_BIN_DIR:-$repo/.build/debug}"
export PYTHONDONTWRITEBYTECODE=1
# Debian's python3 with python3-pytest (install-deps.sh), whatever python3 PATH finds.
rc=0
# The whole run takes one to two minutes; the bound is for a hung guest or daemon.
timeout -k 30 "${KVT_TIMEOUT:-900}" /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE "$here" "$@" || rc=$?
/usr/bin/python3 "$here/kvt.py" reap || rc=1
exit "$rc"
