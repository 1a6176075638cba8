#!/bin/dash
# kvm-layout: the usual KVM host layout.
#   veth0, veth1 -> bond0 (active-backup, miimon 100)
#   bond0.10 -> bridge brvlan-10 ;  bond0.20 -> bridge brvlan-20
#   netns vm1 (10.10.10.10/24) --vnet0--> brvlan-10
#   netns vm2 (10.10.10.20/24) --vnet1--> brvlan-20
#   netns vm3 (10.10.10.30/24) --vnet2--> brvlan-10   (positive control)
# vm1 and vm2 share a subnet but sit in different VLANs, and nothing outside
# the host bridges VLAN 10 and 20 together, so vm1 cannot ping vm2.  vm1 CAN
# ping vm3 (same bridge): proof that the failure comes from the VLAN split,
# not from a broken setup.  The pings make the bridges learn the VM MACs.
# Steps dumped: layout (after the pings), plus ping outputs.
. /lab/lib.sh
IP=/sbin/ip

$IP link add bond0 type bond mode active-backup miimon 100 || lab_error bond0
lab_veth_slave veth0 vpeer0 bond0
lab_veth_slave veth1 vpeer1 bond0
$IP link set bond0 up
for v in 10 20; do
    $IP link add link bond0 name "bond0.$v" type vlan id "$v" || lab_error "bond0.$v"
    $IP link add "brvlan-$v" type bridge stp_state 0 forward_delay 0 || lab_error "brvlan-$v"
    $IP link set "bond0.$v" master "brvlan-$v"
    $IP link set "bond0.$v" up
    $IP link set "brvlan-$v" up
done
# vm_add NS VNET BRIDGE ADDR
vm_add() {
    $IP netns add "$1"
    $IP link add "$2" type veth peer name eth0 netns "$1"
    $IP link set "$2" master "$3"
    $IP link set "$2" up
    $IP -n "$1" link set lo up
    $IP -n "$1" addr add "$4/24" dev eth0
    $IP -n "$1" link set eth0 up
}
vm_add vm1 vnet0 brvlan-10 10.10.10.10
vm_add vm2 vnet1 brvlan-20 10.10.10.20
vm_add vm3 vnet2 brvlan-10 10.10.10.30

ports_fwd() {
    for p in vnet0 vnet1 vnet2 bond0.10 bond0.20; do
        /sbin/ip -d link show "$p" | grep -q 'state forwarding' || return 1
    done
    [ "$(lab_bond_field bond0 'MII Status')" = up ]
}
lab_wait 100 ports_fwd || lab_error "bridge ports not forwarding"

lab_capture ping/vm1-to-vm2.txt /sbin/ip netns exec vm1 ping -c 3 -W 1 10.10.10.20
lab_capture ping/vm1-to-vm3.txt /sbin/ip netns exec vm1 ping -c 3 -W 2 10.10.10.30
lab_capture ping/vm2-to-vm1.txt /sbin/ip netns exec vm2 ping -c 3 -W 1 10.10.10.10
lab_dump layout
lab_capture layout/bridge_fdb_brvlan-10.txt /sbin/bridge fdb show br brvlan-10
lab_capture layout/bridge_fdb_brvlan-20.txt /sbin/bridge fdb show br brvlan-20
for n in vm1 vm2 vm3; do
    lab_capture "layout/$n-eth0.json" /sbin/ip -n "$n" -j link show eth0
done
if [ -x /bin/kvmnet-diag ]; then
    # The "VMs" are namespaces: describe them to kvmnet-diag as libvirt does for running
    # domains (a domstatus file per domain), so that it can resolve vm1 and vm2 by name.
    mkdir -p /run/libvirt/qemu
    for spec in vm1:vnet0:brvlan-10 vm2:vnet1:brvlan-20 vm3:vnet2:brvlan-10; do
        name=${spec%%:*}; rest=${spec#*:}; tap=${rest%%:*}; br=${rest#*:}
        mac=$(/sbin/ip -n "$name" link show eth0 | awk '/link\/ether/ {print $2}')
        cat > "/run/libvirt/qemu/$name.xml" <<XML
<domstatus state='running' reason='booted' pid='1'>
  <domain type='qemu' id='1'>
    <name>$name</name>
    <devices>
      <interface type='bridge'>
        <mac address='$mac'/>
        <source bridge='$br'/>
        <target dev='$tap'/>
        <model type='virtio'/>
      </interface>
    </devices>
  </domain>
</domstatus>
XML
    done
    lab_capture layout/diag-vm1-vm2.txt timeout 120 /bin/kvmnet-diag diagnose vm1 vm2 --ifcfg-dir /nonexistent
    lab_diag layout/diag-vm1-vm2.json vm1 vm2
    lab_diag layout/diag-vm1-vm3.json vm1 vm3
    rm -rf /run/libvirt/qemu
fi

for n in vm1 vm2 vm3; do $IP netns del "$n"; done
for v in 10 20; do
    $IP link del "brvlan-$v"
    $IP link del "bond0.$v"
done
$IP link del bond0
$IP link del veth0
$IP link del veth1
lab_wait 30 sh -c '! /sbin/ip link show vnet0'
