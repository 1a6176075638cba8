#!/usr/bin/env python3
"""`kvmnet-diag diagnose A B --prometheus URL` against a Prometheus that holds a fleet.

    python3 scripts/bench/fleet.py [--hosts 1000] [--vms-per-host 50] [--runs 20]
        [--agent .build/debug/kvmnet-agent] [--diag .build/debug/kvmnet-diag]
        [--minutes 30] [--out FILE] [--keep]

    python3 scripts/bench/fleet.py --hosts 20 --vms-per-host 5    # the CI smoke run

Needs Debian's `prometheus` package (`prometheus` and `promtool`, scripts/install-deps)
and a build of kvmnet-agent and kvmnet-diag; no root, Python 3 standard library only.

The fleet (issue 15): HOSTS hosts under job "kvmnet", each with VMS-PER-HOST VM
interfaces. HOSTS-2 of them are fake: their series (`kvmnet_vm_interface_info`,
`kvmnet_vm_interface_vlan`, `kvmnet_link_info`, `kvmnet_link_up`, `kvmnet_bond_info`,
`kvmnet_bond_slave_up`, `kvmnet_bridge_port_state`, `kvmnet_bridge_vlan_info`,
`kvmnet_build_info`: 5 x VMS-PER-HOST + 16 series a host, labels as in docs/metrics.md,
instance `fleet-host-NNNN:9834`) are written as OpenMetrics text, one sample every 15 s
over the last MINUTES minutes, and turned into TSDB blocks by `promtool tsdb
create-blocks-from openmetrics` (no thousand processes). Prometheus scrapes all HOSTS
targets: the fakes at loopback addresses whose port refuses connections (a socket bound
but not listening, held by this script), each with a static `instance` label equal to its
backfilled one, so `/api/v1/targets?state=active` lists it with that instance, health
"down", as a host whose agent just went away would be; and two real kvmnet-agents
(`--no-netlink` on the fixture host Tests/Fixtures/kvm-host, no root), scraped live:
agent A runs domain vm1 (tap vnet0 on brvlan-10), agent B domain vm3 (tap vnet1 on
brvlan-20), each from a libvirt directory of its own.

Measured, then printed as a Markdown report (and written to --out):

(a) the Prometheus calls kvmnet-diag makes, timed over HTTP from here (a new connection
    each, as the client does), median and max of RUNS: the instant query that locates
    vm1, `kvmnet_vm_interface_info{domain="vm1"} or ...{vmid="vm1"} or ...{mac="vm1"}`
    (and the same for a backfilled VM), and `/api/v1/targets?state=active` with its size;
(b) the agents' API: `/api/v1/snapshot` and `/api/v1/fdb?mac=52:54:00:aa:bb:cc` on
    both agents;
(c) the wall time of the whole `kvmnet-diag diagnose vm1 vm3 --prometheus URL --json`
    (RUNS/2 runs after one untimed warm-up whose report is checked: both agents' hosts),
    alternating with the same plus `--timings`, whose per-stage breakdown (`timing
    <stage> <ms>` lines on stderr) is reported; the target is 1 s (median).

Exit status: 0 when everything ran; 3 when a feature the benchmark measures is not in
the builds given (the agent answers 404 to /api/v1/snapshot or /api/v1/fdb, or
kvmnet-diag has no --prometheus or no --timings): the report says which and the rest is
still measured; 1 on any other failure (a missing binary, a process that does not
start, a check below that fails), with a message. Every process started here is stopped
and the temporary directory removed on exit, failure or Ctrl-C (--keep keeps the
directory: the OpenMetrics-made TSDB, the configs and every log).

Backfilled blocks and Debian's Prometheus 2.42 (2.42.0+ds-5+deb12u1), as found by trying
it (each is checked or reported by this script):

- promtool writes one block per 2 h window aligned to the epoch (UTC 00:00, 02:00, ...;
  `--max-block-duration` is a hidden flag and only takes longer ones): a 30 min window
  that crosses an even hour gives two blocks. A block's range is its samples' (maxt =
  last sample + 1 ms). Block directories (ULID/ with meta.json, index, chunks/) moved
  into the --storage.tsdb.path of a Prometheus that is not running yet are loaded at
  its start: no flag needed (a running one picks them up at its next reload of blocks,
  within a minute).
- Overlapping blocks (two promtool runs over the same time range) load without a flag in
  2.42 (`--storage.tsdb.allow-overlapping-blocks` is still accepted, hidden, a no-op
  since 2.39; the log warns "Overlapping blocks found during reloadBlocks"), but one
  minute after start a vertical compaction merges them
  (`prometheus_tsdb_vertical_compactions_total` 1): CPU spent during the measurement. So the window is cut in two halves of time, one promtool run each (in
  parallel, on two cores), and the blocks do not overlap; non-overlapping blocks in the
  newest 2 h range are left alone by the compactor (tried: no compaction in 80 s). The
  report gives the compaction counters at the end (0 expected).
- The newest block's maxt becomes the head's lower bound (`/api/v1/status/tsdb`
  `headStats.minTime`): a live sample older than it is "out of bounds". A backfill that
  reaches even two minutes into the future makes every live scrape fail until the clock
  passes it (`up` included: "Appending scrape report failed" err="out of bounds",
  `prometheus_target_scrapes_sample_out_of_bounds_total`). So the last backfilled sample
  is at least 15 s before the generation starts, before Prometheus (and its first live
  scrape) does. No `out_of_order_time_window` is needed then.
- An instant query at "now" sees a series only if its last sample is within
  `--query.lookback-delta` (5 m, the default, kept); blocks that end before now-5m are not
  even opened. From the generation to the last measurement must therefore take less than
  about 4.5 min (about 2 min at 1,000 hosts here); the script checks
  `count(kvmnet_vm_interface_info)` at now before and after measuring and fails when the
  fleet went stale.
- `--storage.tsdb.retention.time` (default 15d; `--storage.tsdb.retention` is its
  deprecated spelling) counts from the newest block's maxt, not from the clock, and never
  deletes the newest block, so any retention longer than the window keeps the backfill;
  `--storage.tsdb.retention.size` would count the blocks too: left unset.
- Empty label values (`vmid=""`, `master=""`, written as the agent exposes them) are
  dropped on the way in, as a scrape drops them: the series look scraped.
- `/api/v1/status/tsdb` describes the head only in 2.42 (`headStats.numSeries`,
  `seriesCountByMetricName`): backfilled series are not in it. The report gives the
  head's count (the live series), the blocks' own (`meta.json`) and
  `count({job="kvmnet"})` at now.

The two real agents run with `--no-netlink`, and such an agent exports no
`kvmnet_vm_interface_info` (docs/metrics.md, VMs: live mode only; its
`/api/v1/snapshot` does hold the libvirt domains). Without that series Prometheus cannot
tell which host runs vm1. When an agent's /metrics has no series for its domain, this
script gives Prometheus a recording rule that stands in for it: `up{instance=<agent>} ==
1` recorded as `kvmnet_vm_interface_info` with the labels the agent would export (domain,
device, bridge, mac), evaluated every 5 s, so it exists exactly while the live target is
up; the report says so. A build whose agent exports the series in that mode gets no
rule.

Scrape and rule interval 5 s (so a smoke run waits seconds, not a minute, for the first
scrapes); the fakes' failed scrapes cost Prometheus little at that rate.
"""
import argparse
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "kvm-host")
STEP = 15                      # seconds between backfilled samples
SCRAPE_INTERVAL = 5            # seconds, scrapes and rule evaluation
FDB_MAC = "52:54:00:aa:bb:cc"
TARGET_MS = 1000.0             # issue 15: diagnose across hosts within 1 s

