#!/bin/dash
# vlan-dev-on-aware-bridge (issue 13): the host's own address on a VLAN device of a
# VLAN-aware bridge (br0.10, 10.10.10.1), as Proxmox hosts put their management address.
#   br0: vlan_filtering 1; br0 self: VLAN 10 tagged; br0.10 over br0;
#     vm1 vnet0 PVID 10 (10.10.10.10), vm2 vnet1 PVID 20 (10.10.10.20).
# Step truth/: vm1 reaches the host's address, vm2 does not (VLAN 20).
# Step truth-noself/: VLAN 10 removed from br0's own port (self): the bridge drops
# br0.10's tagged frames, vm1 no longer reaches the host (bridge.vlan_not_on_port).
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

$IP link add br0 type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error br0
$IP link set br0 up
$BR vlan add dev br0 vid 10 self || lab_error "br0 self vid 10"
$IP link add link br0 name br0.10 type vlan id 10 || lab_error br0.10
$IP addr add 10.10.10.1/24 dev br0.10
$IP link set br0.10 up
lab_vm vm1 vnet0 br0 10.10.10.10
lab_vm vm2 vnet1 br0 10.10.10.20
$BR vlan del dev vnet0 vid 1
$BR vlan add dev vnet0 vid 10 pvid untagged
$BR vlan del dev vnet1 vid 1
$BR vlan add dev vnet1 vid 20 pvid untagged
lab_wait 100 lab_forwarding vnet0 vnet1 || lab_error "br0 ports not forwarding"

lab_truth vm1-host vm1 10.10.10.1 vm1 br0.10
lab_truth vm2-host vm2 10.10.10.1 vm2 br0.10
lab_truth vm1-vm2 vm1 10.10.10.20 vm1 vm2
lab_vlan_view layout

$BR vlan del dev br0 vid 10 self
# the neighbour entries learned above would answer for a while: forget them
$IP neigh flush dev br0.10
$IP -n vm1 neigh flush dev eth0
LAB_TRUTH_STEP=truth-noself lab_truth vm1-host vm1 10.10.10.1 vm1 br0.10
lab_vlan_view noself

lab_forget_vms
for n in vm1 vm2; do $IP netns del "$n"; done
$IP link del br0.10
$IP link del br0
lab_wait 30 sh -c '! /sbin/ip link show vnet0'
