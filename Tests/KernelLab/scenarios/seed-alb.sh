#!/bin/dash
# seed-alb (issue 13): the seed's own layout, with a second host behind a switch.
#   bond0 (balance-alb, miimon 100) over veth u0, u1 -> br1 -> br1.10 -> brvlan-10,
#   br1.20 -> brvlan-20;  vm1 vnet0 (10.10.10.10) and vm3 vnet2 (.30) on brvlan-10,
#   vm2 vnet1 (.20) on brvlan-20.
#   Switch namespace sw: the peers s0, s1 on a VLAN-aware swbr carrying VLAN 10 and 20
#   tagged; host2 (10.10.10.100) in VLAN 10 and host20 (10.10.10.200) in VLAN 20 behind it.
# Step truth/: every pair and every VM's way out to the host of its VLAN, pinged and
# diagnosed (the path must go down to bond0 and its slaves; bond.mode_unsuited_for_bridge).
# Step dead/: both switch ports down, so bond0 has no slave with link: the way out fails
# and the verdict must name the bond below br1.
. /lab/lib.sh
IP=/sbin/ip

lab_switch sw
lab_uplink bond0 balance-alb sw 2 "10 20"
lab_switch_host sw host2 x10 10.10.10.100 10
lab_switch_host sw host20 x20 10.10.10.200 20

$IP link add br1 type bridge stp_state 0 forward_delay 0 || lab_error br1
$IP link set bond0 master br1
$IP link set bond0 up
$IP link set br1 up
for v in 10 20; do
    $IP link add link br1 name "br1.$v" type vlan id "$v" || lab_error "br1.$v"
    $IP link add "brvlan-$v" type bridge stp_state 0 forward_delay 0 || lab_error "brvlan-$v"
    $IP link set "br1.$v" master "brvlan-$v"
    $IP link set "br1.$v" up
    $IP link set "brvlan-$v" up
done
lab_vm vm1 vnet0 brvlan-10 10.10.10.10
lab_vm vm2 vnet1 brvlan-20 10.10.10.20
lab_vm vm3 vnet2 brvlan-10 10.10.10.30
lab_wait 100 lab_forwarding vnet0 vnet1 vnet2 br1.10 br1.20 bond0 || lab_error "ports not forwarding"
mii() { [ "$(lab_bond_field bond0 'MII Status')" = "$1" ]; }
lab_wait 50 mii up || lab_error "bond0 MII down"

lab_truth vm1-vm3 vm1 10.10.10.30 vm1 vm3
lab_truth vm1-vm2 vm1 10.10.10.20 vm1 vm2
lab_truth vm2-vm3 vm2 10.10.10.30 vm2 vm3
lab_truth vm1-ext vm1 10.10.10.100 vm1 --external
lab_truth vm2-ext vm2 10.10.10.200 vm2 --external
lab_truth vm3-ext vm3 10.10.10.100 vm3 --external
lab_dump layout

# The switch ports go down: bond0 loses every slave's link.
$IP -n sw link set s0 down
$IP -n sw link set s1 down
lab_wait 50 mii down || lab_error "bond0 still up"
$IP -n vm1 neigh flush dev eth0
LAB_TRUTH_STEP=dead lab_truth vm1-ext vm1 10.10.10.100 vm1 --external
LAB_TRUTH_STEP=dead lab_truth vm1-vm3 vm1 10.10.10.30 vm1 vm3

lab_forget_vms
for n in vm1 vm2 vm3 host2 host20 sw; do $IP netns del "$n"; done
for v in 10 20; do $IP link del "brvlan-$v"; $IP link del "br1.$v"; done
$IP link del br1
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
