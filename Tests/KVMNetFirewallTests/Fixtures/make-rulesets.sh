#!/usr/bin/env bash
# Writes the nft -j rulesets of Tests/KVMNetFirewallTests/Fixtures with the real tools
# (Debian's nftables and iptables, iptables-nft backend), each in a network namespace of
# its own: the fixtures are what the kernel and libnftables really print.
#   sudo Tests/KVMNetFirewallTests/Fixtures/make-rulesets.sh
set -euo pipefail
cd "$(dirname "$0")"
for t in nft iptables-nft ip; do command -v "$t" >/dev/null || { echo "needs $t (apt install nftables iptables iproute2)" >&2; exit 1; }; done
ns="kvmnet-fw-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
fresh() { cleanup; ip netns add "$ns"; }
ipt() { ip netns exec "$ns" iptables-nft "$@"; }
nftx() { ip netns exec "$ns" nft "$@"; }
save() { nftx -j list ruleset | python3 -c 'import json,sys; d=json.load(sys.stdin); json.dump(d, sys.stdout, indent=1, sort_keys=True); print()' > "$1.json"; echo "wrote $1.json"; }

# Docker on a host with bridges (iptables-nft): docker-rules.sh.
. ./docker-rules.sh
docker() { docker_filter; }
fresh; docker; save docker
# The documented fix: accept the bridge's own traffic in DOCKER-USER.
fresh; docker; ipt -I DOCKER-USER -i br0 -o br0 -j ACCEPT; save docker-user-accept
# The other usual fix: accept everything bridged (an xt match libnftables cannot show).
fresh; docker; ipt -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT; save docker-physdev
# nft bridge family: an ICMP drop towards one VM, a VLAN drop; and an inet forward chain.
fresh; nftx -f - <<'NFT'
table bridge filt {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "vnet0" ip daddr 10.0.0.2 icmp type echo-request drop
    vlan id 20 counter drop
  }
}
table inet fw {
  chain forward {
    type filter hook forward priority 10; policy accept;
    ct state established,related accept
    iifname { "br7", "br8" } oifname "br7" ip saddr 10.7.0.0/24 meta l4proto icmp reject
    jump sub
  }
  chain sub {
    tcp dport 22 accept
    return
  }
}
NFT
save nft-families
fresh; save empty
