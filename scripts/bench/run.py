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
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: it creates a network namespace")
    for tool in (a.agent, NODE_EXPORTER):
        if not os.path.exists(tool):
            raise SystemExit("missing %s (swift build -c release; scripts/install-deps)" % tool)

    ns = Netns()
    procs = []
    try:
        pairs = a.links // 2
        nbridges = 10
        t0 = time.time()
        lines = ["link set lo up"]
        lines += ["link add br%d type bridge" % b for b in range(nbridges)]
        for i in range(pairs):
            lines.append("link add va%d type veth peer name vb%d" % (i, i))
        for i in range(pairs):
            lines.append("link set va%d master br%d up" % (i, i % nbridges))
            lines.append("link set vb%d up" % i)
        lines += ["link set br%d up" % b for b in range(nbridges)]
        ns.ip_batch(lines)
        per_port = max(1, a.fdb // pairs)
        fdb = []
        n = 0
        for i in range(pairs):
            for j in range(per_port):
                if n >= a.fdb:
                    break
                fdb.append("fdb add 02:%02x:%02x:%02x:%02x:%02x dev va%d master static"
                           % ((i >> 8) & 0xff, i & 0xff, (j >> 16) & 0xff, (j >> 8) & 0xff, j & 0xff, i))
                n += 1
        ns.bridge_batch(fdb)
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