# The two real agents: (key, domain, tap, bridge, MAC). Their taps exist in the fixture
# host's sysfs (vnet0 on brvlan-10, vnet1 on brvlan-20).
REAL = [("A", "vm1", "vnet0", "brvlan-10", "52:54:00:6b:10:01"),
        ("B", "vm3", "vnet1", "brvlan-20", "52:54:00:6b:99:01")]
LIBVIRT_DIRS = ["run/libvirt/qemu", "etc/libvirt/qemu", "run/libvirt/network", "etc/libvirt/qemu/networks"]


class BenchError(Exception):
    """A step failed: the message says which; exit 1."""


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__(f"signal {signum}")
        self.signum = signum


def log(msg):
    print(f"fleet: {msg}", file=sys.stderr, flush=True)


def _on_signal(signum, _frame):
    raise Interrupted(signum)


_libc = None


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if this script dies without cleaning up."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Processes:
    """Every child this script starts, stopped in reverse order by its own pid."""

    def __init__(self):
        self.children = []  # (name, Popen, log path)

    def start(self, name, argv, log_path):
        f = open(log_path, "wb")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 preexec_fn=_die_with_parent, start_new_session=True)
        except OSError as e:
            raise BenchError(f"cannot start {name} ({argv[0]}): {e}")
        finally:
            f.close()
        self.children.append((name, p, log_path))
        return p

    def stop(self, p, grace=5.0):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for _, p, _ in reversed(self.children):
            try:
                self.stop(p)
            except Exception:
                pass

    def log_tail(self, p, n=2000):
        for _, q, path in self.children:
            if q is p:
                try:
                    with open(path, "rb") as f:
                        return f.read()[-n:].decode(errors="replace")
                except OSError:
                    return ""
        return ""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def refusing_port():
    """A port nothing can listen on while the socket lives: bound on all addresses, never
    listening, so a connection to 127.x.y.z:port is refused at once."""
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    return s, s.getsockname()[1]


def resolve_binary(given, default_rel, what, hint):
    path = given if given else os.path.join(ROOT, default_rel)
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BenchError(f"{what} not found at {path}: {hint}")
    return path


def need_tool(name):
    path = shutil.which(name)
    if not path:
        raise BenchError(f"{name} not found on PATH: install Debian's prometheus package (bash scripts/install-deps)")
    return path


def http_get(port, path, host="127.0.0.1", timeout=30):
    """One GET on a new connection: (status, body, milliseconds)."""
    t0 = time.perf_counter()
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read()
        status = r.status
    finally:
        c.close()
    return status, body, (time.perf_counter() - t0) * 1000


def prom_api(port, path, params=None):
    q = ("?" + urllib.parse.urlencode(params)) if params else ""
    try:
        status, body, _ = http_get(port, path + q)
    except OSError as e:
        raise BenchError(f"Prometheus {path}: {e}")
    try:
        obj = json.loads(body)
    except ValueError:
        raise BenchError(f"Prometheus {path}: HTTP {status}, not JSON: {body[:200]!r}")
    if status != 200 or obj.get("status") != "success":
        raise BenchError(f"Prometheus {path}{q}: HTTP {status}: {obj.get('errorType')} {obj.get('error')}")
    return obj["data"]


