#!/bin/dash
# vlan-trunk-many (issue 13): a VLAN-aware bridge with many ports and wide trunks.
#   bond0 (active-backup) over veth u0 to the switch namespace sw (swbr: VLAN 100 and 200
#   tagged towards the host; ext100 10.10.10.100 in VLAN 100);
#   br0: vlan_filtering 1; bond0 a trunk of 2-4094;
#     vmA vnet0: PVID 100 (access);                         10.10.10.1
#     vmB vnet1: trunk 2-4094 tagged + PVID 100 untagged;   10.10.10.2
#     vmC vnet2: trunk 2-4094 tagged, no PVID;              10.10.10.3  (bridge.port_no_pvid)
#     vmD vnet3: PVID 200;                                  10.10.10.4
#   and 24 more ports t0..t23 with no VM behind (veth, peers left alone): even ones a
#   2-4094 trunk with PVID 1, odd ones PVID 300-323 only. Metrics vs bridge vlan show.
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

lab_switch sw
lab_uplink bond0 active-backup sw 1 "100 200"
lab_switch_host sw ext100 x100 10.10.10.100 100

$IP link add br0 type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error br0
$IP link set bond0 master br0
$IP link set bond0 up
$IP link set br0 up
$BR vlan add dev bond0 vid 2-4094 || lab_error "bond0 trunk"
lab_vm vmA vnet0 br0 10.10.10.1
lab_vm vmB vnet1 br0 10.10.10.2
lab_vm vmC vnet2 br0 10.10.10.3
lab_vm vmD vnet3 br0 10.10.10.4
$BR vlan del dev vnet0 vid 1
$BR vlan add dev vnet0 vid 100 pvid untagged
$BR vlan del dev vnet1 vid 1
$BR vlan add dev vnet1 vid 2-4094
$BR vlan add dev vnet1 vid 100 pvid untagged
$BR vlan del dev vnet2 vid 1
$BR vlan add dev vnet2 vid 2-4094
$BR vlan del dev vnet3 vid 1
$BR vlan add dev vnet3 vid 200 pvid untagged
i=0
while [ $i -lt 24 ]; do
    $IP link add "t$i" type veth peer name "t${i}p" || lab_error "veth t$i"
    $IP link set "t$i" master br0
    if [ $((i % 2)) = 0 ]; then
        $BR vlan add dev "t$i" vid 2-4094
    else
        $BR vlan del dev "t$i" vid 1
        $BR vlan add dev "t$i" vid $((300 + i)) pvid untagged
    fi
    $IP link set "t${i}p" up
    $IP link set "t$i" up
    i=$((i + 1))
done
lab_wait 100 lab_forwarding vnet0 vnet1 vnet2 vnet3 bond0 || lab_error "br0 ports not forwarding"

lab_truth vmA-vmB vmA 10.10.10.2 vmA vmB
lab_truth vmA-vmC vmA 10.10.10.3 vmA vmC
lab_truth vmA-vmD vmA 10.10.10.4 vmA vmD
lab_truth vmB-vmD vmB 10.10.10.4 vmB vmD
lab_truth vmC-vmD vmC 10.10.10.4 vmC vmD
lab_truth vmA-ext vmA 10.10.10.100 vmA --external
lab_truth vmB-ext vmB 10.10.10.100 vmB --external
lab_truth vmC-ext vmC 10.10.10.100 vmC --external
lab_vlan_view layout

lab_forget_vms
for n in vmA vmB vmC vmD ext100 sw; do $IP netns del "$n"; done
i=0
while [ $i -lt 24 ]; do $IP link del "t$i"; i=$((i + 1)); done
$IP link del br0
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
