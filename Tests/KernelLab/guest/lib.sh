# Helpers sourced by /init and by every scenario (dash, busybox applets).
#
# Output protocol on the serial console (parsed by run-lab.sh):
#   @@KVMNET-LAB-BEGIN <scenario>/<path>@@
#   ...file content, verbatim...
#   @@KVMNET-LAB-END <scenario>/<path> rc=<exit status> nl=<1|0>@@
# nl=0 means the content did not end with a newline and one was added to keep
# the END marker on its own line; the extractor removes it again.  stderr of a
# captured command, when not empty, becomes a sibling section <path>.stderr.

: "${LAB_SCENARIO:=unknown}"
LAB_AGENT_URL=http://127.0.0.1:10245/metrics

lab_uptime() { read -r up _ < /proc/uptime; echo "$up"; }

# lab_emit PATH FILE RC
lab_emit() {
    echo "@@KVMNET-LAB-BEGIN $LAB_SCENARIO/$1@@"
    nl=1
    if [ -s "$2" ]; then
        cat "$2"
        if [ "$(tail -c 1 "$2" | wc -l)" -eq 0 ]; then echo; nl=0; fi
    fi
    echo "@@KVMNET-LAB-END $LAB_SCENARIO/$1 rc=$3 nl=$nl@@"
}

# lab_capture PATH CMD [ARGS...]: run CMD, emit its stdout (and stderr).
lab_capture() {
    _p=$1; shift
    "$@" > /tmp/lab.out 2> /tmp/lab.err
    _rc=$?
    lab_emit "$_p" /tmp/lab.out "$_rc"
    if [ -s /tmp/lab.err ]; then lab_emit "$_p.stderr" /tmp/lab.err "$_rc"; fi
    return $_rc
}

# lab_note PATH TEXT: a small section holding TEXT (key=value lines).
lab_note() {
    printf '%s\n' "$2" > /tmp/lab.note
    lab_emit "$1" /tmp/lab.note 0
}

lab_error() { echo "@@KVMNET-LAB-ERROR $LAB_SCENARIO: $*@@"; }

lab_agent_running() {
    [ -f /run/kvmnet-agent.pid ] && kill -0 "$(cat /run/kvmnet-agent.pid)" 2>/dev/null
}

# lab_metrics STEP: the agent's /metrics into STEP/metrics.txt (skipped
# cleanly, with no section at all, when the agent binary was not packed).
lab_metrics() {
    [ -f /run/kvmnet-agent.pid ] || return 0
    if ! lab_agent_running; then
        lab_error "kvmnet-agent not running at step $1"
        return 0
    fi
    # Give the agent a moment to apply netlink events / re-read procfs.
    usleep "${LAB_METRICS_SETTLE_US:-1500000}"
    lab_capture "$1/metrics.txt" wget -q -O - "$LAB_AGENT_URL"
}

# lab_dump STEP [NETNS]: everything the parsers and tests read, as the guest
# kernel shows it.  With NETNS, dumps that namespace's view into STEP/ns-NETNS.
# lab_diag PATH [ARGS...]: `kvmnet-diag diagnose ARGS --json` into PATH, with its
# exit code (skipped cleanly when kvmnet-diag was not packed).
lab_diag() {
    [ -x /bin/kvmnet-diag ] || return 0
    _dp=$1; shift
    lab_capture "$_dp" timeout 120 /bin/kvmnet-diag diagnose "$@" --json --ifcfg-dir /nonexistent
}

lab_dump() {
    _step=$1
    _ns=${2:-}
    if [ -n "$_ns" ]; then
        _step="$_step/ns-$_ns"
        _x="/sbin/ip netns exec $_ns"
    else
        _x=""
    fi
    # /proc/net follows the reading process's namespace.
    for _f in $($_x /bin/ls /proc/net/bonding 2>/dev/null); do
        lab_capture "$_step/proc_net_bonding_$_f" $_x /bin/cat "/proc/net/bonding/$_f"
    done
    for _f in $($_x /bin/ls /proc/net/vlan 2>/dev/null); do
        lab_capture "$_step/proc_net_vlan_$_f" $_x /bin/cat "/proc/net/vlan/$_f"
    done
    lab_capture "$_step/ip_link.json" $_x /sbin/ip -d -j link show
    lab_capture "$_step/ip_link.txt" $_x /sbin/ip -d link show
    lab_capture "$_step/bridge_fdb.txt" $_x /sbin/bridge fdb show
    # Raw RTM_NEWLINK dump ("<ifname> <hex>" lines) for the netlink fixtures.
    if [ -x /bin/nlcapture ]; then
        lab_capture "$_step/nlmsg-links.txt" $_x /bin/nlcapture
    fi
    if [ -z "$_ns" ]; then
        lab_metrics "$_step"
        lab_diag "$_step/diag.json"
    fi
}

