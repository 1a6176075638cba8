#!/bin/dash
# vlan-aware (issue 13): the layout of the issue, with ping as the ground truth.
#   bond0 (active-backup, miimon 100) over veth u0, u1, whose peers are ports of the
#   switch namespace sw: a VLAN-aware bridge swbr that carries VLAN 10 and 20 tagged to
#   the host, with ext10 (10.10.10.100, PVID 10) and ext20 (10.10.10.200, PVID 20).
#   br0: vlan_filtering 1 over bond0, which allows VLAN 10 only (tagged);
#     vm1 vnet0 PVID 10 (10.10.10.10), vm2 vnet1 PVID 20 (.20), vm3 vnet2 PVID 10 (.30).
# One subnet: only the VLANs keep vm2 apart. Every pair of VMs and every VM's way out
# (to the ext host of its VLAN) is pinged and diagnosed (step truth/); the VLANs and the
# agent's metrics of the same moment in step layout/.
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

lab_switch sw
lab_uplink bond0 active-backup sw 2 "10 20"
lab_switch_host sw ext10 x10 10.10.10.100 10
lab_switch_host sw ext20 x20 10.10.10.200 20

$IP link add br0 type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error br0
$IP link set bond0 master br0
$IP link set bond0 up
$IP link set br0 up
$BR vlan del dev bond0 vid 1
$BR vlan add dev bond0 vid 10
lab_vm vm1 vnet0 br0 10.10.10.10
lab_vm vm2 vnet1 br0 10.10.10.20
lab_vm vm3 vnet2 br0 10.10.10.30
for spec in vnet0:10 vnet1:20 vnet2:10; do
    $BR vlan del dev "${spec%%:*}" vid 1
    $BR vlan add dev "${spec%%:*}" vid "${spec#*:}" pvid untagged || lab_error "vlan $spec"
done
lab_wait 100 lab_forwarding vnet0 vnet1 vnet2 bond0 || lab_error "br0 ports not forwarding"
[ "$(lab_bond_field bond0 'MII Status')" = up ] || lab_error "bond0 MII down"

lab_truth vm1-vm3 vm1 10.10.10.30 vm1 vm3
LAB_TRUTH_TEXT=1 lab_truth vm1-vm2 vm1 10.10.10.20 vm1 vm2
lab_truth vm2-vm3 vm2 10.10.10.30 vm2 vm3
lab_truth vm1-ext vm1 10.10.10.100 vm1 --external
lab_truth vm2-ext vm2 10.10.10.200 vm2 --external
lab_truth vm3-ext vm3 10.10.10.100 vm3 --external
lab_vlan_view layout

lab_forget_vms
for n in vm1 vm2 vm3 ext10 ext20 sw; do $IP netns del "$n"; done
$IP link del br0
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
