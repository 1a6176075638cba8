#!/usr/bin/env bash
# Writes the iptables-legacy fixtures of Tests/KVMNetFirewallTests/Fixtures (legacy-*.txt,
# the output of the real iptables-legacy-save) and the ebtables-nft one (ebtables-nft.json,
# nft -j list ruleset after an ebtables rule), each in a network namespace of its own, as
# make-rulesets.sh does for nft. The date of iptables-save's "# Generated/Completed on"
# comments is cut, so that a run changes a fixture only when the tools' output does.
#   sudo Tests/KVMNetFirewallTests/Fixtures/make-legacy-rulesets.sh
set -euo pipefail
cd "$(dirname "$0")"
for t in iptables-legacy iptables-legacy-save ebtables nft ip; do command -v "$t" >/dev/null || { echo "needs $t (apt install iptables ebtables nftables iproute2)" >&2; exit 1; }; done
ebtables -V | grep -q nf_tables || { echo "ebtables is not ebtables-nft (update-alternatives --set ebtables /usr/sbin/ebtables-nft)" >&2; exit 1; }
ns="fwlegacy-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
fresh() { cleanup; ip netns add "$ns"; }
ipt() { ip netns exec "$ns" iptables-legacy "$@"; }
save() { ip netns exec "$ns" iptables-legacy-save | sed -E '/^# (Generated|Completed)/s/ on [A-Z][a-z][a-z] .*$//' > "$1.txt"; echo "wrote $1.txt"; }

# Docker on a host with iptables-legacy: its filter rules (docker-rules.sh) and its nat
# chains (moby/moby libnetwork/iptables, Docker 20+).
. ./docker-rules.sh
docker() {
    docker_filter
    ipt -t nat -N DOCKER
    ipt -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
    ipt -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
    ipt -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
    ipt -t nat -A DOCKER -i docker0 -j RETURN
}
fresh; docker; save legacy-docker
# The documented fix: accept the bridge's own traffic in DOCKER-USER.
fresh; docker; ipt -I DOCKER-USER -i br0 -o br0 -j ACCEPT; save legacy-docker-user-accept
# The other usual fix: accept everything bridged (typed here: iptables-legacy-save shows physdev).
fresh; docker; ipt -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT; save legacy-docker-physdev
# Policy DROP and an accept that decides with a match kvmnet cannot evaluate (-m string),
# before a -m u32 reject.
fresh
ipt -P FORWARD DROP
ipt -A FORWARD -m string --string "kvm" --algo bm -j ACCEPT
ipt -A FORWARD -m u32 --u32 "0>>22&0x3C@0>>16=0x50" -j REJECT --reject-with icmp-host-prohibited
save legacy-unverifiable
# Every typed match, negations, a goto, a LOG, quoted comments, the mangle and raw tables:
# vm1's requests (its MAC) are accepted in from-vms, replies by conntrack, vm2's requests
# fall to the policy.
fresh
ipt -N to-vms; ipt -N from-vms
ipt -P FORWARD DROP
ipt -A FORWARD -m comment --comment "a \"quoted\" comment" -j LOG --log-prefix "fw drop: "
ipt -A FORWARD -m physdev --physdev-in vnet+ --physdev-out vnet1 ! --physdev-is-in -j DROP
ipt -A FORWARD -m physdev ! --physdev-is-bridged -j DROP
ipt -A FORWARD -s 10.0.0.0/24 ! -d 10.0.0.9 -p icmp -m icmp --icmp-type 8 -j to-vms
ipt -A FORWARD -p tcp -m tcp --dport 20:22 -j ACCEPT
ipt -A FORWARD -m iprange --src-range 10.0.0.1-10.0.0.9 -m mac --mac-source 52:54:00:00:00:01 -g from-vms
ipt -A FORWARD -m conntrack ! --ctstate NEW,INVALID -j ACCEPT
ipt -A FORWARD -m state --state ESTABLISHED -j ACCEPT
ipt -A to-vms -i br+ -o br0 -j RETURN
ipt -A from-vms -p icmp -m icmp --icmp-type 0 -j ACCEPT
ipt -A from-vms -p icmp -m icmp --icmp-type echo-request -j ACCEPT
ipt -t mangle -A FORWARD -j MARK --set-mark 1
ipt -t raw -A PREROUTING -j NOTRACK
save legacy-matches
# Policy ACCEPT and a drop of the echo requests from vnet0 to vnet1 only.
fresh
ipt -A FORWARD -m physdev --physdev-in vnet0 --physdev-out vnet1 -p icmp -m icmp --icmp-type 8 -j DROP
save legacy-physdev-drop
# ebtables-nft: its rules are nft's bridge family (table bridge filter, chain FORWARD).
fresh
ip netns exec "$ns" ebtables -A FORWARD -d 52:54:00:00:00:02 -j DROP
ip netns exec "$ns" nft -j list ruleset | python3 -c 'import json,sys; d=json.load(sys.stdin); json.dump(d, sys.stdout, indent=1, sort_keys=True); print()' > ebtables-nft.json
echo "wrote ebtables-nft.json"
