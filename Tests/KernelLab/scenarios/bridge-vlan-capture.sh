#!/bin/dash
# bridge-vlan-capture: VLAN-aware bridges (issue 13), for the netlink decoder's fixtures.
#   br0: vlan_filtering 1, 802.1Q, default_pvid 1, ports (veth, peers unbridged):
#     access0  PVID-only access port: VLAN 10 PVID untagged (VLAN 1 removed)
#     trunk0   trunk: 1 PVID untagged (the default) + 2-4094 tagged
#     multi0   single VIDs: 1 PVID untagged, 10, 20 untagged, 30, 100 untagged
#     nopvid0  no PVID: 10 and 20 tagged (VLAN 1 removed)
#     br0 self 1 PVID untagged (the default), 10, 20 untagged
#   br1: vlan_filtering 1, 802.1ad, default_pvid 0:
#     qinq0    100 PVID untagged;  empty0: no VLAN at all;  br1 self: 100
# Step dump/: the AF_BRIDGE RTM_GETLINK dump with RTEXT_FILTER_BRVLAN_COMPRESSED
# (nlmsg-bridge.txt), the AF_UNSPEC dump (nlmsg-unspec.txt: IFLA_BR_VLAN_PROTOCOL,
# IFLA_BR_VLAN_DEFAULT_PVID), and at the same moment `bridge -c -j -d vlan show`
# (bridge_vlan.json) and `ip -d -j link show` (ip_link.json).
# Steps ev-<n>/: one change each, with every message it sent to RTNLGRP_LINK and
# RTNLGRP_BRVLAN (nlmsg-events.txt: "<group> <type> <family> <name> <hex>") and
# `bridge -c -j -d vlan show` right after it.
. /lab/lib.sh
IP=/sbin/ip
BR=/sbin/bridge

$IP link add br0 type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error br0
$IP link add br1 type bridge vlan_filtering 1 vlan_protocol 802.1ad vlan_default_pvid 0 stp_state 0 forward_delay 0 \
    || lab_error br1
port() {
    $IP link add "$1" type veth peer name "$1p" || lab_error "veth $1"
    $IP link set "$1" master "$2" || lab_error "$1 master $2"
}
for p in access0 trunk0 multi0 nopvid0; do port "$p" br0; done
for p in qinq0 empty0; do port "$p" br1; done
vl() { $BR vlan "$@" || lab_error "bridge vlan $*"; }
vl del dev access0 vid 1
vl add dev access0 vid 10 pvid untagged
vl add dev trunk0 vid 2-4094
vl add dev multi0 vid 10
vl add dev multi0 vid 20 untagged
vl add dev multi0 vid 30
vl add dev multi0 vid 100 untagged
vl del dev nopvid0 vid 1
vl add dev nopvid0 vid 10
vl add dev nopvid0 vid 20
vl add dev br0 vid 10 self
vl add dev br0 vid 20 untagged self
vl add dev qinq0 vid 100 pvid untagged
vl add dev br1 vid 100 self
for d in br0 br1 access0 trunk0 multi0 nopvid0 qinq0 empty0; do
    $IP link set "$d" up
    $IP link set "${d}p" up 2>/dev/null
done

snap() {
    lab_capture "$1/bridge_vlan.json" $BR -c -j -d vlan show
}
lab_capture dump/nlmsg-bridge.txt /bin/nlcapture bridge
lab_capture dump/nlmsg-unspec.txt /bin/nlcapture
snap dump
lab_capture dump/ip_link.json $IP -d -j link show
# kvmnet-diag's own read of the same moment (its snapshot JSON), when it is packed:
# the VLANs must reach it as iproute2 shows them, and a --no-netlink read must say
# they are unknown rather than invent them.
if [ -x /bin/kvmnet-diag ]; then
    lab_capture dump/diag-snapshot.log timeout 120 /bin/kvmnet-diag snapshot -o /tmp/brvlan-snapshot.json \
        --ifcfg-dir /nonexistent
    lab_capture dump/diag-snapshot.json /bin/cat /tmp/brvlan-snapshot.json
    lab_capture dump/diag-no-netlink.json timeout 120 /bin/kvmnet-diag --no-netlink --json --ifcfg-dir /nonexistent
    rm -f /tmp/brvlan-snapshot.json
fi

# ev STEP CMD...: CMD's notifications, then the VLANs after it.
ev() {
    _s=$1; shift
    lab_capture "$_s/nlmsg-events.txt" /bin/nlcapture monitor "$@" || lab_error "$_s: $*"
    snap "$_s"
}
ev ev-01-add-port-untagged $BR vlan add dev nopvid0 vid 30 untagged
ev ev-02-add-port-range $BR vlan add dev multi0 vid 200-210
ev ev-03-set-pvid $BR vlan add dev nopvid0 vid 10 pvid
ev ev-04-del-port-range $BR vlan del dev multi0 vid 200-210
ev ev-05-add-self $BR vlan add dev br0 vid 30 self
ev ev-06-del-self $BR vlan del dev br0 vid 30 self
ev ev-07-del-last $BR vlan del dev access0 vid 10
ev ev-08-leave $IP link set nopvid0 nomaster
ev ev-09-join $IP link set nopvid0 master br0
ev ev-10-add-8021ad $BR vlan add dev empty0 vid 200 pvid

for d in access0 trunk0 multi0 nopvid0 qinq0 empty0 br0 br1; do $IP link del "$d"; done
