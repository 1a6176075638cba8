#!/bin/dash
# ab-failover: active-backup, miimon 100, over two veth slaves whose peers
# stay in the init namespace.  Taking the active slave's peer down drops the
# slave's carrier; the MII monitor must notice, count one link failure on
# that slave and make the other one active.  Bringing the peer back restores
# the slave as a backup (no primary is set, so the active slave stays put).
# Steps dumped: before, after-failover, after-restore.
. /lab/lib.sh
IP=/sbin/ip

$IP link add bond0 type bond mode active-backup miimon 100 || lab_error "bond0"
lab_veth_slave veth0 vpeer0 bond0
lab_veth_slave veth1 vpeer1 bond0
$IP link set bond0 up

bond_ready() {
    [ "$(lab_bond_field bond0 'MII Status')" = up ] &&
    [ "$(lab_slave_field bond0 veth0 'MII Status')" = up ] &&
    [ "$(lab_slave_field bond0 veth1 'MII Status')" = up ] &&
    [ "$(lab_bond_field bond0 'Currently Active Slave')" != None ]
}
lab_wait 100 bond_ready || lab_error "bond0 not ready"
lab_dump before

active=$(lab_bond_field bond0 'Currently Active Slave')
case $active in
    veth0) peer=vpeer0 other=veth1 ;;
    veth1) peer=vpeer1 other=veth0 ;;
    *) lab_error "unexpected active slave '$active'"; peer=vpeer0 other=veth1 ;;
esac
t_down=$(lab_uptime)
$IP link set "$peer" down
failed_over() { [ "$(lab_bond_field bond0 'Currently Active Slave')" = "$other" ]; }
lab_wait 100 failed_over || lab_error "no failover to $other"
t_fo=$(lab_uptime)
lab_sleep 30   # 3 s: let the MII monitor settle, counters stable
lab_dump after-failover

$IP link set "$peer" up
restored() { [ "$(lab_slave_field bond0 "$active" 'MII Status')" = up ]; }
lab_wait 100 restored || lab_error "$active did not come back"
t_up=$(lab_uptime)
lab_sleep 10
lab_dump after-restore
lab_note timing.txt "initial_active=$active
failed_peer=$peer
peer_down_at=$t_down
failover_seen_at=$t_fo
restore_seen_at=$t_up"

$IP link del bond0
$IP link del veth0
$IP link del veth1
