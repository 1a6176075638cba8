#!/bin/dash
# qinq (issue 13): an 802.1ad VLAN-aware bridge (QinQ): the host adds an S-tag, the VMs
# bring their own 802.1Q C-tags.
#   bond0 (active-backup) over veth u0; its peer s0 in the provider namespace pe, where
#   s0.100 (802.1ad, S-VLAN 100) -> s0.100.10 (802.1Q, C-VLAN 10) holds 10.10.10.100.
#   br0: vlan_filtering 1, vlan_protocol 802.1ad; bond0 carries S-VLAN 100 (tagged);
#     vm1 vnet0 PVID 100 untagged; inside vm1: eth0.10 (802.1Q) 10.10.10.10
#     vm2 vnet1 PVID 200 untagged (S-VLAN 200 is not on bond0); eth0.10 10.10.10.20
# Truth: vm1 reaches 10.10.10.100 through both tags; vm2 does not
# (bridge.vlan_not_on_uplink); vm1 and vm2 do not reach each other (S-VLANs differ).
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

$IP netns add pe
$IP -n pe link set lo up
$IP link add bond0 type bond mode active-backup miimon 100 || lab_error bond0
$IP link add u0 type veth peer name s0 netns pe || lab_error "veth u0"
$IP link set u0 master bond0 || lab_error "enslave u0"
$IP link set u0 up
$IP -n pe link set s0 up
$IP -n pe link add link s0 name s0.100 type vlan protocol 802.1ad id 100 || lab_error s0.100
$IP -n pe link add link s0.100 name s0.100.10 type vlan protocol 802.1Q id 10 || lab_error s0.100.10
$IP -n pe link set s0.100 up
$IP -n pe addr add 10.10.10.100/24 dev s0.100.10
$IP -n pe link set s0.100.10 up

$IP link add br0 type bridge vlan_filtering 1 vlan_protocol 802.1ad stp_state 0 forward_delay 0 || lab_error br0
$IP link set bond0 master br0
$IP link set bond0 up
$IP link set br0 up
$BR vlan del dev bond0 vid 1
$BR vlan add dev bond0 vid 100
# qvm NS TAP SVLAN ADDR: a VM whose own 802.1Q VLAN 10 rides in S-VLAN SVLAN.
qvm() {
    $IP netns add "$1"
    $IP link add "$2" type veth peer name eth0 netns "$1" || lab_error "veth $2"
    $IP link set "$2" master br0
    $BR vlan del dev "$2" vid 1
    $BR vlan add dev "$2" vid "$3" pvid untagged
    $IP link set "$2" up
    $IP -n "$1" link set lo up
    $IP -n "$1" link set eth0 up
    $IP -n "$1" link add link eth0 name eth0.10 type vlan id 10 || lab_error "$1 eth0.10"
    $IP -n "$1" addr add "$4/24" dev eth0.10
    $IP -n "$1" link set eth0.10 up
    lab_domstatus "$1" "$2" br0 "$($IP -n "$1" link show eth0 | awk '/link\/ether/ {print $2}')"
}
qvm vm1 vnet0 100 10.10.10.10
qvm vm2 vnet1 200 10.10.10.20
lab_wait 100 lab_forwarding vnet0 vnet1 bond0 || lab_error "br0 ports not forwarding"

lab_truth vm1-ext vm1 10.10.10.100 vm1 --external
lab_truth vm2-ext vm2 10.10.10.100 vm2 --external
lab_truth vm1-vm2 vm1 10.10.10.20 vm1 vm2
lab_vlan_view layout

lab_forget_vms
for n in vm1 vm2 pe; do $IP netns del "$n"; done
$IP link del br0
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
