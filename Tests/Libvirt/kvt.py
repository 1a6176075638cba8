"""Helpers of the libvirt end-to-end tests: a run's resources (bridges, domains,
daemons) recorded on disk and removed even after a crash, libvirtd and virtlogd
started without systemd, the guest's domain XML, the agent as a child process, and
parsers of what they print.

Everything a run creates is named kvt-<id>-* (bridges, domains) and recorded in its
state directory /tmp/kvmnet-libvirt-<id>/ (owner.pid, resources); `cleanup()` removes
exactly that. A later run cleans up after runs whose owner died (see `reap_stale()`).
"""

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
URI = "qemu:///system"
STATE_ROOT = Path(os.environ.get("KVT_STATE_ROOT", "/tmp"))
LOCK_FILE = Path("/run/lock/kvmnet-libvirt-tests.lock")
DAEMONS = [  # started in this order, stopped in reverse
    ("virtlogd", "/usr/sbin/virtlogd", Path("/run/virtlogd.pid")),
    ("libvirtd", "/usr/sbin/libvirtd", Path("/run/libvirtd.pid")),
]


def log(msg):
    print(f"[kvt {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(*args, check=True, timeout=60, input=None):
    """Runs a command; returns CompletedProcess (text). Raises with its output on failure."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def virsh(*args, check=True, timeout=60):
    return sh("virsh", "-q", "-c", URI, *args, check=check, timeout=timeout)


def wait_for(what, predicate, timeout, interval=0.25):
    """Polls `predicate` until it returns something truthy; returns it. Raises after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
        except Exception as e:  # noqa: BLE001 - reported if it never succeeds
            last = e
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


# ---------------------------------------------------------------- daemons


def _running(pid):
    """Whether `pid` exists and is not a zombie (PID 1 here may be slow to reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _alive(pidfile, comm):
    try:
        pid = int(pidfile.read_text().strip())
        if Path(f"/proc/{pid}/comm").read_text().strip() == comm and _running(pid):
            return pid
    except (OSError, ValueError):
        pass
    return None


class Daemons:
    """virtlogd and libvirtd, started with -d (no systemd), stopped by their pid files.
    Daemons found running are used and left running."""

    def __init__(self, run):
        self.run = run

    def start(self):
        for name, exe, pidfile in DAEMONS:
            if _alive(pidfile, name):
                log(f"{name} already runs (pid {pidfile.read_text().strip()}): using it")
                continue
            # A stale pid file makes the daemon refuse to start.
            pidfile.unlink(missing_ok=True)
            self.run.record("daemon", name)
            sh(exe, "-d", timeout=30)
            wait_for(f"{name} pid file", lambda p=pidfile, n=name: _alive(p, n), 20)
            log(f"started {name} (pid {pidfile.read_text().strip()})")
        wait_for("libvirtd to answer", lambda: virsh("version", check=False).returncode == 0, 30)

    @staticmethod
    def stop(names):
        for name, _, pidfile in reversed(DAEMONS):
            if name not in names:
                continue
            pid = _alive(pidfile, name)
            if not pid:
                continue
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(f"{name} to exit", lambda p=pid: not _running(p), 20)
            except AssertionError:
                os.kill(pid, signal.SIGKILL)
            log(f"stopped {name} (pid {pid})")


# ---------------------------------------------------------------- a run


class Run:
    """One test run: its id, state directory, and everything it created."""

    def __init__(self):
        self.id = secrets.token_hex(2)
        self.prefix = f"kvt-{self.id}-"
        self.dir = STATE_ROOT / f"kvmnet-libvirt-{self.id}"
        self.dir.mkdir(mode=0o755)
        self.dir.chmod(0o755)  # libvirt's qemu user reads the kernel and initrd here
        (self.dir / "owner.pid").write_text(str(os.getpid()))
        self.lock_fd = None

    def name(self, suffix):
        return self.prefix + suffix

    def record(self, kind, value):
        with open(self.dir / "resources", "a") as f:
            f.write(json.dumps({"kind": kind, "value": value}) + "\n")

    def lock(self, timeout=1200):
        """Serialises libvirt test runs on this machine (one pair of daemons for all)."""
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another libvirt test run holds {LOCK_FILE}")
                time.sleep(1)
        self.lock_fd = fd

    def bridge(self, suffix):
        name = self.name(suffix)
        assert len(name) <= 15, name
        self.record("bridge", name)
        sh("ip", "link", "add", name, "type", "bridge")
        sh("ip", "link", "set", name, "up")
        return name

    def uplink(self, suffix, bridge):
        """A VXLAN device (no remote: it sends nothing) as `bridge`'s port off the host,
        as on a host whose bridges leave over an overlay; kvmnet-diag counts it as an
        uplink (this machine's kernel has no 8021q for a VLAN uplink)."""
        name = self.name(suffix)
        self.record("bridge", name)
        vni = 4000 + int(self.id, 16) % 10000
        sh("ip", "link", "add", name, "type", "vxlan", "id", vni, "dstport", "4789", "local", "127.0.0.1", "nolearning")
        sh("ip", "link", "set", name, "master", bridge, "up")
        return name

    def sysctl(self, key, value):
        """Sets /proc/sys/KEY; the value before is recorded and put back by cleanup."""
        path = Path("/proc/sys") / key.replace(".", "/")
        old = path.read_text().strip()
        self.record("sysctl", [key, old])
        path.write_text(f"{value}\n")
        return old

    def define(self, xml_text, name):
        path = self.dir / f"{name}.xml"
        path.write_text(xml_text)
        self.record("domain", name)
        virsh("define", path)
        return name

    def cleanup(self, keep_dir=False):
        cleanup_dir(self.dir, keep_dir=keep_dir)
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None


def cleanup_dir(state_dir, keep_dir=False, stop_daemons=True):
    """Removes what the run of `state_dir` created: its domains (destroyed, undefined),
    bridges, and the daemons it started. Every step is tried even if others fail."""
    state_dir = Path(state_dir)
    resources = []
    try:
        for line in (state_dir / "resources").read_text().splitlines():
            resources.append(json.loads(line))
    except OSError:
        pass
    run_id = state_dir.name.removeprefix("kvmnet-libvirt-")
    prefix = f"kvt-{run_id}-"
    domains = {r["value"] for r in resources if r["kind"] == "domain"}
    bridges = {r["value"] for r in resources if r["kind"] == "bridge"}
    daemons = {r["value"] for r in resources if r["kind"] == "daemon"}
    for r in resources:
        if r["kind"] == "process":  # the agent, left behind when pytest was killed
            pid, exe = r["value"]
            try:
                if os.readlink(f"/proc/{pid}/exe") == exe and _running(pid):
                    os.kill(pid, signal.SIGTERM)
                    log(f"stopped {exe} (pid {pid})")
            except OSError:
                pass
    for r in reversed([r for r in resources if r["kind"] == "sysctl"]):
        key, old = r["value"]
        try:
            (Path("/proc/sys") / key.replace(".", "/")).write_text(f"{old}\n")
        except OSError as e:
            log(f"cannot restore {key}={old}: {e}")
    libvirt_up = _alive(DAEMONS[1][2], "libvirtd") is not None
    if libvirt_up:
        listed = virsh("list", "--all", "--name", check=False).stdout.split()
        domains |= {d for d in listed if d.startswith(prefix)}  # clones made by virt-clone
        for d in sorted(domains):
            virsh("destroy", d, check=False)
            virsh("undefine", d, check=False)
    links = sh("ip", "-o", "link", "show", check=False).stdout
    bridges |= set(re.findall(rf"^\d+: ({re.escape(prefix)}[^:@\s]+)", links, re.M))
    for b in sorted(bridges):
        sh("ip", "link", "del", b, check=False)
    if daemons and stop_daemons:
        Daemons.stop(daemons)
    if not keep_dir:
        shutil.rmtree(state_dir, ignore_errors=True)
    if domains or bridges or daemons:
        log(f"cleaned up run {run_id}: domains {sorted(domains)}, bridges {sorted(bridges)}, daemons {sorted(daemons)}")


def stale_runs(run):
    """State directories of earlier runs whose owner process is gone (killed, timed out)."""
    out = []
    for d in sorted(STATE_ROOT.glob("kvmnet-libvirt-*")):
        if d == run.dir:
            continue
        try:
            pid = int((d / "owner.pid").read_text())
            if Path(f"/proc/{pid}").exists():
                continue
        except (OSError, ValueError):
            pass
        out.append(d)
    return out


def reap_stale(run, stale):
    """Cleans up after stale runs (libvirtd must run to destroy their domains). Daemons
    a stale run started and left running become this run's, stopped at its end."""
    for d in stale:
        log(f"stale run {d}: cleaning up")
        try:
            for line in (d / "resources").read_text().splitlines():
                r = json.loads(line)
                if r["kind"] == "daemon":
                    run.record("daemon", r["value"])
        except OSError:
            pass
        cleanup_dir(d, stop_daemons=False)


# ---------------------------------------------------------------- guests


def build_guest(out_dir):
    p = sh(HERE / "build-guest.sh", out_dir, timeout=120)
    log(p.stdout.strip())


def domain_xml(name, guest_dir, serial, bridge, mac, ip, peer, interval="1", memory_mib=128):
    """A TCG domain booting the test kernel and initramfs, one virtio NIC on `bridge`."""
    cmdline = (f"console=ttyS0 quiet loglevel=1 panic=-1 kvt.name={name} kvt.ip={ip} "
               f"kvt.peer={peer} kvt.interval={interval}")
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{guest_dir}/vmlinuz</kernel>
    <initrd>{guest_dir}/initrd.gz</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='bridge'>
      <source bridge='{bridge}'/>
      <mac address='{mac}'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='{serial}'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def interface_xml(bridge, mac):
    return f"""<interface type='bridge'>
  <source bridge='{bridge}'/>
  <mac address='{mac}'/>
  <model type='virtio'/>
</interface>
"""


def domiflist(domain):
    """[(tap, type, source, model, mac)] of a domain, from `virsh domiflist`."""
    rows = []
    for line in virsh("domiflist", domain).stdout.splitlines():
        parts = line.split()
        if len(parts) == 5:
            rows.append(tuple(parts))
    return rows


def tap_of(domain):
    rows = domiflist(domain)
    assert len(rows) == 1 and rows[0][0].startswith("vnet"), rows
    return rows[0][0]


def master_of(dev):
    link = Path(f"/sys/class/net/{dev}/master")
    return os.path.basename(os.readlink(link)) if link.exists() else None


class Serial:
    """A guest's serial console log: the @@KVT-...@@ markers its /init prints."""

    def __init__(self, path):
        self.path = Path(path)

    def text(self):
        try:
            return self.path.read_text(errors="replace")
        except OSError:
            return ""

    def markers(self, kind, since=0):
        return re.findall(rf"@@KVT-{kind} ([^@]*)@@", self.text()[since:])

    def size(self):
        return len(self.text())


# ---------------------------------------------------------------- the agent and kvmnet-diag


def bin_dir():
    return Path(os.environ.get("KVMNET_BIN_DIR", REPO / ".build" / "debug"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    """The real kvmnet-agent in the root namespace (live netlink mode)."""

    def __init__(self, log_path, scan_interval=30, run=None):
        self.port = free_port()
        self.log_path = Path(log_path)
        exe = bin_dir() / "kvmnet-agent"
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [exe, f"--web.listen-address=127.0.0.1:{self.port}", f"--scan.interval={scan_interval}",
             "--log.level=debug"],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        if run:
            run.record("process", [self.proc.pid, str(exe)])
        try:
            wait_for("the agent to answer", lambda: self._healthy(), 30)
        except AssertionError:
            self.stop()
            raise AssertionError(f"agent did not start:\n{self.log()}")

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"agent exited {self.proc.returncode}:\n{self.log()}")
        return self.get("/-/healthy")[0] == 200

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        status, text = self.get("/metrics")
        assert status == 200, text
        return parse_metrics(text)

    def diagnose(self, query=""):
        status, text = self.get("/diagnose" + (f"?{query}" if query else ""))
        assert status == 200, text
        return json.loads(text)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def diag(*args):
    """Runs kvmnet-diag --json ARGS; returns (exit code, report)."""
    p = sh(bin_dir() / "kvmnet-diag", *args, "--json", check=False, timeout=60)
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"kvmnet-diag {' '.join(args)} exited {p.returncode}, no JSON:\n{p.stdout}{p.stderr}")
    return p.returncode, report


def findings(report, check, device=None):
    """The report's findings of `check`, about `device` when given."""
    return [f for f in report["findings"]
            if f["check"] == check and (device is None or device in f["devices"] or device in f["subject"])]


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] of an exposition text."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable exposition line: {line!r}"
        labels = dict(_LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def series(samples, name, **labels):
    """Samples of `name` whose labels include `labels`."""
    return [(l, v) for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]


if __name__ == "__main__":
    # `python3 kvt.py reap`: cleans up after every run whose owner is gone, daemons
    # included (run.sh calls it when pytest has exited, however it exited).
    import sys

    if sys.argv[1:] != ["reap"]:
        sys.exit("usage: kvt.py reap")
    for d in sorted(STATE_ROOT.glob("kvmnet-libvirt-*")):
        try:
            if Path(f"/proc/{int((d / 'owner.pid').read_text())}").exists():
                continue
        except (OSError, ValueError):
            pass
        cleanup_dir(d)
