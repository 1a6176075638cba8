# Sourced by make-rulesets.sh (ipt = iptables-nft) and make-legacy-rulesets.sh (ipt =
# iptables-legacy): the filter rules Docker 20+ writes on a host with bridges (moby/moby
# libnetwork/iptables): FORWARD policy DROP, its chains and the rules it adds for docker0.
docker_filter() {
    ipt -N DOCKER; ipt -N DOCKER-ISOLATION-STAGE-1; ipt -N DOCKER-ISOLATION-STAGE-2; ipt -N DOCKER-USER
    ipt -P FORWARD DROP
    ipt -A FORWARD -j DOCKER-USER
    ipt -A FORWARD -j DOCKER-ISOLATION-STAGE-1
    ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
    ipt -A FORWARD -o docker0 -j DOCKER
    ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
    ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT
    ipt -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
    ipt -A DOCKER-ISOLATION-STAGE-1 -j RETURN
    ipt -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
    ipt -A DOCKER-ISOLATION-STAGE-2 -j RETURN
    ipt -A DOCKER-USER -j RETURN
}