def prom_query(port, expr):
    data = prom_api(port, "/api/v1/query", {"query": expr})
    return data.get("result", [])


def prom_scalar(port, expr):
    r = prom_query(port, expr)
    if not r:
        return 0.0
    return float(r[0]["value"][1])


def locate_query(name):
    q = json.dumps(name)
    return (f"kvmnet_vm_interface_info{{domain={q}}} or kvmnet_vm_interface_info{{vmid={q}}}"
            f" or kvmnet_vm_interface_info{{mac={q}}}")


def tree_bytes(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_blocks * 512
            except OSError:
                pass
    return total


def mib(n):
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.1f} KiB"


def ms(v):
    return f"{v:.1f}"


def summary(values):
    return statistics.median(values), max(values)


# MARK: the fleet's OpenMetrics text


class Fleet:
    """The fake hosts' series. Families are written one after the other (OpenMetrics
    wants each family's samples together), hosts in order inside each, each series'
    samples in time order; a host's scrapes sit at an offset of its own in the 15 s."""

    def __init__(self, fakes, vms, start, count):
        self.fakes, self.vms = fakes, vms
        self.start, self.count = start, count     # first timestamp (s), samples per series
        self.hw = max(4, len(str(fakes + 2)))
        self.vw = max(2, len(str(vms - 1)))
        self._suffixes = {}

    def offset_ms(self, h):
        return (h * 7919 % 60) * 250

    def last_sample(self):
        return self.start + (self.count - 1) * STEP + max(self.offset_ms(h) for h in range(1, self.fakes + 1)) / 1000

    def series_per_host(self):
        return 5 * self.vms + 16

    def suffixes(self, h, value, lo, hi):
        key = (self.offset_ms(h), value, lo, hi)
        s = self._suffixes.get(key)
        if s is None:
            off = key[0]
            s = []
            for k in range(lo, hi):
                t = (self.start + k * STEP) * 1000 + off
                s.append(f" {value} {t // 1000}.{t % 1000:03d}\n")
            self._suffixes[key] = s
        return s

    def families(self, h):
        """(name, help, [(labels, value)]) of host h; instance and job are added."""
        M, vw = self.vms, self.vw
        hn = f"{h:0{self.hw}d}"
        vnets = [f"vnet{m:0{vw}d}" for m in range(M)]
        doms = [f"vm-{hn}-{m:0{vw}d}" for m in range(M)]
        vlan = [str(10 * (1 + m % 3)) for m in range(M)]
        links = ([("eno1", "physical", "bond0"), ("eno2", "physical", "bond0"), ("bond0", "bond", "br0"),
                  ("br0", "bridge", "")] + [(v, "tap", "br0") for v in vnets])
        # One tap in a hundred hosts is down: not every value the same.
        down = f"vnet{M - 1:0{vw}d}" if h % 100 == 0 else None
        return [
            ("kvmnet_bond_info", "Bonds.", [('bond="bond0",mode="802.3ad",xmit_hash_policy="layer3+4"', "1")]),
            ("kvmnet_bond_slave_up", "Bond slaves up.", [(f'bond="bond0",slave="{s}"', "1") for s in ("eno1", "eno2")]),
            ("kvmnet_bridge_port_state", "Bridge port STP state.",
             [(f'bridge="br0",port="{p}"', "3") for p in ["bond0"] + vnets]),
            ("kvmnet_bridge_vlan_info", "VLANs reaching a bridge.", [(f'bridge="br0",vlan_id="{v}"', "1") for v in ("10", "20", "30")]),
            ("kvmnet_build_info", "Agent version.", [('version="0.1.0"', "1")]),
            ("kvmnet_link_info", "Links.", [(f'device="{d}",kind="{k}",master="{m}"', "1") for d, k, m in links]),
            ("kvmnet_link_up", "Links operationally up.",
             [(f'device="{d}",kind="{k}"', "0" if d == down else "1") for d, k, _ in links]),
            ("kvmnet_vm_interface_info", "VM interfaces.",
             [(f'bridge="br0",device="{vnets[m]}",domain="{doms[m]}",mac="52:54:00:{h >> 8 & 255:02x}:{h & 255:02x}:{m & 255:02x}",vmid=""', "1")
              for m in range(M)]),
            ("kvmnet_vm_interface_vlan", "VLAN of a VM interface's untagged frames.",
             [(f'device="{vnets[m]}",domain="{doms[m]}",source="libvirt"', vlan[m]) for m in range(M)]),
        ]

    def instance(self, h):
        return f"fleet-host-{h:0{self.hw}d}:9834"

    def write(self, path, lo, hi):
        """Samples lo..hi-1 of every series into path; returns its size in bytes."""
        per_host = [(h, f',instance="{self.instance(h)}",job="kvmnet"}}', self.families(h)) for h in range(1, self.fakes + 1)]
        names = [(name, help_) for name, help_, _ in per_host[0][2]]
        with open(path, "w", buffering=1 << 20) as f:
            for i, (name, help_) in enumerate(names):
                f.write(f"# HELP {name} {help_}\n# TYPE {name} gauge\n")
                for h, tail, fams in per_host:
                    for labels, value in fams[i][2]:
                        f.write((name + "{" + labels + tail).join([""] + self.suffixes(h, value, lo, hi)))
            f.write("# EOF\n")
        return os.path.getsize(path)


