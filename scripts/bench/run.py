#!/usr/bin/env python3
"""kvmnet-agent against its peers, side by side in one run, reported as ratios.

    sudo python3 scripts/bench/run.py [--links 1000] [--fdb 100000] [--scrapes 200] [--out FILE]

In a network namespace of its own it builds a host with LINKS links (veth pairs, half of
them ports of 10 bridges) and FDB static bridge FDB entries, then measures, in the same
run and on the same host:

- scrape latency p50/p99 of kvmnet-agent (netlink mode) and of node_exporter
  (Debian's prometheus-node-exporter, collectors netclass, netdev, bonding), and the time
  of iproute2's `bridge fdb show` (the only other way to see FDB sizes);
- event-to-metric latency p50/p99: a carrier change until /metrics shows it;
- flap counting: every flap of 100 ms on 10 links counted;
- RSS and CPU of both exporters at idle and during an event burst.

It prints a Markdown report (the table of docs/performance.md). Nothing here is asserted in
unit tests: the numbers depend on the machine.

    sudo python3 scripts/bench/run.py --vlan [--links 1000] [--fdb 100000] [--scrapes 200]

VLAN-aware bridges (issue 13), side by side in one run: both ends of every veth pair on a
bridge (1,000 ports), first without VLANs, then with `vlan_filtering 1` and the VLANs of
the render benchmark (va* a 2-4094 trunk, vb* a PVID); a fresh agent for each half. It
reports scrape p50/p99, the scrape right after a carrier change (a render), RSS, and the
time of iproute2's `bridge -j vlan show` (the other way to see the VLANs), as ratios. A
kernel without bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING off: `vlan_filtering 1`
is "Operation not supported") can only run the first half: the report says so and the
script exits 3; the render benchmark (scripts/bench/render/run 50 vlan) and the kernel lab
measure the VLAN-aware case there.
"""
import argparse
import ctypes
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IP = shutil.which("ip") or "/sbin/ip"
BRIDGE = shutil.which("bridge") or "/sbin/bridge"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"


