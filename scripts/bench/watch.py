#!/usr/bin/env python3
"""Overhead of `kvmnet-diag watch` (issue 16), measured side by side in one run.

Two namespace VMs on a bridge in a host namespace (created here, removed on exit).
For each case, a UDP flood of --count datagrams from vm1 to vm2 runs three ways:
without any watch (the baseline), while `kvmnet-diag watch vm1 vm2` watches this very
pair (every frame passes the filter and is recorded), and while it watches an unrelated
pair (every frame is filtered out in the kernel). Cases: `pass` (the frames reach vm2)
and `drop` (an nft bridge-family rule drops them at the bridge, so every frame also hits
skb:kfree_skb).

Reported per case: packets per second of each way and the ratio to the baseline (the
machine's own noise is the spread of the baseline's repeated runs, printed beside it),
and the BPF programs' own cost per invocation from the kernel's BPF statistics
(kernel.bpf_stats_enabled: run_time_ns / run_cnt of kvmnet_drop, kvmnet_receive,
kvmnet_transmit). Timings are reported, never asserted.

    python3 scripts/bench/watch.py [--diag .build/release/kvmnet-diag] [--count 100000] [--runs 3]
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from fleet import domstatus  # the libvirt domain status file of a running VM (scripts/bench/fleet.py)


def sh(*argv, check=True, capture=True):
    r = subprocess.run(argv, text=True, capture_output=capture)
    if check and r.returncode != 0:
        sys.exit(f"watch bench: {' '.join(argv)} failed: {r.stderr.strip()}")
    return r


class Lab:
    def __init__(self):
        tag = random.randrange(1 << 30)
        self.host, self.vm1, self.vm2, self.vm3 = (f"kvmnet-wb-{n}-{tag}" for n in ("h", "a", "b", "c"))
        self.dir = tempfile.mkdtemp(prefix="kvmnet-watch-bench-")
        self.macs = {}

    def __enter__(self):
        for ns in (self.host, self.vm1, self.vm2, self.vm3):
            sh("ip", "netns", "add", ns)
        sh("ip", "-n", self.host, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        sh("ip", "-n", self.host, "link", "set", "br0", "up")
        for i, (vm, ns) in enumerate((("vm1", self.vm1), ("vm2", self.vm2), ("vm3", self.vm3))):
            tap = f"vnet{i}"
            sh("ip", "-n", self.host, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "-n", self.host, "link", "set", tap, "master", "br0")
            sh("ip", "-n", self.host, "link", "set", tap, "up")
            sh("ip", "-n", ns, "addr", "add", f"10.79.0.{i + 1}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            mac = json.loads(sh("ip", "-n", ns, "-j", "link", "show", "eth0").stdout)[0]["address"]
            self.macs[vm] = mac
            with open(os.path.join(self.dir, f"{vm}.xml"), "w") as f:
                f.write(domstatus(vm, mac, "br0", tap))
        # vm4: a MAC and tap nobody sends from (the unrelated pair's second end).
        with open(os.path.join(self.dir, "vm4.xml"), "w") as f:
            f.write(domstatus("vm4", "52:54:00:aa:bb:cc", "br0", "vnet9"))
        return self

    def __exit__(self, *exc):
        for ns in (self.host, self.vm1, self.vm2, self.vm3):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    BLAST = ("import socket, time\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "d = b'x' * 56\n"
             "n = {count}\n"
             "t = time.monotonic()\n"
             "for _ in range(n):\n"
             "    try: s.sendto(d, ('10.79.0.2', 9))\n"
             "    except OSError: pass\n"
             "print(n / (time.monotonic() - t))\n")

    def flood(self, count):
        """Datagrams per second vm1 sends to vm2 (UDP, 56 bytes, as fast as it can).

        Not a flood ping: ping sends at most 100 per second when no reply comes, so it
        would measure ping, not the kernel, in the drop case. veth's transmit runs the
        bridge in the sender's context, so the rate carries the bridge's (and the BPF
        programs') cost per frame."""
        out = sh("ip", "netns", "exec", self.vm1, "python3", "-c", self.BLAST.format(count=count)).stdout
        return float(out.strip())

    def start_watch(self, diag, a, b):
        err = open(os.path.join(self.dir, "watch.err"), "w+")
        p = subprocess.Popen(["ip", "netns", "exec", self.host, diag, "watch", a, b, "--seconds", "600", "--json",
                              "--libvirt-dir", self.dir, "--ifcfg-dir", os.path.join(self.dir, "none"), "--no-firewall"],
                             stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            err.seek(0)
            if "watching" in err.read():
                return p
            if p.poll() is not None:
                break
            time.sleep(0.05)
        err.seek(0)
        sys.exit(f"watch bench: kvmnet-diag watch did not attach: {err.read()}")

    @staticmethod
    def stop_watch(p):
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
        return json.loads(out)


def bpf_stats():
    """{program name: (run_cnt, run_time_ns)} of kvmnet's loaded programs."""
    progs = json.loads(sh("bpftool", "-j", "prog", "show").stdout)
    return {p["name"]: (p.get("run_cnt", 0), p.get("run_time_ns", 0)) for p in progs if p.get("name", "").startswith("kvmnet_")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diag", default=None, help="kvmnet-diag binary (default: .build/release, else .build/debug)")
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    diag = args.diag or next((p for p in (f"{repo}/.build/release/kvmnet-diag", f"{repo}/.build/debug/kvmnet-diag") if os.access(p, os.X_OK)), None)
    if not diag:
        sys.exit("watch bench: no kvmnet-diag binary (swift build -c release --product kvmnet-diag)")
    for tool in ("ip", "ping", "nft", "bpftool"):
        if not shutil.which(tool):
            sys.exit(f"watch bench: {tool} missing (scripts/install-deps)")
    if os.geteuid() != 0:
        sys.exit("watch bench: needs root")
    old_stats = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    open("/proc/sys/kernel/bpf_stats_enabled", "w").write("1")
    rows = []
    try:
        with Lab() as lab:
            sh("ip", "netns", "exec", lab.vm1, "ping", "-c", "2", "-W", "1", "10.79.0.2", check=False)  # ARP, FDB
            lab.flood(2000)  # caches
            for case in ("pass", "drop"):
                if case == "drop":
                    for cmd in ("add table bridge kvmnet_wb", "add chain bridge kvmnet_wb kvmnet_forward { type filter hook forward priority 0 ; }",
                                f"add rule bridge kvmnet_wb kvmnet_forward ether daddr {lab.macs['vm2']} drop"):
                        sh("ip", "netns", "exec", lab.host, "nft", cmd)
                base, mine, other, cost = [], [], [], {}
                for _ in range(args.runs):
                    base.append(lab.flood(args.count))
                    p = lab.start_watch(diag, "vm1", "vm2")
                    before = bpf_stats()
                    mine.append(lab.flood(args.count))
                    after = bpf_stats()
                    report = lab.stop_watch(p)
                    for name, (cnt, ns) in after.items():
                        c0, n0 = before.get(name, (0, 0))
                        tot = cost.setdefault(name, [0, 0])
                        tot[0] += cnt - c0
                        tot[1] += ns - n0
                    p = lab.start_watch(diag, "vm3", "vm4")
                    other.append(lab.flood(args.count))
                    lab.stop_watch(p)
                rows.append((case, base, mine, other, cost, report))
    finally:
        open("/proc/sys/kernel/bpf_stats_enabled", "w").write(old_stats)

    print(f"kvmnet-diag watch overhead: UDP flood of {args.count} datagrams vm1 -> vm2 through br0, {args.runs} runs each, medians")
    print(f"{'case':6} {'baseline pkt/s':>15} {'noise':>7} {'watched pair':>13} {'ratio':>6} {'other pair':>11} {'ratio':>6}")
    for case, base, mine, other, cost, report in rows:
        b = statistics.median(base)
        noise = (max(base) - min(base)) / b if b else 0
        print(f"{case:6} {b:15.0f} {noise:6.1%} {statistics.median(mine):13.0f} {statistics.median(mine) / b:6.2f} "
              f"{statistics.median(other):11.0f} {statistics.median(other) / b:6.2f}")
        per = ", ".join(f"{n} {ns / cnt:.0f} ns x {cnt}" for n, (cnt, ns) in sorted(cost.items()) if cnt)
        print(f"       BPF cost per invocation (watched pair): {per}")
        dropped = sum(d["count"] for d in report["drops"])
        print(f"       last watch: {len(report['timeline']) + report['timeline_omitted']} events, {dropped} drops, lost records {report['lost_records']}")


if __name__ == "__main__":
    main()