# lab_bond_field BOND KEY [NETNS]: value of a master-level "KEY: value" line.
lab_bond_field() {
    ${3:+/sbin/ip netns exec $3} /bin/sed -n "s/^$2: //p" "/proc/net/bonding/$1" | head -n 1
}

# lab_slave_field BOND SLAVE KEY: value of KEY inside SLAVE's block.
lab_slave_field() {
    awk -v s="$2" -v k="$3: " '
        /^Slave Interface: / { cur = substr($0, 18) }
        cur == s && index($0, k) == 1 { print substr($0, length(k) + 1); exit }
    ' "/proc/net/bonding/$1"
}

# lab_wait TENTHS CMD [ARGS...]: poll CMD every 0.1 s until it succeeds;
# returns 1 after TENTHS polls.  Prints nothing.
lab_wait() {
    _n=$1; shift
    _i=0
    while [ "$_i" -lt "$_n" ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}

# lab_veth_slave NAME PEER BOND: veth pair, NAME enslaved to BOND, both up.
lab_veth_slave() {
    /sbin/ip link add "$1" type veth peer name "$2" || lab_error "veth $1"
    /sbin/ip link set "$1" master "$3" || lab_error "enslave $1 to $3"
    /sbin/ip link set "$2" up
    /sbin/ip link set "$1" up
}

# lab_sleep TENTHS: sleep TENTHS x 0.1 s.
lab_sleep() { usleep $(($1 * 100000)); }

# ---------------------------------------------------------------- ping-truth scenarios
# Namespace "VMs" that kvmnet-diag knows as libvirt domains, pings between them, and
# kvmnet-diag's verdict on the same pair (Tests/KernelLab/test_lab.py asserts that the
# two agree, for healthy pairs and broken ones).

# lab_domstatus NAME TAP BRIDGE MAC [VLAN_XML]: NAME.xml in $LAB_LIBVIRT_DIR (default /run/libvirt/qemu) as libvirt
# writes it for a running domain, so that kvmnet-diag resolves NAME; VLAN_XML is an
# interface's <vlan> element (libvirt 9 puts no tag on a Linux bridge: written by hand).
lab_domstatus() {
    _dir=${LAB_LIBVIRT_DIR:-/run/libvirt/qemu}
    mkdir -p "$_dir"
    cat > "$_dir/$1.xml" <<XML
<domstatus state='running' reason='booted' pid='1'>
  <domain type='qemu' id='1'>
    <name>$1</name>
    <devices>
      <interface type='bridge'>
        <mac address='$4'/>
        <source bridge='$3'/>
        <target dev='$2'/>
        <model type='virtio'/>
        ${5:-}
      </interface>
    </devices>
  </domain>
</domstatus>
XML
}

# lab_vm NS TAP BRIDGE ADDR [VLAN_XML]: netns NS whose eth0 (ADDR/24) is the peer of
# TAP, a port of BRIDGE; and its domain status file.
lab_vm() {
    /sbin/ip netns add "$1" || lab_error "netns $1"
    /sbin/ip link add "$2" type veth peer name eth0 netns "$1" || lab_error "veth $2"
    /sbin/ip link set "$2" master "$3" || lab_error "$2 master $3"
    /sbin/ip link set "$2" up
    /sbin/ip -n "$1" link set lo up
    /sbin/ip -n "$1" addr add "$4/24" dev eth0
    /sbin/ip -n "$1" link set eth0 up
    lab_domstatus "$1" "$2" "$3" "$(/sbin/ip -n "$1" link show eth0 | awk '/link\/ether/ {print $2}')" "${5:-}"
}

# lab_ns_host NS IFACE BRIDGE ADDR [NETNS_OF_BRIDGE]: a plain host NS (no domain file) on
# BRIDGE, e.g. a host behind the switch namespace.
lab_ns_host() {
    /sbin/ip netns add "$1" || lab_error "netns $1"
    _x=${5:+/sbin/ip netns exec $5}
    if [ -n "${5:-}" ]; then
        /sbin/ip -n "$5" link add "$2" type veth peer name eth0 netns "$1" || lab_error "veth $2"
    else
        /sbin/ip link add "$2" type veth peer name eth0 netns "$1" || lab_error "veth $2"
    fi
    $_x /sbin/ip link set "$2" master "$3" || lab_error "$2 master $3"
    $_x /sbin/ip link set "$2" up
    /sbin/ip -n "$1" link set lo up
    /sbin/ip -n "$1" addr add "$4/24" dev eth0
    /sbin/ip -n "$1" link set eth0 up
}

# lab_truth NAME NS DEST_IP DIAG_ARGS...: in STEP truth/NAME/: ping.txt (NS pings
# DEST_IP; its rc is the ground truth) and diag.json (kvmnet-diag diagnose DIAG_ARGS
# --json: the verdict; its "verdict" and "path" hold what the text report says), and
# with LAB_TRUTH_TEXT=1 diag.txt, the text report.  LAB_TRUTH_STEP (default truth)
# names the step.
lab_truth() {
    _tn=$1; _tns=$2; _tip=$3; shift 3
    _ts=${LAB_TRUTH_STEP:-truth}
    lab_capture "$_ts/$_tn/ping.txt" /sbin/ip netns exec "$_tns" ping -c 3 -W 1 "$_tip"
    [ -x /bin/kvmnet-diag ] || return 0
    lab_capture "$_ts/$_tn/diag.json" timeout 120 /bin/kvmnet-diag diagnose "$@" --json --ifcfg-dir /nonexistent
    if [ "${LAB_TRUTH_TEXT:-0}" = 1 ]; then
        lab_capture "$_ts/$_tn/diag.txt" timeout 120 /bin/kvmnet-diag diagnose "$@" --ifcfg-dir /nonexistent
    fi
    return 0
}

# lab_load_late_modules: insmod /lab/modules-late.list (nf_tables, br_netfilter and
# what they need), which the boot leaves out; modules already in are skipped.
lab_load_late_modules() {
    while read -r _m _p; do
        grep -q "^$_m " /proc/modules && continue
        insmod "/lib/modules/$(uname -r)/$_m.ko" $_p || lab_error "insmod $_m"
    done < /lab/modules-late.list
}

# lab_watch STEP NS_A IP_B NS_B IP_A SIZE A B: `kvmnet-diag watch A B --json` while NS_A
# pings IP_B and then NS_B pings IP_A (three SIZE-byte pings each, into STEP/ping.txt and
# STEP/ping-back.txt); the watch starts first (its "watching" line says it is attached)
# and is stopped with SIGINT after the pings, so its SIGINT path is what runs here. Its
# report goes to STEP/watch.json (with its exit code); `bpftool -j prog show` while it
# watches and after it ended to STEP/bpftool-during.json, STEP/bpftool-after.json (its
# programs, by the ids its report gives, must be gone after). Skipped without kvmnet-diag.
lab_watch() {
    _ws=$1; _wa=$2; _wbip=$3; _wb=$4; _waip=$5; _wsz=$6; shift 6
    [ -x /bin/kvmnet-diag ] || return 0
    rm -f /tmp/watch.out /tmp/watch.err
    /bin/kvmnet-diag watch "$@" --seconds 300 --json --ifcfg-dir /nonexistent > /tmp/watch.out 2> /tmp/watch.err &
    _wp=$!
    _wi=0
    while ! grep -q watching /tmp/watch.err 2>/dev/null; do
        _wi=$((_wi + 1)); [ $_wi -gt 1200 ] && break
        kill -0 $_wp 2>/dev/null || break
        usleep 100000
    done
    if [ -x /bin/bpftool ]; then lab_capture "$_ws/bpftool-during.json" /bin/bpftool -j prog show; fi
    lab_capture "$_ws/ping.txt" /sbin/ip netns exec "$_wa" ping -c 3 -i 0.3 -W 1 -s "$_wsz" "$_wbip"
    lab_capture "$_ws/ping-back.txt" /sbin/ip netns exec "$_wb" ping -c 3 -i 0.3 -W 1 -s "$_wsz" "$_waip"
    kill -INT $_wp 2>/dev/null
    wait $_wp
    _wrc=$?
    lab_emit "$_ws/watch.json" /tmp/watch.out "$_wrc"
    if [ -s /tmp/watch.err ]; then lab_emit "$_ws/watch.json.stderr" /tmp/watch.err "$_wrc"; fi
    if [ -x /bin/bpftool ]; then lab_capture "$_ws/bpftool-after.json" /bin/bpftool -j prog show; fi
    return 0
}

# lab_vlan_view STEP: the VLANs as iproute2 shows them and the agent's /metrics, with a
# second `bridge vlan show` after the scrape (the test requires both reads to agree, so
# that the metrics are compared with one moment), and the bridges' link details.
lab_vlan_view() {
    lab_capture "$1/bridge_vlan.json" /sbin/bridge -c -j -d vlan show
    lab_metrics "$1"
    lab_capture "$1/bridge_vlan_after.json" /sbin/bridge -c -j -d vlan show
    lab_capture "$1/ip_link.json" /sbin/ip -d -j link show
    [ -x /bin/kvmnet-diag ] || return 0
    lab_capture "$1/diag-host.json" timeout 120 /bin/kvmnet-diag --json --ifcfg-dir /nonexistent
}

# lab_forwarding PORT...: every PORT is in STP state forwarding.
lab_forwarding() {
    for _p in "$@"; do
        /sbin/ip -d link show "$_p" | grep -q 'state forwarding' || return 1
    done
}

# lab_forget_vms: remove the domain status files of lab_vm.
lab_forget_vms() { rm -rf /run/libvirt/qemu; }

# lab_switch NS: network namespace NS holding a VLAN-aware bridge swbr, the switch the
# host's uplink and the hosts behind it are plugged into.
lab_switch() {
    /sbin/ip netns add "$1" || lab_error "netns $1"
    /sbin/ip -n "$1" link set lo up
    /sbin/ip -n "$1" link add swbr type bridge vlan_filtering 1 stp_state 0 forward_delay 0 || lab_error "$1 swbr"
    /sbin/ip -n "$1" link set swbr up
}

# lab_uplink BOND MODE NS SLAVES VIDS [nopvid]: BOND (MODE, miimon 100) over the veths
# u0..u<SLAVES-1>, whose peers s0.. are ports of NS's swbr carrying VIDS (space-separated)
# tagged; with nopvid the switch ports lose VLAN 1, their untagged VLAN.
lab_uplink() {
    /sbin/ip link add "$1" type bond mode "$2" miimon 100 || lab_error "$1"
    _i=0
    while [ "$_i" -lt "$4" ]; do
        /sbin/ip link add "u$_i" type veth peer name "s$_i" netns "$3" || lab_error "veth u$_i"
        /sbin/ip link set "u$_i" master "$1" || lab_error "enslave u$_i"
        /sbin/ip -n "$3" link set "s$_i" master swbr
        [ "${6:-}" = nopvid ] && /sbin/ip netns exec "$3" /sbin/bridge vlan del dev "s$_i" vid 1
        for _v in $5; do /sbin/ip netns exec "$3" /sbin/bridge vlan add dev "s$_i" vid "$_v"; done
        /sbin/ip -n "$3" link set "s$_i" up
        /sbin/ip link set "u$_i" up
        _i=$((_i + 1))
    done
}

# lab_switch_host NS HOST IFACE ADDR VLAN: a host namespace HOST behind NS's swbr, in VLAN
# (its port's PVID, untagged; VLAN 1 removed).
lab_switch_host() {
    lab_ns_host "$2" "$3" swbr "$4" "$1"
    /sbin/ip netns exec "$1" /sbin/bridge vlan del dev "$3" vid 1
    /sbin/ip netns exec "$1" /sbin/bridge vlan add dev "$3" vid "$5" pvid untagged
}
