#!/bin/dash
# flap-storm: active-backup with miimon 10 over two veth slaves; the peer of
# the initially active slave is flapped (down ~20 ms, up ~30 ms) 200 times,
# i.e. 200 flaps in ~10 s.
# The bond must survive: still up with an active slave; the flapped slave's
# link failure count is > 0 (not necessarily 200: a flap shorter than the
# 10 ms MII period can be missed) and the other slave's stays 0.
# Steps dumped: before, after-storm (after 2 s of settling).
. /lab/lib.sh
IP=/sbin/ip
FLAPS=${LAB_FLAPS:-200}

$IP link add bond0 type bond mode active-backup miimon 10 || lab_error bond0
lab_veth_slave veth0 vpeer0 bond0
lab_veth_slave veth1 vpeer1 bond0
$IP link set bond0 up
bond_ready() {
    [ "$(grep -c '^MII Status: up$' /proc/net/bonding/bond0)" -eq 3 ] &&
    [ "$(lab_bond_field bond0 'Currently Active Slave')" != None ]
}
lab_wait 100 bond_ready || lab_error "bond0 not ready"
lab_dump before

active=$(lab_bond_field bond0 'Currently Active Slave')
case $active in
    veth0) peer=vpeer0 ;;
    *) peer=vpeer1 ;;
esac
t0=$(lab_uptime)
# One `ip -batch` process does the 400 link changes: under TCG every
# fork+exec costs tens of ms, so a loop of /sbin/ip + usleep runs ~3x too
# slow.  The feeder is busybox sh because its `read -t` takes fractions of a
# second and is a builtin (no fork): it times out on a FIFO opened read-write,
# which never delivers data and never reaches EOF.
mkfifo /tmp/flap.fifo
busybox sh -c '
    exec 3<>/tmp/flap.fifo
    i=0
    while [ $i -lt "$1" ]; do
        echo "link set $2 down"
        read -t "$3" x <&3
        echo "link set $2 up"
        read -t "$4" x <&3
        i=$((i + 1))
    done
' flap "$FLAPS" "$peer" "${LAB_FLAP_DOWN:-0.02}" "${LAB_FLAP_UP:-0.03}" | $IP -batch -
storm_rc=$?
rm -f /tmp/flap.fifo
t1=$(lab_uptime)
lab_sleep 20
lab_dump after-storm
lab_note storm.txt "flapped_slave=$active
flapped_peer=$peer
flaps=$FLAPS
batch_rc=$storm_rc
start=$t0
end=$t1"

$IP link del bond0
$IP link del veth0
$IP link del veth1
