#!/bin/dash
# lacp-partner: two 802.3ad bonds (lacp_rate fast) joined by two veth pairs.
# bond0 lives in the init namespace (the one the agent watches); its partner,
# also called bond0, lives in netns "sw" (the "switch").  They must negotiate
# LACP: bond0's active aggregator shows the switch bond's MAC as partner, both
# ports aggregated with actor and partner port state 63
# (activity|short_timeout|aggregating|in_sync|collecting|distributing).
# Steps dumped: converged (host side and ns-sw side).
. /lab/lib.sh
IP=/sbin/ip

$IP netns add sw
$IP -n sw link set lo up
$IP link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast || lab_error "bond0"
$IP -n sw link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast || lab_error "sw bond0"
for i in 0 1; do
    $IP link add "veth$i" type veth peer name "vpeer$i" netns sw
    $IP link set "veth$i" master bond0
    $IP -n sw link set "vpeer$i" master bond0
    $IP -n sw link set "vpeer$i" up
    $IP link set "veth$i" up
done
$IP -n sw link set bond0 up
$IP link set bond0 up

converged() {
    mac=$(sed -n 's/^\tPartner Mac Address: //p' /proc/net/bonding/bond0)
    [ -n "$mac" ] && [ "$mac" != 00:00:00:00:00:00 ] || return 1
    # actor + partner port state of both slaves
    [ "$(grep -c '^    port state: 63$' /proc/net/bonding/bond0)" -eq 4 ] || return 1
    [ "$(sed -n 's/^\tNumber of ports: //p' /proc/net/bonding/bond0)" = 2 ]
}
t0=$(lab_uptime)
lab_wait 300 converged || lab_error "LACP did not converge in 30 s"
t1=$(lab_uptime)
lab_sleep 10
lab_dump converged
lab_dump converged sw
lab_note timing.txt "up_at=$t0
converged_seen_at=$t1"

$IP netns del sw          # takes vpeer0/1 and their veth0/1 ends with it
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show veth0'
