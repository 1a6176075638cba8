#!/bin/dash
# watch (issue 16): `kvmnet-diag watch` names the one known cause of each failed ping,
# and nothing for a healthy pair; ping is the ground truth.
#   br0: vlan_filtering 1, no uplink, br0 itself in VLAN 1 only (so the bridge refuses
#   its own copy of VLAN 10 broadcasts: the watch must not count that as a drop);
#   vm1 vnet0 PVID 10 (10.30.0.1), vm2 vnet1 PVID 20 (10.30.0.2), vm3 vnet2 PVID 10 (10.30.0.3).
# Steps: healthy (vm1-vm3), vlan (vm1-vm2: VLAN mismatch), mtu (vnet2's MTU 1000,
# 1200-byte pings vm1-vm3), blocking (vnet2 in STP state disabled, vm1-vm3: with STP off
# the kernel turns a port set to blocking (4) back to forwarding at once; disabled stays),
# stp-blocking (vnet2 in STP state blocking under user-space STP, vm1-vm3).
# Then nft (vm1-vm3: an nft bridge-family rule at priority filter drops frames to vm3's
# MAC), nft-prio0 (the same rule at priority 0 with bridge-nf-call-iptables 1: whether it
# runs depends on the kernel) and iptables (vm1-vm3: iptables-nft's FORWARD policy DROP,
# seen by bridged frames through br_netfilter), each removed after its step; nf_tables and
# br_netfilter are loaded here.
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
$BR link set dev vnet2 state 3

# A port in STP state blocking, as an STP daemon (mstpd) sets it: with a /sbin/bridge-stp
# that says yes, stp_state 1 starts user-space STP (the kernel leaves port states to it, so
# blocking stays; the kernel asks /sbin/bridge-stp only for bridges in the initial netns).
printf '#!/bin/dash\necho "$*" >> /tmp/bridge-stp.calls\nexit 0\n' > /sbin/bridge-stp
chmod 755 /sbin/bridge-stp
$IP link set br0 type bridge stp_state 1 || lab_error "br0 stp_state 1"
grep -q "br0 start" /tmp/bridge-stp.calls || lab_error "the kernel did not start user-space STP"
$BR link set dev vnet2 state 4 || lab_error "vnet2 blocking"
$IP -d link show vnet2 | grep -q "state blocking" || lab_error "vnet2 not blocking"
lab_watch stp-blocking vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3
$IP -d link show vnet2 | grep -q "state blocking" || lab_error "vnet2 left blocking during the watch"
$BR link set dev vnet2 state 3
$IP link set br0 type bridge stp_state 0
rm -f /sbin/bridge-stp /tmp/bridge-stp.calls
lab_wait 100 lab_forwarding vnet0 vnet1 vnet2 || lab_error "br0 ports not forwarding after STP"

if [ -x /bin/nft ] && [ -x /bin/iptables-nft ]; then
    lab_load_late_modules
    ln -sf /bin/nft /sbin/nft   # where kvmnet-diag's firewall reader looks for it
    vm3mac=$(/sbin/ip -n vm3 link show eth0 | awk '/link\/ether/ {print $2}')
    nft add table bridge kvmnet_t || lab_error "nft table"
    # priority filter (-200): before br_netfilter's own forward hook (-1), so the chain runs
    # on every kernel, bridge-nf-call-iptables on or off (br_netfilter is loaded from here).
    nft "add chain bridge kvmnet_t kvmnet_forward { type filter hook forward priority filter ; policy accept ; }" || lab_error "nft chain"
    nft add rule bridge kvmnet_t kvmnet_forward ether daddr "$vm3mac" drop || lab_error "nft rule"
    lab_watch nft vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3
    nft delete table bridge kvmnet_t

    # The same rule at priority 0 with bridge-nf-call-iptables 1: br_netfilter's forward hook
    # (priority -1) passes IPv4 frames to iptables, and on their way back br_nf_hook_thresh
    # resumes after every priority-0 hook, this chain included, on kernels that do so
    # (Debian's 6.1: the ping answers; 6.12: the chain drops). The ping says which.
    echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables || lab_error "bridge-nf-call-iptables"
    nft add table bridge kvmnet_t || lab_error "nft table"
    nft "add chain bridge kvmnet_t kvmnet_forward { type filter hook forward priority 0 ; policy accept ; }" || lab_error "nft chain"
    nft add rule bridge kvmnet_t kvmnet_forward ether daddr "$vm3mac" drop || lab_error "nft rule"
    lab_watch nft-prio0 vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3
    nft delete table bridge kvmnet_t

    iptables-nft -P FORWARD DROP || lab_error "iptables FORWARD DROP"
    lab_watch iptables vm1 10.30.0.3 vm3 10.30.0.1 56 vm1 vm3
    iptables-nft -P FORWARD ACCEPT
    nft flush ruleset
    echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables
    rm -f /sbin/nft
else
    lab_error "nft or iptables-nft not packed (scripts/install-deps installs nftables and iptables)"
fi

lab_forget_vms
for n in vm1 vm2 vm3; do $IP netns del "$n"; done
$IP link del br0
lab_wait 30 sh -c '! /sbin/ip link show vnet0'
