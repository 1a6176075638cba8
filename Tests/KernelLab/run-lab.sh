#!/bin/sh
# run-lab.sh [-o OUTDIR] [KERNEL_VERSION...]
#
# For each kernel (default: every /lib/modules/<v> that has a /boot/vmlinuz-<v>
# and a bonding module; on bookworm with install-deps.sh: 6.1.0-*-amd64 and
# 6.12.*-amd64), one after the other (never two qemu at once):
#   1. build-initramfs.sh -> .build-lab/initramfs-<v>.gz, with kvmnet-agent and
#      kvmnet-diag packed in when they exist;
#      also tools/nlcapture.c, compiled here with gcc -static (skipped if gcc fails);
#   2. boot it ONCE under qemu TCG (all scenarios in that boot) with a timeout,
#      serial console -> OUTDIR/<v>/console.log;
#   3. split the marked sections into OUTDIR/<v>/<scenario>/<step>/<file>
#      (extract-sections.awk) and check every marker is there.
# Exits non-zero, naming the kernel and the reason, if a build or a boot
# fails, times out, or a marker/section is missing or a scenario failed.
#
# Environment:
#   KVMNET_AGENT       agent binary (default .build/release/kvmnet-agent; if
#                      set explicitly it must exist)
#   KVMNET_DIAG        diag binary (default .build/release/kvmnet-diag)
#   LAB_BOOT_TIMEOUT   seconds per boot (default 1200)
#   LAB_SCENARIOS      subset of scenario names (default: all in scenarios/)
#   LAB_QEMU_EXTRA     extra qemu arguments
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
labdir=$repo/.build-lab
outdir=$labdir/results
while getopts o: opt; do
    case $opt in
        o) outdir=$OPTARG ;;
        *) echo "usage: $0 [-o OUTDIR] [KERNEL_VERSION...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
boot_timeout=${LAB_BOOT_TIMEOUT:-1200}