def domstatus(name, mac, bridge, tap):
    return f"""<domstatus state='running' reason='booted' pid='4242'>
  <domain type='kvm' id='1'>
    <name>{name}</name>
    <devices>
      <interface type='bridge'>
        <mac address='{mac}'/>
        <source bridge='{bridge}'/>
        <target dev='{tap}'/>
        <model type='virtio'/>
      </interface>
    </devices>
  </domain>
</domstatus>
"""


# MARK: the run


class Bench:
    def __init__(self, args):
        self.args = args
        self.procs = Processes()
        self.tmp = None
        self.missing = []        # features not in these builds (exit 3)
        self.notes = []
        self.rows = []           # (measure, runs, median, max, extra)
        self.facts = {}

    def run(self):
        a = self.args
        if a.hosts < 3:
            raise BenchError("--hosts must be at least 3 (two real agents and a fake host)")
        if a.vms_per_host < 1 or a.runs < 1 or a.minutes < 1:
            raise BenchError("--vms-per-host, --runs and --minutes must be at least 1")
        agent = resolve_binary(a.agent, ".build/debug/kvmnet-agent", "kvmnet-agent",
                               "build it (swift build --product kvmnet-agent) or give --agent")
        diag = resolve_binary(a.diag, ".build/debug/kvmnet-diag", "kvmnet-diag",
                              "build it (swift build --product kvmnet-diag) or give --diag")
        prometheus, promtool = need_tool("prometheus"), need_tool("promtool")
        if not os.path.isdir(os.path.join(FIXTURE, "sys", "class", "net")):
            raise BenchError(f"fixture host missing: {FIXTURE}")
        self.facts.update(agent=agent, diag=diag, load_start=open("/proc/loadavg").read().split()[:3])
        self.facts["prometheus_version"] = subprocess.run([prometheus, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        self.tmp = tempfile.mkdtemp(prefix="kvmnet-fleet-")
        log(f"working in {self.tmp}")

        help_text = subprocess.run([diag, "diagnose", "--help"], capture_output=True, text=True, timeout=60)
        if help_text.returncode != 0:
            raise BenchError(f"{diag} diagnose --help failed ({help_text.returncode}): {help_text.stderr[-500:]}")
        self.diag_prometheus = "--prometheus" in help_text.stdout
        self.diag_timings = "--timings" in help_text.stdout
        if not self.diag_prometheus:
            self.missing.append("kvmnet-diag has no --prometheus: (c) not measured")
        elif not self.diag_timings:
            self.missing.append("kvmnet-diag has no --timings: no stage breakdown")

        fakes, M = a.hosts - 2, a.vms_per_host
        self.agents = self.start_agents(agent)
        standin = self.check_agents()

        # The fleet's blocks, ending before anything is scraped.
        end = int(time.time()) - 2 * STEP
        end -= end % STEP
        count = a.minutes * 60 // STEP + 1
        fleet = Fleet(fakes, M, end - (count - 1) * STEP, count)
        self.fleet = fleet
        tsdb = os.path.join(self.tmp, "tsdb")
        os.makedirs(tsdb)
        self.backfill(fleet, promtool, tsdb)

        self.prom_port = self.start_prometheus(prometheus, tsdb, fleet, standin)
        self.wait_for_fleet(fleet)
        expected_vms = fakes * M + len(REAL)
        self.check_fresh(expected_vms, "before measuring")

        self.measure_prometheus(fleet)
        self.measure_agents()
        if self.diag_prometheus:
            self.measure_diagnose(diag)
        self.check_fresh(expected_vms, "after measuring")
        self.collect_tsdb_facts(tsdb, fleet)
        return self.report(fleet, standin)

    # agents

    def start_agents(self, agent):
        agents = {}
        for key, dom, tap, bridge, mac in REAL:
            root = os.path.join(self.tmp, f"agent-{key}")
            for d in LIBVIRT_DIRS:
                os.makedirs(os.path.join(root, d))
            os.makedirs(os.path.join(root, "ifcfg"))
            os.makedirs(os.path.join(root, "pve"))
            with open(os.path.join(root, "run/libvirt/qemu", f"{dom}.xml"), "w") as f:
                f.write(domstatus(dom, mac, bridge, tap))
            port = free_port()
            argv = [agent, "--no-netlink", f"--path.procfs={FIXTURE}/proc", f"--path.sysfs={FIXTURE}/sys",
                    f"--web.listen-address=127.0.0.1:{port}", f"--ifcfg-dir={root}/ifcfg", f"--proxmox-dir={root}/pve"]
            argv += [f"--libvirt-dir={root}/{d}" for d in LIBVIRT_DIRS]
            p = self.procs.start(f"kvmnet-agent {key}", argv, os.path.join(self.tmp, f"agent-{key}.log"))
            agents[key] = dict(port=port, proc=p, domain=dom, tap=tap, bridge=bridge, mac=mac,
                               instance=f"127.0.0.1:{port}")
        for key, ag in agents.items():
            deadline = time.time() + 30
            while True:
                if ag["proc"].poll() is not None:
                    raise BenchError(f"kvmnet-agent {key} exited ({ag['proc'].returncode}): {self.procs.log_tail(ag['proc'])}")
                try:
                    status, _, _ = http_get(ag["port"], "/-/healthy", timeout=2)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise BenchError(f"kvmnet-agent {key} did not answer /-/healthy within 30 s: {self.procs.log_tail(ag['proc'])}")
                time.sleep(0.1)
        log("agents up: " + ", ".join(f"{k} {v['domain']} on 127.0.0.1:{v['port']}" for k, v in agents.items()))
        return agents

    def check_agents(self):
        """The API's presence, and whether the agents export their VM series (else the
        stand-in rule): returns the keys of the agents that need it."""
        self.api = {}
        for path in ("/api/v1/snapshot", f"/api/v1/fdb?mac={FDB_MAC}"):
            status, body, _ = http_get(self.agents["A"]["port"], path)
            if status == 404:
                self.api[path] = False
                self.missing.append(f"the agent answers 404 to {path.split('?')[0]}: not available in this build")
            elif status == 200:
                json.loads(body)
                self.api[path] = True
            else:
                raise BenchError(f"agent A {path}: HTTP {status}: {body[:300]!r}")
        standin = []
        deadline = time.time() + 3   # an agent reads libvirt's files just after it starts
        for key, ag in self.agents.items():
            while True:
                _, body, _ = http_get(ag["port"], "/metrics")
                if re.search(rb'^kvmnet_vm_interface_info\{[^}]*domain="%s"' % ag["domain"].encode(), body, re.M):
                    break
                if time.time() > deadline:
                    standin.append(key)
                    break
                time.sleep(0.25)
        if standin:
            self.notes.append("The agents run with --no-netlink, which exports no kvmnet_vm_interface_info "
                              "(docs/metrics.md: live mode only): a recording rule stands in for agent(s) "
                              f"{', '.join(standin)} (`up{{instance=...}} == 1` recorded as kvmnet_vm_interface_info "
                              "with the domain, device, bridge and mac the agent would export). Snapshots and FDB lookups are the agents' own.")
        return standin

    # backfill

    def backfill(self, fleet, promtool, tsdb):
        parts = 2 if (os.cpu_count() or 1) >= 2 and fleet.count >= 8 else 1
        bounds = [fleet.count * i // parts for i in range(parts + 1)]
        t0 = time.time()
        running, om_bytes = [], 0
        for i in range(parts):
            om = os.path.join(self.tmp, f"fleet-{i}.om")
            tg = time.time()
            om_bytes += fleet.write(om, bounds[i], bounds[i + 1])
            log(f"OpenMetrics part {i + 1}/{parts}: {mib(os.path.getsize(om))} in {time.time() - tg:.1f} s")
            out = os.path.join(self.tmp, f"blocks-{i}")
            p = self.procs.start(f"promtool {i}", [promtool, "tsdb", "create-blocks-from", "openmetrics", om, out],
                                 os.path.join(self.tmp, f"promtool-{i}.log"))
            running.append((p, om, out))
        for p, om, out in running:
            rc = p.wait()
            if rc != 0:
                raise BenchError(f"promtool tsdb create-blocks-from openmetrics {om} failed ({rc}): {self.procs.log_tail(p)}")
            if not self.args.keep:
                os.unlink(om)
            for b in os.listdir(out):
                if os.path.isfile(os.path.join(out, b, "meta.json")):
                    os.rename(os.path.join(out, b), os.path.join(tsdb, b))
            shutil.rmtree(out)
        self.facts.update(backfill_s=time.time() - t0, om_bytes=om_bytes, parts=parts)
        blocks = []
        for b in sorted(os.listdir(tsdb)):
            with open(os.path.join(tsdb, b, "meta.json")) as f:
                meta = json.load(f)
            blocks.append(meta)
        if not blocks:
            raise BenchError(f"promtool wrote no blocks: see {self.tmp}/promtool-*.log")
        # In time order: the two promtool runs' ULIDs interleave, and a part whose range
        # crosses a 2 h boundary gives two blocks.
        blocks.sort(key=lambda m: (m["minTime"], m["maxTime"]))
        for x, y in zip(blocks, blocks[1:]):
            if x["maxTime"] > y["minTime"]:
                raise BenchError(f"backfilled blocks overlap: {x['ulid']} and {y['ulid']}")
        if max(b["maxTime"] for b in blocks) / 1000 > time.time():
            raise BenchError("a backfilled block reaches into the future: live scrapes would be out of bounds")
        self.blocks = blocks
        log(f"backfill: {len(blocks)} block(s), {sum(b['stats']['numSamples'] for b in blocks)} samples, "
            f"{self.facts['backfill_s']:.1f} s")

    # Prometheus

    def start_prometheus(self, prometheus, tsdb, fleet, standin):
        self.refuser, closed = refusing_port()
        port = free_port()
        real = "\n".join(f'      - targets: ["127.0.0.1:{ag["port"]}"]' for ag in self.agents.values())
        fake = []
        for h in range(1, fleet.fakes + 1):
            fake.append(f'      - targets: ["127.1.{h // 250}.{h % 250 + 1}:{closed}"]\n'
                        f'        labels: {{instance: "{fleet.instance(h)}"}}')
        rules = ""
        if standin:
            rule_path = os.path.join(self.tmp, "standin-rules.yml")
            with open(rule_path, "w") as f:
                f.write(f"groups:\n  - name: fleet-bench-standin\n    interval: {SCRAPE_INTERVAL}s\n    rules:\n")
                for key in standin:
                    ag = self.agents[key]
                    f.write(f'      - record: kvmnet_vm_interface_info\n'
                            f'        expr: up{{job="kvmnet",instance="{ag["instance"]}"}} == 1\n'
                            f'        labels: {{domain: "{ag["domain"]}", device: "{ag["tap"]}", bridge: "{ag["bridge"]}", mac: "{ag["mac"]}"}}\n')
            rules = f"rule_files:\n  - {rule_path}\n"
        config = (f"global:\n  scrape_interval: {SCRAPE_INTERVAL}s\n  scrape_timeout: {SCRAPE_INTERVAL - 1}s\n"
                  f"  evaluation_interval: {SCRAPE_INTERVAL}s\n{rules}"
                  f"scrape_configs:\n  - job_name: kvmnet\n    static_configs:\n{real}\n" + "\n".join(fake) + "\n")
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(config)
        p = self.procs.start("prometheus", [prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={tsdb}",
                                            f"--web.listen-address=127.0.0.1:{port}"],
                             os.path.join(self.tmp, "prometheus.log"))
        self.prom = p
        t0 = time.time()
        while True:
            if p.poll() is not None:
                raise BenchError(f"prometheus exited ({p.returncode}): {self.procs.log_tail(p)}")
            try:
                status, _, _ = http_get(port, "/-/ready", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() - t0 > 120:
                raise BenchError(f"prometheus not ready within 120 s: {self.procs.log_tail(p)}")
            time.sleep(0.2)
        self.facts["prom_ready_s"] = time.time() - t0
        log(f"prometheus ready on 127.0.0.1:{port} in {self.facts['prom_ready_s']:.1f} s")
        return port

    def wait_for_fleet(self, fleet):
        """Every target active with its instance, both agents up and their VMs located."""
        port = self.prom_port
        want_fake = {fleet.instance(h) for h in range(1, fleet.fakes + 1)}
        deadline = time.time() + 60 + 4 * SCRAPE_INTERVAL
        while True:
            targets = prom_api(port, "/api/v1/targets", {"state": "active"})["activeTargets"]
            by_instance = {}
            for t in targets:
                by_instance.setdefault(t["labels"].get("instance"), []).append(t)
            fake_ok = want_fake <= set(by_instance)
            real_up = all(any(t["health"] == "up" for t in by_instance.get(ag["instance"], [])) for ag in self.agents.values())
            located = all({r["metric"].get("instance") for r in prom_query(port, locate_query(ag["domain"]))} == {ag["instance"]}
                          for ag in self.agents.values())
            if fake_ok and real_up and located and len(targets) == fleet.fakes + len(REAL):
                break
            if self.prom.poll() is not None:
                raise BenchError(f"prometheus exited ({self.prom.returncode}): {self.procs.log_tail(self.prom)}")
            if time.time() > deadline:
                raise BenchError(f"fleet not ready: {len(targets)} active targets (want {fleet.fakes + 2}), "
                                 f"fake instances all there: {fake_ok}, both agents up: {real_up}, vm1/vm3 located: {located}")
            time.sleep(0.5)
        self.facts["targets"] = len(targets)
        log(f"{len(targets)} targets active; vm1 and vm3 located on the agents")

    def check_fresh(self, expected, when):
        n = prom_scalar(self.prom_port, 'count(kvmnet_vm_interface_info{job="kvmnet"})')
        age = time.time() - self.fleet.last_sample()
        self.facts[f"vms_at_now {when}"] = (int(n), age)
        if int(n) != expected:
            raise BenchError(f"{when}: count(kvmnet_vm_interface_info) at now is {int(n)}, want {expected} "
                             f"(the last backfilled sample is {age:.0f} s old; the lookback is 300 s)")

    # measures

    def timed(self, port, path, runs):
        times, size, status = [], 0, None
        for _ in range(runs):
            status, body, t = http_get(port, path)
            if status != 200:
                raise BenchError(f"GET 127.0.0.1:{port}{path}: HTTP {status}: {body[:300]!r}")
            times.append(t)
            size = len(body)
        return times, size

    def measure_prometheus(self, fleet):
        n = self.args.runs
        port = self.prom_port
        for label, name in (("vm1 (agent A)", "vm1"), ("a backfilled VM", f"vm-{(fleet.fakes + 1) // 2:0{fleet.hw}d}-{(fleet.vms - 1) // 2:0{fleet.vw}d}")):
            path = "/api/v1/query?" + urllib.parse.urlencode({"query": locate_query(name)})
            times, size = self.timed(port, path, n)
            result = json.loads(http_get(port, path)[1])["data"]["result"]
            if len(result) != 1:
                raise BenchError(f"the locate query for {name} gave {len(result)} series, want 1")
            self.rows.append((f"(a) Prometheus: locate {label}, `/api/v1/query` domain or vmid or mac = `{name}`", n, *summary(times), f"{size:,} B"))
        times, size = self.timed(port, "/api/v1/targets?state=active", n)
        self.facts["targets_bytes"] = size
        self.rows.append((f"(a) Prometheus: `/api/v1/targets?state=active` ({self.facts['targets']} targets)", n, *summary(times), f"{size:,} B ({mib(size)})"))

    def measure_agents(self):
        n = self.args.runs
        for path in ("/api/v1/snapshot", f"/api/v1/fdb?mac={FDB_MAC}"):
            short = path.split("?")[0]
            if not self.api[path]:
                self.rows.append((f"(b) agent: `{path}`", 0, None, None, "not available in this build (404)"))
                continue
            for key, ag in self.agents.items():
                times, size = self.timed(ag["port"], path, n)
                self.rows.append((f"(b) agent {key}: `{path}`", n, *summary(times), f"{size:,} B"))

    def diagnose_once(self, argv):
        t0 = time.perf_counter()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{' '.join(argv)}: no answer within 120 s")
        wall = (time.perf_counter() - t0) * 1000
        if r.returncode not in (0, 1, 2):
            raise BenchError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr[-1500:]}")
        return wall, r

    def measure_diagnose(self, diag):
        runs = max(1, self.args.runs // 2)
        url = f"http://127.0.0.1:{self.prom_port}"
        argv = [diag, "diagnose", "vm1", "vm3", "--prometheus", url, "--json"]
        _, first = self.diagnose_once(argv)   # warm-up (page cache), and the result checked
        try:
            report = json.loads(first.stdout)
        except ValueError:
            raise BenchError(f"kvmnet-diag --json printed no JSON: {first.stdout[:300]!r} {first.stderr[-500:]}")
        hosts = sorted(h.get("host", h.get("name", "?")) if isinstance(h, dict) else str(h) for h in report.get("hosts", []))
        want = sorted(ag["instance"] for ag in self.agents.values())
        if hosts != want:
            raise BenchError(f"kvmnet-diag's report names hosts {hosts}, want both agents {want}")
        self.facts["diag_exit"] = first.returncode
        self.facts["diag_findings"] = sorted({f.get("check", "?") for f in report.get("findings", []) if f.get("severity") in ("fail", "warn")})
        # Plain and --timings runs alternate, so a drift of the machine's load hits both.
        walls, walls_t, self.stages = [], [], {}
        agent_name = {ag["instance"]: f"agent-{k}" for k, ag in self.agents.items()}
        for _ in range(runs):
            walls.append(self.diagnose_once(argv)[0])
            if not self.diag_timings:
                continue
            wall, r = self.diagnose_once(argv + ["--timings"])
            walls_t.append(wall)
            total, seen = 0.0, 0
            for line in r.stderr.splitlines():
                m = re.match(r"^timing (\S+) ([0-9.]+)$", line.strip())
                if m:
                    stage = m.group(1)
                    for inst, nm in agent_name.items():
                        stage = stage.replace(inst, nm)
                    self.stages.setdefault(stage, []).append(float(m.group(2)))
                    total += float(m.group(2))
                    seen += 1
            if not seen:
                raise BenchError(f"kvmnet-diag --timings printed no `timing <stage> <ms>` lines: {r.stderr[-500:]}")
            self.stages.setdefault("(outside the stages: process start, JSON, exit)", []).append(wall - total)
        self.diag_wall = summary(walls)
        self.rows.append((f"(c) `kvmnet-diag diagnose vm1 vm3 --prometheus URL --json` (whole process)", runs, *self.diag_wall,
                          f"exit {first.returncode}"))
        if walls_t:
            self.rows.append(("(c) the same with `--timings` (runs alternating with the above)", runs, *summary(walls_t), ""))

    def collect_tsdb_facts(self, tsdb, fleet):
        self.facts["tsdb_bytes"] = tree_bytes(tsdb)
        self.facts["blocks_bytes"] = sum(tree_bytes(os.path.join(tsdb, b["ulid"])) for b in self.blocks)
        targets = prom_api(self.prom_port, "/api/v1/targets", {"state": "active"})["activeTargets"]
        want_fake = {fleet.instance(h) for h in range(1, fleet.fakes + 1)}
        self.facts["fake_down"] = sum(1 for t in targets if t["labels"].get("instance") in want_fake and t["health"] == "down")
        st = prom_api(self.prom_port, "/api/v1/status/tsdb")
        self.facts["head_series"] = st["headStats"]["numSeries"]
        self.facts["series_now"] = int(prom_scalar(self.prom_port, 'count({job="kvmnet"})'))
        _, body, _ = http_get(self.prom_port, "/metrics")
        for name in ("prometheus_tsdb_compactions_total", "prometheus_tsdb_vertical_compactions_total",
                     "prometheus_tsdb_blocks_loaded", "prometheus_target_scrapes_sample_out_of_bounds_total"):
            m = re.search(rb"^%s ([0-9.e+]+)$" % name.encode(), body, re.M)
            self.facts[name] = m.group(1).decode() if m else "?"
        try:
            with open(f"/proc/{self.prom.pid}/status") as f:
                rss = [l for l in f if l.startswith("VmRSS:")][0].split()[1]
            self.facts["prom_rss_mb"] = int(rss) / 1024
        except (OSError, IndexError):
            self.facts["prom_rss_mb"] = None
        self.facts["load_end"] = open("/proc/loadavg").read().split()[:3]

    # report

    def report(self, fleet, standin):
        f, a = self.facts, self.args
        vms = fleet.fakes * fleet.vms + len(REAL)
        lines = [f"## Fleet benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]
        lines.append(f"Machine: {os.cpu_count()} cores, kernel {os.uname().release}, load {' '.join(f['load_start'])} at start, "
                     f"{' '.join(f['load_end'])} at end; {f['prometheus_version']}.")
        def shown(path):
            return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
        lines.append(f"Agent `{shown(f['agent'])}`, diag `{shown(f['diag'])}`.")
        lines.append("")
        lines.append(f"Fleet: {a.hosts} hosts under job kvmnet ({fleet.fakes} backfilled, their targets refusing connections, "
                     f"{f['fake_down']} of them down at the end; 2 real kvmnet-agents scraped live), {vms:,} VM interfaces "
                     f"({fleet.fakes} x {fleet.vms} + vm1 + vm3). Backfilled: {fleet.fakes * fleet.series_per_host():,} series "
                     f"({fleet.series_per_host()} a host, 9 families), a sample every {STEP} s over {a.minutes} min "
                     f"({fleet.count} a series, {sum(b['stats']['numSamples'] for b in self.blocks):,} samples); "
                     f"OpenMetrics text {mib(f['om_bytes'])}, written and turned into blocks in {f['backfill_s']:.1f} s "
                     f"({f['parts']} promtool run(s) in parallel).")
        lines.append("")
        lines.append(f"TSDB on disk: {mib(f['tsdb_bytes'])} ({len(self.blocks)} block(s) {mib(f['blocks_bytes'])}, the rest WAL and head chunks); "
                     f"Prometheus ready {f['prom_ready_s']:.1f} s after start, RSS {f['prom_rss_mb']:.0f} MB at the end." if f['prom_rss_mb'] else
                     f"TSDB on disk: {mib(f['tsdb_bytes'])}.")
        lines.append(f"Series: head {f['head_series']:,} (`/api/v1/status/tsdb` headStats.numSeries: the live scrapes only), "
                     f"blocks {max(b['stats']['numSeries'] for b in self.blocks):,} (meta.json), `count({{job=\"kvmnet\"}})` at now "
                     f"{f['series_now']:,}; `count(kvmnet_vm_interface_info)` at now {f['vms_at_now before measuring'][0]:,} before measuring, "
                     f"{f['vms_at_now after measuring'][0]:,} after (last backfilled sample {f['vms_at_now after measuring'][1]:.0f} s old then). "
                     f"Compactions during the run: {f['prometheus_tsdb_compactions_total']} (vertical {f['prometheus_tsdb_vertical_compactions_total']}); "
                     f"samples out of bounds: {f['prometheus_target_scrapes_sample_out_of_bounds_total']}.")
        lines.append("")
        lines.append("| measure | runs | median (ms) | max (ms) | answer |")
        lines.append("|---|---|---|---|---|")
        for name, runs, med, mx, extra in self.rows:
            lines.append(f"| {name} | {runs} | {ms(med) if med is not None else '-'} | {ms(mx) if mx is not None else '-'} | {extra} |")
        lines.append("")
        if self.diag_prometheus and getattr(self, "stages", None):
            lines.append(f"Stages of `--timings` (median / max of {max(1, a.runs // 2)} runs, ms):")
            lines.append("")
            lines.append("| stage | median | max |")
            lines.append("|---|---|---|")
            for stage, vals in self.stages.items():
                lines.append(f"| {stage} | {ms(statistics.median(vals))} | {ms(max(vals))} |")
            lines.append("")
        if self.diag_prometheus:
            med, mx = self.diag_wall
            verdict = "met" if med <= TARGET_MS else "NOT met"
            lines.append(f"Target (issue 15): diagnose across hosts through Prometheus within 1 s: **{verdict}** "
                         f"(median {ms(med)} ms, max {ms(mx)} ms{'; the max is over' if med <= TARGET_MS < mx else ''}). "
                         f"kvmnet-diag's verdict: exit {f['diag_exit']}, warnings and failures: {', '.join(f['diag_findings']) or 'none'}.")
        else:
            lines.append("Target (issue 15): not measured: kvmnet-diag has no --prometheus.")
        lines.append("")
        for n in self.notes:
            lines.append(f"- {n}")
        for m in self.missing:
            lines.append(f"- **Missing**: {m}")
        lines.append("")
        return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=1000, help="hosts in the fleet, the two real agents included (default 1000)")
    ap.add_argument("--vms-per-host", type=int, default=50, help="VM interfaces of each fake host (default 50)")
    ap.add_argument("--runs", type=int, default=20, help="runs of each API call; kvmnet-diag runs half as often (default 20)")
    ap.add_argument("--minutes", type=int, default=30, help="backfilled history, minutes (default 30)")
    ap.add_argument("--agent", help="kvmnet-agent binary (default .build/debug/kvmnet-agent)")
    ap.add_argument("--diag", help="kvmnet-diag binary (default .build/debug/kvmnet-diag)")
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (TSDB, configs, logs)")
    args = ap.parse_args()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    bench = Bench(args)
    code = 0
    try:
        text = bench.run()
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text)
        code = 3 if bench.missing else 0
    except BenchError as e:
        print(f"fleet: error: {e}", file=sys.stderr)
        code = 1
    except Interrupted as e:
        print(f"fleet: interrupted ({e}): stopping what was started", file=sys.stderr)
        code = 128 + e.signum
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        bench.procs.stop_all()
        if bench.tmp:
            if args.keep:
                print(f"fleet: kept {bench.tmp}", file=sys.stderr)
            else:
                shutil.rmtree(bench.tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
