#!/bin/dash
# sysfs-mode (issue 12): a second kvmnet-agent with --no-netlink (it re-reads
# /sys/class/net and /proc/net/bonding every second) next to the boot's
# netlink agent, on bond0 (active-backup, miimon 100, veth0/veth1) and bond1
# (802.3ad, lacp_rate fast, veth2/veth3, no LACP partner). With the bonding
# module loaded /sys/class/net/bonding_masters exists: a file, not a device,
# which must cost the sysfs agent no error on any scan.  The sysfs agent starts
# once both bonds have settled and stops before the cleanup (devices deleted
# under a running scan are counted errors by design, see StormTests).
# Steps dumped, each with both agents' /metrics (metrics.txt from the netlink
# agent, metrics-sysfs.txt from the sysfs one) and kvmnet-diag in both modes
# (diag.json, diag-sysfs.json):
#   steady          >= 6 s of 1 s rescans after the sysfs agent answered
#   after-failover  vpeer0 down: veth0 fails, veth1 takes over
# Also: sysfs-agent.txt (guest uptimes: started, each dump), agent-sysfs.log.
. /lab/lib.sh
IP=/sbin/ip
SYSFS_URL=http://127.0.0.1:10246/metrics

$IP link add bond0 type bond mode active-backup miimon 100 || lab_error "bond0"
lab_veth_slave veth0 vpeer0 bond0
lab_veth_slave veth1 vpeer1 bond0
$IP link set bond0 up
$IP link add bond1 type bond mode 802.3ad miimon 100 lacp_rate fast || lab_error "bond1"
lab_veth_slave veth2 vpeer2 bond1
lab_veth_slave veth3 vpeer3 bond1
$IP link set bond1 up

ready() {
    [ "$(lab_bond_field bond0 'MII Status')" = up ] &&
    [ "$(lab_slave_field bond0 veth0 'MII Status')" = up ] &&
    [ "$(lab_slave_field bond0 veth1 'MII Status')" = up ] &&
    [ "$(lab_bond_field bond0 'Currently Active Slave')" = veth0 ] &&
    [ "$(lab_bond_field bond1 'MII Status')" = up ]
}
lab_wait 100 ready || lab_error "bonds not ready"
lab_sleep 40   # 802.3ad: > 3 fast periodic transmissions, the aggregator settled (as lacp-no-partner)
[ -f /sys/class/net/bonding_masters ] || lab_error "no /sys/class/net/bonding_masters with bonding loaded"

sysfs_agent=""
if [ -x /bin/kvmnet-agent ]; then
    /bin/kvmnet-agent --no-netlink --scan.interval 1 --web.listen-address=127.0.0.1:10246 \
        >/tmp/agent-sysfs.log 2>&1 &
    sysfs_agent=$!
    answers() { wget -q -O /dev/null "$SYSFS_URL"; }
    lab_wait 300 answers || lab_error "sysfs agent does not answer"
    started=$(lab_uptime)
    lab_sleep 60
fi

# dump STEP: the usual dump (netlink agent, diag) plus the sysfs agent and diag --no-netlink.
dump() {
    lab_dump "$1"
    [ -n "$sysfs_agent" ] || return 0
    kill -0 "$sysfs_agent" 2>/dev/null || lab_error "sysfs agent not running at step $1"
    eval "at_$(echo "$1" | tr - _)=$(lab_uptime)"
    lab_capture "$1/metrics-sysfs.txt" wget -q -O - "$SYSFS_URL"
    if [ -x /bin/kvmnet-diag ]; then
        lab_capture "$1/diag-sysfs.json" timeout 120 /bin/kvmnet-diag diagnose --no-netlink --json --ifcfg-dir /nonexistent
    fi
}

dump steady

$IP link set vpeer0 down
failed_over() { [ "$(lab_bond_field bond0 'Currently Active Slave')" = veth1 ]; }
lab_wait 100 failed_over || lab_error "no failover to veth1"
lab_sleep 30   # 3 s: the MII monitor settled, >= 2 rescans of the sysfs agent
dump after-failover

if [ -n "$sysfs_agent" ]; then
    kill "$sysfs_agent"
    wait "$sysfs_agent" 2>/dev/null
    lab_note sysfs-agent.txt "started=$started
steady=$at_steady
after_failover=$at_after_failover"
    lab_emit agent-sysfs.log /tmp/agent-sysfs.log 0
fi

$IP link del bond0
$IP link del bond1
for v in veth0 veth1 veth2 veth3; do $IP link del "$v"; done