die() { echo "run-lab: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run Tests/KernelLab/install-deps.sh"

# --- kernels
if [ $# -gt 0 ]; then
    kernels="$*"
else
    kernels=""
    for d in /lib/modules/*; do
        v=${d##*/}
        [ -f "/boot/vmlinuz-$v" ] || continue
        modinfo -k "$v" -F filename bonding >/dev/null 2>&1 || continue
        kernels="$kernels $v"
    done
    kernels=$(echo $kernels | tr ' ' '\n' | sort -V | tr '\n' ' ')
fi
[ -n "$(echo $kernels)" ] || die "no kernel with /boot/vmlinuz-<v> and bonding in /lib/modules/<v>: run Tests/KernelLab/install-deps.sh"

# --- optional project binaries
extra=""
agent=${KVMNET_AGENT:-$repo/.build/release/kvmnet-agent}
if [ -x "$agent" ]; then
    extra="$extra kvmnet-agent=$agent"
    echo "run-lab: packing agent $agent"
elif [ -n "${KVMNET_AGENT:-}" ]; then
    die "KVMNET_AGENT=$KVMNET_AGENT is not an executable"
else
    echo "run-lab: no agent at $agent: metrics sections skipped"
fi
# nlcapture (tools/nlcapture.c): raw RTM_NEWLINK dump for the netlink fixtures;
# skipped (no nlmsg-links.txt sections) when gcc cannot build it.
mkdir -p "$labdir"
if gcc -O2 -static -o "$labdir/nlcapture.tmp" "$here/tools/nlcapture.c" > "$labdir/nlcapture.log" 2>&1 \
    && mv "$labdir/nlcapture.tmp" "$labdir/nlcapture"; then
    extra="$extra nlcapture=$labdir/nlcapture"
    echo "run-lab: packing nlcapture"
else
    rm -f "$labdir/nlcapture.tmp"
    echo "run-lab: gcc could not build tools/nlcapture.c (see $labdir/nlcapture.log): nlmsg sections skipped"
fi
diag=${KVMNET_DIAG:-$repo/.build/release/kvmnet-diag}
if [ -x "$diag" ]; then
    extra="$extra kvmnet-diag=$diag"
    echo "run-lab: packing diag $diag"
fi
# nft and iptables-nft: the watch scenario's firewall drops (and kvmnet-diag's static
# firewall check, which runs nft).
[ -x /usr/sbin/nft ] && extra="$extra nft=/usr/sbin/nft"
[ -x /usr/sbin/xtables-nft-multi ] && extra="$extra iptables-nft=/usr/sbin/xtables-nft-multi"
# bpftool: the watch scenario checks that no BPF program of kvmnet stays loaded.
for b in /usr/sbin/bpftool /sbin/bpftool; do
    if [ -x "$b" ]; then extra="$extra bpftool=$b"; echo "run-lab: packing $b"; break; fi
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$outdir"
failures=""
summary=""
for v in $kernels; do
    kdir=$outdir/$v
    rm -rf "$kdir"
    mkdir -p "$kdir/_lab"
    initrd=$labdir/initramfs-$v.gz
    kstatus=ok
    fail() { echo "run-lab: FAIL [$v]: $*" >&2; kstatus=FAILED; failures="$failures
  $v: $*"; }

    t0=$(now)
    # shellcheck disable=SC2086
    if ! "$here/build-initramfs.sh" "$v" "$initrd" $extra > "$kdir/_lab/build-initramfs.log" 2>&1; then
        cat "$kdir/_lab/build-initramfs.log" >&2
        fail "initramfs build failed"
        continue
    fi
    t1=$(now)
    echo "run-lab: [$v] booting (timeout ${boot_timeout}s), console -> $kdir/console.log"
    set +e
    # shellcheck disable=SC2086
    timeout --kill-after=10 "$boot_timeout" qemu-system-x86_64 \
        -accel tcg -cpu max -smp 1 -m 512 -nographic -no-reboot -nic none \
        -kernel "/boot/vmlinuz-$v" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 loglevel=3" ${LAB_QEMU_EXTRA:-} \
        < /dev/null > "$kdir/console.log" 2> "$kdir/_lab/qemu.stderr"
    qrc=$?
    set -e
    t2=$(now)
    build_s=$(elapsed "$t0" "$t1"); boot_s=$(elapsed "$t1" "$t2")
    printf 'build_s=%s\nboot_s=%s\nqemu_rc=%s\n' "$build_s" "$boot_s" "$qrc" > "$kdir/_lab/timing.txt"

    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        fail "boot timed out after ${boot_timeout}s (see $kdir/console.log)"
    elif [ "$qrc" != 0 ]; then
        fail "qemu exited $qrc: $(head -c 500 "$kdir/_lab/qemu.stderr")"
    fi
    if grep -aq 'Kernel panic' "$kdir/console.log"; then
        fail "kernel panic: $(grep -a 'Kernel panic' "$kdir/console.log" | head -1)"
    fi
    if ! awk -v outdir="$kdir" -f "$here/extract-sections.awk" "$kdir/console.log" 2> "$kdir/_lab/extract.log"; then
        fail "bad sections: $(grep -v ' sections$' "$kdir/_lab/extract.log" | head -5)"
    fi
    m=$kdir/markers.txt
    grep -q "^KVMNET-LAB-BOOT kernel=$v " "$m" || fail "boot marker missing (kernel did not reach /init?)"
    grep -q '^KVMNET-LAB-ALL-DONE ' "$m" || fail "ALL-DONE marker missing (guest died or hung before the end)"
    if grep -q '^KVMNET-LAB-ALL-DONE ' "$m" && ! grep -q '^KVMNET-LAB-ALL-DONE modules_ok=1 ' "$m"; then
        fail "a module failed to load"
    fi
    grep '^KVMNET-LAB-ERROR' "$m" | while read -r line; do echo "run-lab: [$v] guest error: $line" >&2; done
    if grep -q '^KVMNET-LAB-ERROR' "$m"; then fail "guest reported errors (above)"; fi
    scen=$(sed -n 's/^KVMNET-LAB-SCENARIOS//p' "$m")
    [ -n "$scen" ] || fail "scenario list marker missing"
    for s in $scen; do
        done_line=$(grep "^KVMNET-LAB-SCENARIO-DONE $s " "$m" || true)
        case $done_line in
            "") fail "scenario $s: no DONE marker" ;;
            *" rc=0 "*) ;;
            *) fail "scenario $s failed: $done_line" ;;
        esac
        [ -d "$kdir/$s" ] || fail "scenario $s: no sections"
    done
    grep -q '^KVMNET-LAB-AGENT started' "$m" && echo "run-lab: [$v] agent was running"
    secs=$(wc -l < "$kdir/sections.txt")
    echo "run-lab: [$v] $kstatus: build ${build_s}s, boot+scenarios ${boot_s}s, $secs sections -> $kdir"
    summary="$summary
  $v: $kstatus: build ${build_s}s, boot+scenarios ${boot_s}s, qemu rc $qrc, $secs sections"
done

echo "run-lab: summary:$summary"
if [ -n "$failures" ]; then
    echo "run-lab: FAILED:$failures" >&2
    exit 1
fi
echo "run-lab: all kernels OK; results in $outdir"
