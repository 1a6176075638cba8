#!/bin/dash
# vlan-filtering-off (issue 13, bridge.vlan_filtering_off): libvirt's <vlan> on a bridge
# that does not filter VLANs.
#   bond0 (active-backup) over veth u0 to the switch namespace sw, whose VLAN-aware swbr
#   carries VLAN 10 tagged to the host (not untagged: s0 has no PVID) and has ext10
#   (10.10.10.100, PVID 10).
#   brplain (vlan_filtering 0) over bond0; vm1 vnet0 asks for VLAN 10 (<vlan><tag id='10'/>),
#   vm2 vnet1 for VLAN 20: no tag is applied.
# Truth: vm1 and vm2 reach each other (nothing filters, so the verdict may warn, must not
# fail); vm1's way out to ext10 fails (its frames leave untagged): bridge.vlan_filtering_off.
. /lab/lib.sh
IP=/sbin/ip

lab_switch sw
lab_uplink bond0 active-backup sw 1 10 nopvid
lab_switch_host sw ext10 x10 10.10.10.100 10

$IP link add brplain type bridge stp_state 0 forward_delay 0 || lab_error brplain
$IP link set bond0 master brplain
$IP link set bond0 up
$IP link set brplain up
lab_vm vm1 vnet0 brplain 10.10.10.10 "<vlan><tag id='10'/></vlan>"
lab_vm vm2 vnet1 brplain 10.10.10.20 "<vlan><tag id='20'/></vlan>"
lab_wait 100 lab_forwarding vnet0 vnet1 bond0 || lab_error "brplain ports not forwarding"

lab_truth vm1-vm2 vm1 10.10.10.20 vm1 vm2
lab_truth vm1-ext vm1 10.10.10.100 vm1 --external
lab_vlan_view layout

lab_forget_vms
for n in vm1 vm2 ext10 sw; do $IP netns del "$n"; done
$IP link del brplain
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