def sh(args, **kw):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Netns:
    def __init__(self):
        self.name = "kvmnet-bench-%d" % os.getpid()
        sh([IP, "netns", "add", self.name])
        self.fd = os.open("/var/run/netns/" + self.name, os.O_RDONLY)

    def ip_batch(self, lines):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            sh([IP, "-n", self.name, "-batch", f.name])
        finally:
            os.unlink(f.name)

    def bridge_batch(self, lines):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            sh([IP, "netns", "exec", self.name, BRIDGE, "-batch", f.name])
        finally:
            os.unlink(f.name)

    def spawn(self, args):
        return subprocess.Popen([IP, "netns", "exec", self.name] + args,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def close(self):
        os.close(self.fd)
        subprocess.run([IP, "netns", "del", self.name], stderr=subprocess.DEVNULL)


def enter(ns):
    """Moves this process's network namespace (to reach servers on the namespace's loopback)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(ns.fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def http_get(port, path="/metrics"):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    chunks = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        chunks.append(b)
    s.close()
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def wait_up(port, proc, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("%s exited: %s" % (what, proc.stderr.read().decode()[-2000:]))
        try:
            if http_get(port, "/")[0] in (200, 404):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("%s did not answer" % what)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def scrape_latencies(port, n):
    out = []
    size = 0
    for _ in range(n):
        t = time.perf_counter()
        status, body = http_get(port)
        out.append((time.perf_counter() - t) * 1000)
        assert status == 200
        size = len(body)
    return out, size


def rss_split(pid):
    """VmRSS and its parts, in KiB: RssAnon (heap, stacks: what the process allocated)
    and RssFile (pages of the binary and libraries mapped from the page cache)."""
    out = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key = line.split(":")[0]
            if key in out:
                out[key] = int(line.split()[1])
    return out


def mb_split(r):
    return "%.1f (anon %.1f + file %.1f)" % (r["VmRSS"] / 1024, r["RssAnon"] / 1024, r["RssFile"] / 1024)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pid(proc):
    """`ip netns exec` execs the program: same pid."""
    return proc.pid


def metric_value(body, series):
    """The value of one series (a search, not a parse of every line: the event-to-metric
    loop calls it after each scrape, and its own cost counts in that latency)."""
    prefix = b"\n" + series.encode() + b" "
    i = body.find(prefix)
    if i < 0:
        return None
    start = i + len(prefix)
    end = body.find(b"\n", start)
    return float(body[start:end if end >= 0 else len(body)])


def build_host(ns, pairs, nbridges, fdb_count, all_ports=False):
    """PAIRS veth pairs, va<i> a port of br<i % n>, FDB_COUNT static FDB entries on the va
    ports. With ALL_PORTS vb<i> is a port too, of br<(i + 1) % n>; IPv6 is turned off first
    then, so the loops these pairs make between bridges (STP off) carry no frame at all."""
    if all_ports:
        sh([IP, "netns", "exec", ns.name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1"])
    lines = ["link set lo up"]
    lines += ["link add br%d type bridge" % b for b in range(nbridges)]
    for i in range(pairs):
        lines.append("link add va%d type veth peer name vb%d" % (i, i))
    for i in range(pairs):
        lines.append("link set va%d master br%d up" % (i, i % nbridges))
        lines.append("link set vb%d master br%d up" % (i, (i + 1) % nbridges) if all_ports else "link set vb%d up" % i)
    lines += ["link set br%d up" % b for b in range(nbridges)]
    ns.ip_batch(lines)
    per_port = max(1, fdb_count // pairs)
    fdb = []
    for i in range(pairs):
        for j in range(min(per_port, fdb_count - len(fdb))):
            fdb.append("fdb add 02:%02x:%02x:%02x:%02x:%02x dev va%d master static"
                       % ((i >> 8) & 0xff, i & 0xff, (j >> 16) & 0xff, (j >> 8) & 0xff, j & 0xff, i))
    ns.bridge_batch(fdb)


def make_vlan_aware(ns, pairs, nbridges):
    """vlan_filtering 1 on every bridge, then the render benchmark's VLANs: va<i> a 2-4094
    trunk, vb<i> PVID 10 + i % 50 untagged. Returns an error text when the kernel cannot."""
    r = subprocess.run([IP, "-n", ns.name, "link", "set", "br0", "type", "bridge", "vlan_filtering", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        return r.stderr.decode().strip() or "exit %d" % r.returncode
    ns.ip_batch(["link set br%d type bridge vlan_filtering 1" % b for b in range(1, nbridges)])
    lines = []
    for i in range(pairs):
        lines += ["vlan del dev va%d vid 1" % i, "vlan add dev va%d vid 2-4094" % i,
                  "vlan del dev vb%d vid 1" % i, "vlan add dev vb%d vid %d pvid untagged" % (i, 10 + i % 50)]
    ns.bridge_batch(lines)
    return None


def agent_half(ns, agent_path, port, scrapes, changes, pairs):
    """A fresh agent on the namespace: scrape p50/p99, the scrape after a carrier change
    (a render), RSS; the agent is stopped at the end."""
    agent = ns.spawn([agent_path, "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn",
                      "--netlink.receive-buffer=%d" % (16 << 20)])
    try:
        wait_up(port, agent, "kvmnet-agent")
        time.sleep(2)
        lat, size = scrape_latencies(port, scrapes)
        changed = []
        for k in range(changes):
            i = (k * 7) % pairs
            sh([IP, "link", "set", "vb%d" % i, "down"])
            time.sleep(0.02)  # the event reaches the agent: the next scrape renders
            changed += scrape_latencies(port, 1)[0]
            sh([IP, "link", "set", "vb%d" % i, "up"])
            time.sleep(0.02)
        _, body = http_get(port)
        return {"p50": pct(lat, 50), "p99": pct(lat, 99), "changed50": pct(changed, 50), "changed99": pct(changed, 99),
                "size": size, "rss": rss_split(child_pid(agent)),
                "vlan_series": body.count(b"\nkvmnet_bridge_port_vlan_info{")}
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(5)
        except subprocess.TimeoutExpired:
            agent.kill()


def vlan_main(a):
    """The VLAN-aware comparison (--vlan): see the module's text."""
    ns = Netns()
    try:
        pairs, nbridges = a.links // 2, 10
        t0 = time.time()
        build_host(ns, pairs, nbridges, a.fdb, all_ports=True)
        setup_s = time.time() - t0
        nlinks = len(sh([IP, "-n", ns.name, "-o", "link"]).stdout.splitlines())
        enter(ns)
        port = free_port()
        plain = agent_half(ns, a.agent, port, a.scrapes, a.events, pairs)
        error = make_vlan_aware(ns, pairs, nbridges)
        report = ["Host: %d links (%d veth pairs, both ends on %d bridges: %d ports), %d bridge FDB entries; setup %.1f s; %d cores."
                  % (nlinks, pairs, nbridges, 2 * pairs, a.fdb, setup_s, os.cpu_count()), ""]
        row = "| %s | %s | %s | %s |"
        report += [row % ("measure", "no VLANs", "VLAN-aware", "ratio (VLAN-aware / no VLANs)"), "|---|---|---|---|"]

        def line(name, key, aware, fmt="%.2f"):
            if aware is None:
                report.append(row % (name, fmt % plain[key], "not measured", ""))
            else:
                report.append(row % (name, fmt % plain[key], fmt % aware[key], "%.2f" % (aware[key] / plain[key])))

        aware = None
        vlan_show = None
        if error is None:
            times = []
            for _ in range(5):
                t = time.perf_counter()
                out = sh([BRIDGE, "-j", "vlan", "show"]).stdout
                times.append((time.perf_counter() - t) * 1000)
            vlan_show = (statistics.median(times), out.count(b'"ifname"'))
            aware = agent_half(ns, a.agent, port, a.scrapes, a.events, pairs)
        line("scrape p50 (ms)", "p50", aware)
        line("scrape p99 (ms)", "p99", aware)
        line("scrape after a carrier change, p50 (ms)", "changed50", aware)
        line("scrape after a carrier change, p99 (ms)", "changed99", aware)
        line("response size (bytes)", "size", aware, "%d")
        line("`kvmnet_bridge_port_vlan_info` series", "vlan_series", aware, "%d")
        mb = lambda r: r["rss"]["VmRSS"] / 1024.0
        report.append(row % ("RSS (MB)", mb_split(plain["rss"]), mb_split(aware["rss"]) if aware else "not measured",
                             "%.2f" % (mb(aware) / mb(plain)) if aware else ""))
        if vlan_show:
            report.append("")
            report.append("`bridge -j vlan show` (%d ports listed): %.1f ms, median of 5; the agent's scrape after a change (p50) %.2f ms: %.0fx"
                          % (vlan_show[1], vlan_show[0], aware["changed50"], vlan_show[0] / aware["changed50"]))
        else:
            report.append("")
            report.append("VLAN-aware half not measured: this kernel has no bridge VLAN filtering (`vlan_filtering 1`: %s). "
                          "Measure it in the kernel lab, or on fixture data with scripts/bench/render/run 50 vlan." % error)
        text = "\n".join(report) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
        return 0 if error is None else 3
    finally:
        ns.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--fdb", type=int, default=100000)
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--flap-links", type=int, default=10)
    ap.add_argument("--flaps", type=int, default=100)
    ap.add_argument("--agent", default=os.path.join(ROOT, ".build/release/kvmnet-agent"))
    ap.add_argument("--out")
    ap.add_argument("--vlan", action="store_true", help="VLAN-aware bridges against the same ports without VLANs (issue 13)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: it creates a network namespace")
    for tool in (a.agent,) if a.vlan else (a.agent, NODE_EXPORTER):
        if not os.path.exists(tool):
            raise SystemExit("missing %s (swift build -c release; scripts/install-deps)" % tool)
    if a.vlan:
        sys.exit(vlan_main(a))

    ns = Netns()
    procs = []
    try:
        pairs = a.links // 2
        nbridges = 10
        t0 = time.time()
        build_host(ns, pairs, nbridges, a.fdb)
        setup_s = time.time() - t0
        nlinks = len(sh([IP, "-n", ns.name, "-o", "link"]).stdout.splitlines())

        t = time.perf_counter()
        fdb_lines = sh([IP, "netns", "exec", ns.name, BRIDGE, "fdb", "show"]).stdout.count(b"\n")
        bridge_times = [(time.perf_counter() - t) * 1000]
        for _ in range(4):
            t = time.perf_counter()
            sh([IP, "netns", "exec", ns.name, BRIDGE, "fdb", "show"])
            bridge_times.append((time.perf_counter() - t) * 1000)

        agent_port, ne_port = free_port(), free_port()
        agent = ns.spawn([a.agent, "--web.listen-address=127.0.0.1:%d" % agent_port, "--log.level=warn",
                          "--netlink.receive-buffer=%d" % (16 << 20)])
        ne = ns.spawn([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % ne_port,
                       "--collector.disable-defaults", "--collector.netclass", "--collector.netdev",
                       "--collector.bonding"])
        procs = [agent, ne]
        enter(ns)
        wait_up(agent_port, agent, "kvmnet-agent")
        wait_up(ne_port, ne, "node_exporter")
        time.sleep(2)

        # Scrapes, alternating so both see the same machine load.
        agent_lat, ne_lat = [], []
        for _ in range(a.scrapes):
            l, agent_size = scrape_latencies(agent_port, 1)
            agent_lat += l
            l, ne_size = scrape_latencies(ne_port, 1)
            ne_lat += l
        _, body = http_get(agent_port)
        tracked = metric_value(body, "kvmnet_fdb_entries_tracked")

        # Idle: RSS and CPU over 10 s.
        idle = {}
        for name, p in (("agent", agent), ("node_exporter", ne)):
            idle[name] = [rss_split(child_pid(p)), cpu_seconds(child_pid(p))]
        time.sleep(10)
        for name, p in (("agent", agent), ("node_exporter", ne)):
            idle[name][1] = (cpu_seconds(child_pid(p)) - idle[name][1]) / 10 * 100

        # Event-to-metric latency: a carrier change (peer down) until /metrics shows it.
        ev_lat = []
        cpu_before = cpu_seconds(child_pid(agent))
        for k in range(a.events):
            i = random.randrange(pairs)
            want_down = True
            series = 'kvmnet_link_up{device="va%d",kind="veth"}' % i
            sh([IP, "link", "set", "vb%d" % i, "down"])
            t = time.perf_counter()
            while metric_value(http_get(agent_port)[1], series) != 0:
                if time.perf_counter() - t > 5:
                    raise SystemExit("event not seen in 5 s for va%d" % i)
            ev_lat.append((time.perf_counter() - t) * 1000)
            sh([IP, "link", "set", "vb%d" % i, "up"])
        burst_cpu = cpu_seconds(child_pid(agent)) - cpu_before

        # Flap counting: FLAPS flaps of 100 ms on FLAP_LINKS links at once.
        flap_links = list(range(a.flap_links))
        base = {}
        body = http_get(agent_port)[1]
        for i in flap_links:
            base[i] = metric_value(body, 'kvmnet_link_transitions_total{device="va%d",to="lowerlayerdown"}' % i) or 0
            base[i] += metric_value(body, 'kvmnet_link_transitions_total{device="va%d",to="down"}' % i) or 0
        t_flap = time.time()
        for _ in range(a.flaps):
            ns_lines = ["link set vb%d down" % i for i in flap_links]
            sh([IP, "-batch", "-"], input="\n".join(ns_lines).encode())
            time.sleep(0.1)
            sh([IP, "-batch", "-"], input="\n".join("link set vb%d up" % i for i in flap_links).encode())
            time.sleep(0.1)
        flap_s = time.time() - t_flap
        rss_burst = rss_split(child_pid(agent))
        time.sleep(1)
        body = http_get(agent_port)[1]
        counted = 0
        for i in flap_links:
            v = (metric_value(body, 'kvmnet_link_transitions_total{device="va%d",to="lowerlayerdown"}' % i) or 0)
            v += (metric_value(body, 'kvmnet_link_transitions_total{device="va%d",to="down"}' % i) or 0)
            counted += v - base[i]
        resyncs = metric_value(body, "kvmnet_netlink_resyncs_total")

        p50a, p99a = pct(agent_lat, 50), pct(agent_lat, 99)
        p50n, p99n = pct(ne_lat, 50), pct(ne_lat, 99)
        bridge_med = statistics.median(bridge_times)
        report = []
        report.append("Host: %d links (%d veth pairs, %d bridges), %d bridge FDB entries (bridge fdb show: %d lines); setup %.1f s; %d cores."
                      % (nlinks, pairs, nbridges, a.fdb, fdb_lines, setup_s, os.cpu_count()))
        report.append("")
        report.append("| measure | kvmnet-agent | peer | ratio (peer / kvmnet) |")
        report.append("|---|---|---|---|")
        report.append("| scrape p50 (ms) | %.2f | node_exporter %.2f | %.0fx |" % (p50a, p50n, p50n / p50a))
        report.append("| scrape p99 (ms) | %.2f | node_exporter %.2f | %.0fx |" % (p99a, p99n, p99n / p99a))
        report.append("| FDB sizes (ms) | %.2f (scrape p50, all bridges, per port and kind) | `bridge fdb show` %.1f (median of 5) | %.0fx |" % (p50a, bridge_med, bridge_med / p50a))
        report.append("| response size (bytes) | %d | node_exporter %d | |" % (agent_size, ne_size))
        ra, rn = idle["agent"][0], idle["node_exporter"][0]
        report.append("| RSS idle (MB) | %s | node_exporter %s | %.1fx |" % (mb_split(ra), mb_split(rn), rn["VmRSS"] / max(1, ra["VmRSS"])))
        report.append("| RSS after event burst (MB) | %s | | |" % mb_split(rss_burst))
        report.append("| CPU idle (%% of a core, 10 s) | %.2f | node_exporter %.2f (not scraped) | |" % (idle["agent"][1], idle["node_exporter"][1]))
        report.append("| event-to-metric p50 / p99 (ms) | %.2f / %.2f | node_exporter: next scrape (scrape interval) | |" % (pct(ev_lat, 50), pct(ev_lat, 99)))
        report.append("| CPU during %d carrier events + %d scrapes (s) | %.2f | | |" % (a.events, a.events, burst_cpu))
        report.append("| flaps of 100 ms counted | %d of %d (%d links x %d, %.0f s); resyncs %s | node_exporter: sampled, most missed | |"
                      % (counted, len(flap_links) * a.flaps, len(flap_links), a.flaps, flap_s, "%d" % resyncs if resyncs is not None else "?"))
        report.append("| FDB entries tracked by the agent | %s | | |" % ("%d" % tracked if tracked is not None else "?"))
        text = "\n".join(report) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        ns.close()


if __name__ == "__main__":
    main()
