#!/bin/dash
# modes: one bond per mode, two veth slaves each, miimon 100:
#   bond0 balance-rr, bond1 balance-xor xmit_hash_policy layer2+3,
#   bond2 balance-alb.
# Proves how each mode is named in /proc/net/bonding and in ip -d link.
# Steps dumped: up.
. /lab/lib.sh
IP=/sbin/ip

$IP link add bond0 type bond mode balance-rr miimon 100 || lab_error bond0
$IP link add bond1 type bond mode balance-xor xmit_hash_policy layer2+3 miimon 100 || lab_error bond1
$IP link add bond2 type bond mode balance-alb miimon 100 || lab_error bond2
for b in 0 1 2; do
    lab_veth_slave "veth${b}a" "vpeer${b}a" "bond$b"
    lab_veth_slave "veth${b}b" "vpeer${b}b" "bond$b"
    $IP link set "bond$b" up
done
all_up() {
    for b in bond0 bond1 bond2; do
        [ "$(lab_bond_field $b 'MII Status')" = up ] || return 1
        [ "$(grep -c '^MII Status: up$' /proc/net/bonding/$b)" -eq 3 ] || return 1
    done
    [ "$(lab_bond_field bond2 'Currently Active Slave')" != None ]
}
lab_wait 100 all_up || lab_error "bonds not all up"
lab_sleep 5
lab_dump up

for b in 0 1 2; do
    $IP link del "bond$b"
    $IP link del "veth${b}a"
    $IP link del "veth${b}b"
done
