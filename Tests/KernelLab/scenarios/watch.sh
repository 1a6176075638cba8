#!/bin/dash
# watch (issue 16): `kvmnet-diag watch` names the one known cause of each failed ping,
# and nothing for a healthy pair; ping is the ground truth.
#   br0: vlan_filtering 1, no uplink, br0 itself in VLAN 1 only (so the bridge refuses
#   its own copy of VLAN 10 broadcasts: the watch must not count that as a drop);
#   vm1 vnet0 PVID 10 (10.30.0.1), vm2 vnet1 PVID 20 (10.30.0.2), vm3 vnet2 PVID 10 (10.30.0.3).
# Steps: healthy (vm1-vm3), vlan (vm1-vm2: VLAN mismatch), mtu (vnet2's MTU 1000,
# 1200-byte pings vm1-vm3), blocking (vnet2 in STP state disabled, vm1-vm3: with STP off
# the kernel turns a port set to blocking (4) back to forwarding at once; disabled stays).
# The firewall causes (nft bridge family, iptables FORWARD DROP with br_netfilter) are
# tested on the build host (Tests/KVMNetDiagnoseTests/LiveWatchTests.swift): the lab's
# guest has no nftables.
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

$IP link add br0 type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error br0
$IP link set br0 up
lab_vm vm1 vnet0 br0 10.30.0.1
lab_vm vm2 vnet1 br0 10.30.0.2
lab_vm vm3 vnet2 br0 10.30.0.3
for spec in vnet0:10 vnet1:20 vnet2:10; do
    $BR vlan del dev "${spec%%:*}" vid 1
    $BR vlan add dev "${spec%%:*}" vid "${spec#*:}" pvid untagged || lab_error "vlan $spec"
done
lab_wait 100 lab_forwarding vnet0 vnet1 vnet2 || lab_error "br0 ports not forwarding"

lab_watch healthy vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3
lab_watch vlan vm1 10.30.0.2 vm2 10.30.0.1 56 vm1 vm2
$IP link set vnet2 mtu 1000 || lab_error "vnet2 mtu"
lab_watch mtu vm1 10.30.0.3 vm3 10.30.0.1 1200 vm1 vm3
$IP link set vnet2 mtu 1500
$BR link set dev vnet2 state 0 || lab_error "vnet2 disabled"
$IP -d link show vnet2 | grep -q "state disabled" || lab_error "vnet2 not disabled"
lab_watch blocking vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3

lab_forget_vms
for n in vm1 vm2 vm3; do $IP netns del "$n"; done
$IP link del br0
lab_wait 30 sh -c '! /sbin/ip link show vnet0'
