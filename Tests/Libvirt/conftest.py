"""Fixtures of the libvirt end-to-end tests: one lab per session.

The lab: libvirtd and virtlogd (started here unless already running, stopped at the
end), the real kvmnet-agent in the root namespace (started before any VM, so VMs come
and go while it runs), bridges kvt-<id>-a/b/c, and the guests, all started at once so
their boots overlap:

    kvt-<id>-a has an uplink (kvt-<id>-vx, VXLAN); -b and -c end in the host
    vm1        on kvt-<id>-a  10.91.0.1/24, pings 10.91.0.2
    vm2        on kvt-<id>-b  10.91.0.2/24, pings 10.91.0.1 (moved to -a by a test)
    dup        on kvt-<id>-c  10.93.0.1/24, pings 10.93.0.9 (nobody: ARP broadcasts)
    dup-clone  virt-clone of dup with dup's MAC (--mac), on kvt-<id>-c

Everything is removed at the end, also when a test or the setup fails, and by
`kvt.py reap` (run.sh) when pytest itself was killed.
"""

import atexit
import os
import signal
import time

import pytest

import kvt


class Lab:
    def __init__(self):
        self.run = kvt.Run()
        self.agent = None
        self.domains = {}  # short name -> dict(name, bridge, mac, serial)
        self.started = time.monotonic()

    def mac(self, n):
        return f"52:54:00:{self.run.id[:2]}:{self.run.id[2:]}:{n:02x}"

    def domain(self, short):
        return self.domains[short]["name"]

    def serial(self, short):
        return kvt.Serial(self.domains[short]["serial"])

    def add_guest(self, short, bridge, mac, ip, peer, interval="1"):
        name = self.run.name(short)
        serial = self.run.dir / f"{short}.serial"
        self.run.define(kvt.domain_xml(name, self.run.dir / "guest", serial, bridge, mac, ip, peer, interval), name)
        self.domains[short] = dict(name=name, bridge=bridge, mac=mac, serial=serial)
        return name

    def clone(self, original, short):
        """virt-clone keeping the original's MAC (libvirt would warn: mac_in_use=off),
        then the clone's serial log moved to a file of its own."""
        o = self.domains[original]
        name = self.run.name(short)
        self.run.record("domain", name)
        kvt.sh("virt-clone", "--connect", kvt.URI, "--original", o["name"], "--name", name,
               "--mac", o["mac"], "--auto-clone", "--check", "mac_in_use=off", timeout=120)
        serial = self.run.dir / f"{short}.serial"
        xml = kvt.virsh("dumpxml", "--inactive", name).stdout.replace(str(o["serial"]), str(serial))
        path = self.run.dir / f"{name}.xml"
        path.write_text(xml)
        kvt.virsh("define", path)
        self.domains[short] = dict(name=name, bridge=o["bridge"], mac=o["mac"], serial=serial)
        return name

    def wait_booted(self, short, timeout=180):
        s = self.serial(short)
        kvt.wait_for(f"{short} to boot (serial {s.path})", lambda: s.markers("UP"), timeout)

    def cleanup(self):
        if self.agent:
            self.agent.stop()
            self.agent = None
        self.run.cleanup(keep_dir=os.environ.get("KVT_KEEP") == "1")


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        # Asked for (scripts/test, CI): not running is a failure, never a quiet skip.
        if os.environ.get("KVMNET_LIBVIRT_REQUIRE") == "1":
            pytest.fail("the libvirt tests need root (libvirtd, bridges), and KVMNET_LIBVIRT_REQUIRE=1")
        pytest.skip("the libvirt tests need root (libvirtd, bridges)")
    for exe in ["/usr/sbin/libvirtd", "/usr/bin/virsh", "/usr/bin/virt-clone", "/usr/bin/qemu-system-x86_64"]:
        if not os.access(exe, os.X_OK):
            pytest.fail(f"{exe} missing: run Tests/Libvirt/install-deps.sh")
    for b in ["kvmnet-agent", "kvmnet-diag"]:
        if not os.access(kvt.bin_dir() / b, os.X_OK):
            pytest.fail(f"{kvt.bin_dir() / b} missing: swift build (or set KVMNET_BIN_DIR)")

    lab = Lab()
    atexit.register(lab.cleanup)
    # SIGTERM/SIGHUP (a timeout, a closed terminal): unwind through the teardown.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        t0 = time.monotonic()
        lab.run.lock()
        stale = kvt.stale_runs(lab.run)
        kvt.Daemons(lab.run).start()
        kvt.reap_stale(lab.run, stale)
        kvt.build_guest(lab.run.dir / "guest")
        lab.agent = kvt.Agent(lab.run.dir / "agent.log", run=lab.run)
        kvt.log(f"agent on port {lab.agent.port}, state in {lab.run.dir}")

        a, b, c = lab.run.bridge("a"), lab.run.bridge("b"), lab.run.bridge("c")
        lab.run.uplink("vx", a)
        lab.add_guest("vm1", a, lab.mac(1), "10.91.0.1/24", "10.91.0.2")
        lab.add_guest("vm2", b, lab.mac(2), "10.91.0.2/24", "10.91.0.1")
        lab.add_guest("dup", c, lab.mac(0x0D), "10.93.0.1/24", "10.93.0.9", interval="0.5")
        lab.clone("dup", "dup-clone")  # the original must be shut off for virt-clone
        for short in ["vm1", "vm2", "dup", "dup-clone"]:
            kvt.virsh("start", lab.domain(short))
        kvt.log(f"lab set up in {time.monotonic() - t0:.1f} s: {', '.join(d['name'] for d in lab.domains.values())}")
        yield lab
    finally:
        if lab.agent:
            # The agent's log is kept in the report of failing runs (pytest -rA shows it).
            kvt.log(f"agent log tail:\n{''.join(lab.agent.log().splitlines(True)[-15:])}")
        lab.cleanup()
        kvt.log(f"lab torn down; the whole session took {time.monotonic() - lab.started:.1f} s")


def pytest_sessionfinish(session, exitstatus):
    """With KVMNET_LIBVIRT_REQUIRE=1 a skipped test fails the run: CI asked for all of them."""
    if os.environ.get("KVMNET_LIBVIRT_REQUIRE") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        print(f"\nTests/Libvirt: FAILED: {skipped} test(s) skipped with KVMNET_LIBVIRT_REQUIRE=1")
        session.exitstatus = 1
