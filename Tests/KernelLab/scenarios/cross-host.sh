#!/bin/dash
# cross-host (issue 15): two hosts behind one VLAN-aware switch, each with its own agent;
# kvmnet-diag asks both (--peer) and joins the halves.
#   Host A (this guest; its agent on 127.0.0.1:10245): bond0 (active-backup) over u0, u1;
#     bond0.10 -> brvlan-10 <- vm1 vnet0 (10.10.10.1); bond0.20 -> brvlan-20 <- vm2 vnet1
#     (10.20.20.2). The switch ports s0, s1 carry VLAN 10 and 20 tagged.
#   Host B (netns hostb; its own agent on 10.98.2.2:10246, reached over mgb/mgmt0): bond0
#     over hb0, hb1; the same bridges; vm3 (10.10.10.3) on brvlan-10, vm4 (10.20.20.4) and
#     vm5 (10.10.10.5) on brvlan-20. The switch ports t0, t1 facing it carry VLAN 10 only.
# Step truth/: vm1-vm3 (VLAN 10 both ways: answers), vm2-vm4 (VLAN 20, which the switch does
# not carry to host B: crosshost.switch_not_forwarding), vm1-vm5 (10.10.10.0/24 on both,
# but VLAN 10 against VLAN 20 on the wire: crosshost.wire_vlan_mismatch).
. /lab/lib.sh
IP=/sbin/ip
B=hostb
BDIR=/run/hostb/libvirt/qemu

# xh_vlan_bridges [NETNS]: bond0.10 -> brvlan-10 and bond0.20 -> brvlan-20, on this host
# or in NETNS; both hosts have the same layout.
xh_vlan_bridges() {
    _n=${1:+-n $1}
    for v in 10 20; do
        $IP $_n link add link bond0 name "bond0.$v" type vlan id "$v" || lab_error "${1:-}bond0.$v"
        $IP $_n link add "brvlan-$v" type bridge stp_state 0 forward_delay 0 || lab_error "${1:-}brvlan-$v"
        $IP $_n link set "bond0.$v" master "brvlan-$v"
        $IP $_n link set "bond0.$v" up
        $IP $_n link set "brvlan-$v" up
    done
}

lab_switch sw
lab_uplink bond0 active-backup sw 2 "10 20"
$IP link set bond0 up
xh_vlan_bridges
lab_vm vm1 vnet0 brvlan-10 10.10.10.1
lab_vm vm2 vnet1 brvlan-20 10.20.20.2

# Host B.
$IP netns add "$B" || lab_error "netns $B"
$IP -n "$B" link set lo up
$IP -n "$B" link add bond0 type bond mode active-backup miimon 100 || lab_error "$B bond0"
for i in 0 1; do
    $IP -n "$B" link add "hb$i" type veth peer name "t$i" netns sw || lab_error "veth hb$i"
    $IP -n "$B" link set "hb$i" master bond0
    $IP -n sw link set "t$i" master swbr
    $IP netns exec sw /sbin/bridge vlan add dev "t$i" vid 10
    $IP -n sw link set "t$i" up
    $IP -n "$B" link set "hb$i" up
done
$IP -n "$B" link set bond0 up
xh_vlan_bridges "$B"
mkdir -p "$BDIR"
# xh_vm NS TAP BRIDGE ADDR: a VM of host B (its tap in hostb, its status file in BDIR).
xh_vm() {
    $IP netns add "$1" || lab_error "netns $1"
    $IP -n "$B" link add "$2" type veth peer name eth0 netns "$1" || lab_error "veth $2"
    $IP -n "$B" link set "$2" master "$3"
    $IP -n "$B" link set "$2" up
    $IP -n "$1" link set lo up
    $IP -n "$1" addr add "$4/24" dev eth0
    $IP -n "$1" link set eth0 up
    _mac=$($IP -n "$1" link show eth0 | awk '/link\/ether/ {print $2}')
    LAB_LIBVIRT_DIR=$BDIR
    lab_domstatus "$1" "$2" "$3" "$_mac"
    LAB_LIBVIRT_DIR=
}
xh_vm vm3 vnet0 brvlan-10 10.10.10.3
xh_vm vm4 vnet1 brvlan-20 10.20.20.4
xh_vm vm5 vnet2 brvlan-20 10.10.10.5
# Management: this guest reaches host B's agent at 10.98.2.2.
$IP link add mgb type veth peer name mgmt0 netns "$B" || lab_error "veth mgb"
$IP addr add 10.98.2.1/24 dev mgb
$IP link set mgb up
$IP -n "$B" addr add 10.98.2.2/24 dev mgmt0
$IP -n "$B" link set mgmt0 up
$IP netns exec "$B" /bin/kvmnet-agent --web.listen-address=10.98.2.2:10246 --libvirt-dir="$BDIR" \
    --ifcfg-dir=/nonexistent --log.level=warning > /tmp/agent-b.log 2>&1 &
echo $! > /run/kvmnet-agent-b.pid

lab_wait 100 lab_forwarding vnet0 vnet1 bond0.10 bond0.20 || lab_error "host A ports not forwarding"
fwd_b() { for p in vnet0 vnet1 vnet2 bond0.10 bond0.20; do
    [ "$($IP netns exec "$B" cat /sys/class/net/$p/brport/state)" = 3 ] || return 1; done; }
lab_wait 100 fwd_b || lab_error "host B ports not forwarding"
mii() { [ "$(lab_bond_field bond0 'MII Status')" = up ]; }
lab_wait 50 mii || lab_error "bond0 MII down"
lab_wait 100 wget -q -O /dev/null http://10.98.2.2:10246/-/healthy || lab_error "host B's agent does not answer"
usleep 1500000   # both agents apply the last events

# xh_truth NAME NS DEST_IP A B: the ping (ground truth) and kvmnet-diag across both agents.
xh_truth() {
    lab_capture "truth/$1/ping.txt" $IP netns exec "$2" ping -c 3 -W 1 "$3"
    usleep 1000000   # the agents apply the FDB events of the ping
    lab_capture "truth/$1/diag.json" timeout 180 /bin/kvmnet-diag diagnose "$4" "$5" \
        --peer 127.0.0.1:10245 --peer 10.98.2.2:10246 --http.timeout 60 --json
    lab_capture "truth/$1/diag.txt" timeout 180 /bin/kvmnet-diag diagnose "$4" "$5" \
        --peer 127.0.0.1:10245 --peer 10.98.2.2:10246 --http.timeout 60
    return 0
}
xh_truth vm1-vm3 vm1 10.10.10.3 vm1 vm3
xh_truth vm2-vm4 vm2 10.20.20.4 vm2 vm4
xh_truth vm1-vm5 vm1 10.10.10.5 vm1 vm5
lab_capture agent-b.log cat /tmp/agent-b.log

kill "$(cat /run/kvmnet-agent-b.pid)" 2>/dev/null
lab_forget_vms
rm -rf /run/hostb
for n in vm1 vm2 vm3 vm4 vm5 "$B" sw; do $IP netns del "$n"; done
$IP link del mgb 2>/dev/null
for v in 10 20; do $IP link del "brvlan-$v"; $IP link del "bond0.$v"; done
$IP link del bond0
lab_wait 30 sh -c '! /sbin/ip link show u0 && ! /sbin/ip link show vnet0'
