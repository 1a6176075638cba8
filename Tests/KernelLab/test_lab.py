"""Host-side assertions on what the real kernels produced in the kernel lab.

Run after Tests/KernelLab/run-lab.sh:

    python3 -m pytest -q Tests/KernelLab/test_lab.py

Reads .build-lab/results/<kernel>/<scenario>/<step>/... (or $KVMNET_LAB_RESULTS)
and asserts exact values from the guests' /proc/net/bonding, /proc/net/vlan,
`ip -d -j link`, `bridge fdb show` and ping outputs, cross-checks procfs
against netlink (ip -d -j link), and, when the agent was packed into the
guest (metrics.txt sections exist), the agent's /metrics.

If there are no results the whole module is skipped (set KVMNET_LAB_REQUIRE=1
to make that a failure, e.g. in CI right after run-lab.sh).
"""

import json
import os
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RESULTS = Path(os.environ.get("KVMNET_LAB_RESULTS", REPO / ".build-lab" / "results"))
SCENARIOS = ["ab-failover", "bridge-vlan-capture", "cross-host", "flap-storm", "kvm-layout", "lacp-no-partner", "lacp-partner", "modes",
             "qinq", "seed-alb", "sysfs-mode", "vlan-aware", "vlan-dev-on-aware-bridge", "vlan-filtering-off", "vlan-trunk-many", "watch"]
ZERO_MAC = "00:00:00:00:00:00"

# /proc/net/bonding "Bonding Mode:" text -> iproute2 JSON "mode"
PROC_MODE_TO_IP = {
    "load balancing (round-robin)": "balance-rr",
    "fault-tolerance (active-backup)": "active-backup",
    "load balancing (xor)": "balance-xor",
    "fault-tolerance (broadcast)": "broadcast",
    "IEEE 802.3ad Dynamic link aggregation": "802.3ad",
    "transmit load balancing": "balance-tlb",
    "adaptive load balancing": "balance-alb",
}


def _kernels():
    if not RESULTS.is_dir():
        return []
    return sorted(p.name for p in RESULTS.iterdir() if (p / "markers.txt").is_file())


KERNELS = _kernels()
if not KERNELS:
    if os.environ.get("KVMNET_LAB_REQUIRE") == "1":
        raise RuntimeError(f"no kernel-lab results under {RESULTS}: run Tests/KernelLab/run-lab.sh")
    pytest.skip(f"no kernel-lab results under {RESULTS} (run Tests/KernelLab/run-lab.sh)",
                allow_module_level=True)


# ---------------------------------------------------------------- parsing


def parse_bonding(text):
    """Minimal /proc/net/bonding/<bond> parser (independent of the Swift one)."""
    lines = text.split("\n")
    bond = {"header": lines[0], "blank2": lines[1] if len(lines) > 1 else None,
            "master": {}, "ad": {}, "agg": {}, "slaves": [], "order": []}
    section = "master"
    cur = None
    pdu = None
    for line in lines[2:]:
        if line == "":
            pdu = None
            continue
        if line.startswith("Slave Interface: "):
            cur = {"name": line[len("Slave Interface: "):], "fields": {}, "actor": {}, "partner": {}}
            bond["slaves"].append(cur)
            pdu = None
            continue
        if line == "802.3ad info":
            section = "ad"
            continue
        if line == "Active Aggregator Info:":
            section = "agg"
            continue
        if line == "details actor lacp pdu:":
            pdu = "actor"
            continue
        if line == "details partner lacp pdu:":
            pdu = "partner"
            continue
        if line.startswith("    ") and pdu and cur is not None:
            k, _, v = line.strip().partition(": ")
            cur[pdu][k] = v
            continue
        if line.startswith("\t") and section == "agg" and cur is None:
            k, _, v = line[1:].partition(": ")
            bond["agg"][k] = v
            continue
        k, _, v = line.partition(": ")
        if cur is not None:
            cur["fields"][k] = v
        else:
            bond[section if section != "agg" else "ad"][k] = v
            if section == "master":
                bond["order"].append(k)
    return bond


def slave(bond, name):
    for s in bond["slaves"]:
        if s["name"] == name:
            return s
    raise AssertionError(f"no slave {name} in bond (slaves: {[s['name'] for s in bond['slaves']]})")


class Step:
    """One dump step of one scenario on one kernel."""

    def __init__(self, kernel, scenario, step):
        self.kernel = kernel
        self.dir = RESULTS / kernel / scenario / step
        assert self.dir.is_dir(), f"missing results dir {self.dir}"

    def text(self, name):
        p = self.dir / name
        assert p.is_file(), f"missing section {p}"
        return p.read_text()

    def bond(self, name="bond0"):
        return parse_bonding(self.text(f"proc_net_bonding_{name}"))

    def bonds(self):
        return sorted(p.name[len("proc_net_bonding_"):] for p in self.dir.glob("proc_net_bonding_*")
                      if not p.name.endswith(".stderr"))

    def links(self):
        return {l["ifname"]: l for l in json.loads(self.text("ip_link.json"))}

    def fdb(self):
        return [l.split() for l in self.text("bridge_fdb.txt").splitlines() if l.strip()]

    def has_metrics(self):
        return (self.dir / "metrics.txt").is_file()


def note(kernel, scenario, name):
    txt = (RESULTS / kernel / scenario / name).read_text()
    return dict(l.split("=", 1) for l in txt.splitlines() if "=" in l)


def section_rc(kernel, path):
    for line in (RESULTS / kernel / "sections.txt").read_text().splitlines():
        p, rc = line.rsplit(" ", 1)
        if p == path:
            return int(rc.split("=", 1)[1])
    raise AssertionError(f"no section {path} for {kernel}")


def all_steps(kernel):
    """Every directory that holds a dump (ip_link.json), incl. ns-* sub-dumps."""
    return sorted(p.parent for p in (RESULTS / kernel).glob("*/**/ip_link.json"))


# ---------------------------------------------------------------- lab-wide

kernel_param = pytest.mark.parametrize("kernel", KERNELS)


def test_both_kernel_series_ran():
    # override for a partial run, e.g. KVMNET_LAB_KERNEL_SERIES=6.1
    want = set(os.environ.get("KVMNET_LAB_KERNEL_SERIES", "6.1 6.12").split())
    series = {".".join(k.split(".")[:2]) for k in KERNELS}
    assert want <= series, f"kernels in results: {KERNELS}"


@kernel_param
def test_boot_markers_and_scenarios(kernel):
    markers = (RESULTS / kernel / "markers.txt").read_text().splitlines()
    assert any(m.startswith(f"KVMNET-LAB-BOOT kernel={kernel} ") for m in markers)
    assert any(m.startswith("KVMNET-LAB-ALL-DONE modules_ok=1 ") for m in markers), markers[-3:]
    assert not [m for m in markers if m.startswith("KVMNET-LAB-ERROR")]
    listed = next(m for m in markers if m.startswith("KVMNET-LAB-SCENARIOS")).split()[1:]
    assert set(SCENARIOS) <= set(listed)
    for s in listed:
        done = [m for m in markers if m.startswith(f"KVMNET-LAB-SCENARIO-DONE {s} ")]
        assert len(done) == 1 and " rc=0 " in done[0], done


@kernel_param
def test_all_modules_loaded(kernel):
    lsmod = (RESULTS / kernel / "_lab" / "boot" / "lsmod.txt").read_text()
    loaded = {l.split()[0] for l in lsmod.splitlines()[1:] if l.strip()}
    assert {"tls", "llc", "stp", "garp", "mrp", "8021q", "bridge", "veth", "bonding", "dummy"} <= loaded


@kernel_param
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_cleans_up(kernel, scenario):
    d = RESULTS / kernel / scenario / "after-cleanup"
    links = (d / "links.txt").read_text().splitlines()
    assert len(links) == 1 and links[0].startswith("1: lo: "), links
    assert (d / "netns.txt").read_text() == ""


@kernel_param
def test_every_bonding_file_has_kernel_header(kernel):
    files = list((RESULTS / kernel).glob("*/**/proc_net_bonding_*"))
    files = [f for f in files if not f.name.endswith(".stderr")]
    assert len(files) >= 12
    for f in files:
        b = parse_bonding(f.read_text())
        assert b["header"] == f"Ethernet Channel Bonding Driver: v{kernel}", f
        assert b["blank2"] == "", f
        assert f.read_text().endswith("\n")


@kernel_param
def test_procfs_agrees_with_netlink(kernel):
    """/proc/net/bonding vs `ip -d -j link` (IFLA_LINKINFO) in every dump."""
    checked = 0
    for d in all_steps(kernel):
        links = {l["ifname"]: l for l in json.loads((d / "ip_link.json").read_text())}
        for f in sorted(d.glob("proc_net_bonding_*")):
            if f.name.endswith(".stderr"):
                continue
            name = f.name[len("proc_net_bonding_"):]
            b = parse_bonding(f.read_text())
            info = links[name]["linkinfo"]
            assert info["info_kind"] == "bond"
            data = info["info_data"]
            where = f"{d.relative_to(RESULTS)}/{name}"
            assert PROC_MODE_TO_IP[b["master"]["Bonding Mode"]] == data["mode"], where
            assert int(b["master"]["MII Polling Interval (ms)"]) == data["miimon"], where
            assert int(b["master"]["Up Delay (ms)"]) == data["updelay"], where
            assert int(b["master"]["Down Delay (ms)"]) == data["downdelay"], where
            up = "UP" in links[name]["flags"] and "LOWER_UP" in links[name]["flags"]
            assert (b["master"]["MII Status"] == "up") == up, where
            if "Currently Active Slave" in b["master"]:
                active = b["master"]["Currently Active Slave"]
                assert data.get("active_slave", "None") == active, where
            else:
                assert data["mode"] not in ("active-backup", "balance-tlb", "balance-alb"), where
            if "Transmit Hash Policy" in b["master"]:
                assert b["master"]["Transmit Hash Policy"].split(" (")[0] == data["xmit_hash_policy"], where
            if data["mode"] == "802.3ad":
                assert b["ad"]["LACP rate"] == data["ad_lacp_rate"], where
                assert b["ad"]["LACP active"] == data["ad_lacp_active"], where
                assert b["ad"]["Aggregator selection policy (ad_select)"] == data["ad_select"], where
                ai = data["ad_info"]
                assert int(b["agg"]["Aggregator ID"]) == ai["aggregator"], where
                assert int(b["agg"]["Number of ports"]) == ai["num_ports"], where
                assert int(b["agg"]["Actor Key"]) == ai["actor_key"], where
                assert int(b["agg"]["Partner Key"]) == ai["partner_key"], where
                assert b["agg"]["Partner Mac Address"] == ai["partner_mac"], where
            # slaves: same set, and per-slave state
            ip_slaves = sorted(n for n, l in links.items() if l.get("master") == name
                               and l.get("linkinfo", {}).get("info_slave_kind") == "bond")
            assert sorted(s["name"] for s in b["slaves"]) == ip_slaves, where
            for s in b["slaves"]:
                sd = links[s["name"]]["linkinfo"]["info_slave_data"]
                assert s["fields"]["MII Status"].upper() == sd["mii_status"], where
                assert int(s["fields"]["Link Failure Count"]) == sd["link_failure_count"], where
                assert s["fields"]["Permanent HW addr"] == sd["perm_hwaddr"], where
                if data["mode"] == "active-backup":
                    want = "ACTIVE" if s["name"] == b["master"]["Currently Active Slave"] else "BACKUP"
                    assert sd["state"] == want, where
                if data["mode"] == "802.3ad":
                    assert int(s["fields"]["Aggregator ID"]) == sd["ad_aggregator_id"], where
                    assert int(s["actor"]["port state"]) == sd["ad_actor_oper_port_state"], where
                    assert int(s["partner"]["port state"]) == sd["ad_partner_oper_port_state"], where
            checked += 1
    assert checked >= 12, f"only {checked} bond dumps cross-checked"


# ---------------------------------------------------------------- ab-failover


@kernel_param
def test_ab_failover_before(kernel):
    b = Step(kernel, "ab-failover", "before").bond()
    m = b["master"]
    assert m["Bonding Mode"] == "fault-tolerance (active-backup)"
    assert m["Primary Slave"] == "None"
    assert m["Currently Active Slave"] == "veth0"
    assert m["MII Status"] == "up"
    assert m["MII Polling Interval (ms)"] == "100"
    assert [s["name"] for s in b["slaves"]] == ["veth0", "veth1"]
    for s in b["slaves"]:
        assert s["fields"]["MII Status"] == "up"
        assert s["fields"]["Link Failure Count"] == "0"
        assert s["fields"]["Speed"] == "10000 Mbps"
        assert s["fields"]["Duplex"] == "full"


@kernel_param
def test_ab_failover_after_failover(kernel):
    st = Step(kernel, "ab-failover", "after-failover")
    b = st.bond()
    assert b["master"]["Currently Active Slave"] == "veth1"
    assert b["master"]["MII Status"] == "up"
    assert slave(b, "veth0")["fields"]["MII Status"] == "down"
    assert slave(b, "veth0")["fields"]["Link Failure Count"] == "1"
    assert slave(b, "veth1")["fields"]["MII Status"] == "up"
    assert slave(b, "veth1")["fields"]["Link Failure Count"] == "0"
    links = st.links()
    assert links["bond0"]["linkinfo"]["info_data"]["active_slave"] == "veth1"
    assert links["veth0"]["linkinfo"]["info_slave_data"]["state"] == "BACKUP"
    assert links["veth0"]["linkinfo"]["info_slave_data"]["mii_status"] == "DOWN"
    assert "LOWER_UP" not in links["veth0"]["flags"]
    t = note(kernel, "ab-failover", "timing.txt")
    assert t["initial_active"] == "veth0" and t["failed_peer"] == "vpeer0"
    # miimon 100: failover seen within a few MII periods (guest clock, TCG)
    assert float(t["failover_seen_at"]) - float(t["peer_down_at"]) < 3.0


@kernel_param
def test_ab_failover_after_restore(kernel):
    b = Step(kernel, "ab-failover", "after-restore").bond()
    # no primary: the restored slave comes back as backup
    assert b["master"]["Currently Active Slave"] == "veth1"
    assert slave(b, "veth0")["fields"]["MII Status"] == "up"
    assert slave(b, "veth0")["fields"]["Link Failure Count"] == "1"
    assert slave(b, "veth1")["fields"]["Link Failure Count"] == "0"


@kernel_param
def test_ab_failover_no_vlans(kernel):
    cfg = Step(kernel, "ab-failover", "before").text("proc_net_vlan_config")
    assert cfg == "VLAN Dev name\t | VLAN ID\nName-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"


# ---------------------------------------------------------------- LACP


@kernel_param
def test_lacp_partner_converged(kernel):
    host = Step(kernel, "lacp-partner", "converged").bond()
    sw = Step(kernel, "lacp-partner", "converged/ns-sw").bond()
    for b, other in ((host, sw), (sw, host)):
        assert b["master"]["Bonding Mode"] == "IEEE 802.3ad Dynamic link aggregation"
        assert b["master"]["Transmit Hash Policy"] == "layer2 (0)"
        assert b["ad"]["LACP active"] == "on"
        assert b["ad"]["LACP rate"] == "fast"
        assert b["ad"]["System priority"] == "65535"
        mac = b["agg"]["Partner Mac Address"]
        assert mac != ZERO_MAC
        assert mac == other["ad"]["System MAC address"]
        assert b["agg"]["Number of ports"] == "2"
        assert b["agg"]["Actor Key"] == "15"      # 10000 Mb/s full duplex
        assert b["agg"]["Partner Key"] == "15"
        assert len(b["slaves"]) == 2
        for i, s in enumerate(b["slaves"], start=1):
            assert s["fields"]["Aggregator ID"] == b["agg"]["Aggregator ID"]
            assert s["actor"]["port state"] == "63"
            assert s["partner"]["port state"] == "63"
            assert s["actor"]["port number"] == str(i)
            assert s["actor"]["system mac address"] == b["ad"]["System MAC address"]
            assert s["partner"]["system mac address"] == mac
            assert s["partner"]["oper key"] == "15"
    assert [s["name"] for s in host["slaves"]] == ["veth0", "veth1"]
    assert [s["name"] for s in sw["slaves"]] == ["vpeer0", "vpeer1"]


@kernel_param
def test_lacp_no_partner(kernel):
    st = Step(kernel, "lacp-no-partner", "settled")
    b = st.bond()
    assert b["master"]["Bonding Mode"] == "IEEE 802.3ad Dynamic link aggregation"
    assert b["master"]["MII Status"] == "up"
    assert b["ad"]["LACP rate"] == "slow"
    assert b["agg"]["Partner Mac Address"] == ZERO_MAC
    assert b["agg"]["Number of ports"] == "1"
    assert b["agg"]["Partner Key"] == "1"
    states = {}
    for s in b["slaves"]:
        assert s["partner"]["system mac address"] == ZERO_MAC
        assert s["partner"]["port state"] == "0"
        states[s["fields"]["Aggregator ID"] == b["agg"]["Aggregator ID"]] = s["actor"]["port state"]
    # activity|aggregating|in_sync|defaulted for the port in the active
    # aggregator; the other sits alone in its own aggregator, not in sync.
    assert states == {True: "77", False: "69"}
    assert st.links()["bond0"]["linkinfo"]["info_data"]["ad_info"]["partner_mac"] == ZERO_MAC


# ---------------------------------------------------------------- modes


@kernel_param
def test_modes(kernel):
    st = Step(kernel, "modes", "up")
    assert st.bonds() == ["bond0", "bond1", "bond2"]
    links = st.links()
    rr, xor, alb = st.bond("bond0"), st.bond("bond1"), st.bond("bond2")

    assert rr["master"]["Bonding Mode"] == "load balancing (round-robin)"
    assert "Currently Active Slave" not in rr["master"]
    assert "Transmit Hash Policy" not in rr["master"]
    assert links["bond0"]["linkinfo"]["info_data"]["mode"] == "balance-rr"

    assert xor["master"]["Bonding Mode"] == "load balancing (xor)"
    assert xor["master"]["Transmit Hash Policy"] == "layer2+3 (2)"
    assert "Currently Active Slave" not in xor["master"]
    assert links["bond1"]["linkinfo"]["info_data"]["mode"] == "balance-xor"
    assert links["bond1"]["linkinfo"]["info_data"]["xmit_hash_policy"] == "layer2+3"

    assert alb["master"]["Bonding Mode"] == "adaptive load balancing"
    assert alb["master"]["Primary Slave"] == "None"
    assert alb["master"]["Currently Active Slave"] in ("veth2a", "veth2b")
    assert "Transmit Hash Policy" not in alb["master"]
    assert links["bond2"]["linkinfo"]["info_data"]["mode"] == "balance-alb"
    assert links["bond2"]["linkinfo"]["info_data"]["active_slave"] == alb["master"]["Currently Active Slave"]

    for name, b in (("bond0", rr), ("bond1", xor), ("bond2", alb)):
        assert b["master"]["MII Status"] == "up"
        n = name[-1]
        assert [s["name"] for s in b["slaves"]] == [f"veth{n}a", f"veth{n}b"]
        for s in b["slaves"]:
            assert s["fields"]["MII Status"] == "up"
            assert s["fields"]["Link Failure Count"] == "0"
        # master-level line order of this kernel
        assert b["order"][0] == "Bonding Mode"


# ---------------------------------------------------------------- kvm-layout


@kernel_param
def test_kvm_layout_vlan_config(kernel):
    st = Step(kernel, "kvm-layout", "layout")
    assert st.text("proc_net_vlan_config") == (
        "VLAN Dev name\t | VLAN ID\n"
        "Name-Type: VLAN_NAME_TYPE_RAW_PLUS_VID_NO_PAD\n"
        "bond0.10       | 10  | bond0\n"
        "bond0.20       | 20  | bond0\n"
    )
    for vid in (10, 20):
        lines = st.text(f"proc_net_vlan_bond0.{vid}").splitlines()
        assert re.fullmatch(rf"bond0\.{vid}  VID: {vid}\t REORDER_HDR: 1  dev->priv_flags: [0-9a-f]+", lines[0])
        assert "Device: bond0" in lines
        assert "INGRESS priority mappings: 0:0  1:0  2:0  3:0  4:0  5:0  6:0 7:0" in lines
        assert " EGRESS priority mappings: " in lines
        tx = int(next(l for l in lines if "total frames transmitted" in l).split()[-1])
        assert tx > 0  # the VMs' ARP broadcasts left through the VLAN device


@kernel_param
def test_kvm_layout_topology_in_netlink(kernel):
    links = Step(kernel, "kvm-layout", "layout").links()
    for vid in (10, 20):
        v = links[f"bond0.{vid}"]
        assert v["link"] == "bond0"
        assert v["master"] == f"brvlan-{vid}"
        assert v["linkinfo"]["info_kind"] == "vlan"
        assert v["linkinfo"]["info_data"]["id"] == vid
        assert v["linkinfo"]["info_data"]["protocol"] == "802.1Q"
        assert links[f"brvlan-{vid}"]["linkinfo"]["info_kind"] == "bridge"
    assert links["vnet0"]["master"] == "brvlan-10"
    assert links["vnet1"]["master"] == "brvlan-20"
    assert links["vnet2"]["master"] == "brvlan-10"
    for p in ("vnet0", "vnet1", "vnet2", "bond0.10", "bond0.20"):
        assert links[p]["linkinfo"]["info_slave_data"]["state"] == "forwarding"
    b = Step(kernel, "kvm-layout", "layout").bond()
    assert b["master"]["Bonding Mode"] == "fault-tolerance (active-backup)"
    assert b["master"]["Currently Active Slave"] == "veth0"


@kernel_param
def test_kvm_layout_vms_in_different_vlans_cannot_ping(kernel):
    d = RESULTS / kernel / "kvm-layout" / "ping"
    for name in ("vm1-to-vm2.txt", "vm2-to-vm1.txt"):
        txt = (d / name).read_text()
        assert "3 packets transmitted, 0 packets received, 100% packet loss" in txt, txt
        assert section_rc(kernel, f"kvm-layout/ping/{name}") != 0
    # positive control: same VLAN, same bridge
    txt = (d / "vm1-to-vm3.txt").read_text()
    assert "3 packets transmitted, 3 packets received, 0% packet loss" in txt, txt
    assert section_rc(kernel, "kvm-layout/ping/vm1-to-vm3.txt") == 0


@kernel_param
def test_kvm_layout_fdb(kernel):
    st = Step(kernel, "kvm-layout", "layout")
    mac = {vm: json.loads(st.text(f"{vm}-eth0.json"))[0]["address"] for vm in ("vm1", "vm2", "vm3")}
    fdb = st.fdb()

    def learned(m, dev, br):
        # learned entry: "<mac> dev <port> master <br>" and no state word
        return [e for e in fdb if e[0] == m and e[1:] == ["dev", dev, "master", br]]

    assert learned(mac["vm1"], "vnet0", "brvlan-10")
    assert learned(mac["vm3"], "vnet2", "brvlan-10")
    assert learned(mac["vm2"], "vnet1", "brvlan-20")
    # no leak across the VLAN split
    assert not [e for e in fdb if e[0] == mac["vm2"] and "brvlan-10" in e]
    assert not [e for e in fdb if e[0] in (mac["vm1"], mac["vm3"]) and "brvlan-20" in e]
    br10 = st.text("bridge_fdb_brvlan-10.txt")
    assert f"{mac['vm1']} dev vnet0 master brvlan-10" in br10
    assert mac["vm2"] not in br10
    # each VLAN device's MAC (= bond0's) is a permanent local entry of its bridge
    bond_mac = st.links()["bond0"]["address"]
    for vid in (10, 20):
        assert ["%s" % bond_mac, "dev", f"bond0.{vid}", "master", f"brvlan-{vid}", "permanent"] in fdb


# ---------------------------------------------------------------- flap-storm


@kernel_param
def test_flap_storm(kernel):
    info = note(kernel, "flap-storm", "storm.txt")
    assert info["flapped_slave"] == "veth0"
    assert info["batch_rc"] == "0"
    flaps = int(info["flaps"])
    assert flaps == 200
    duration = float(info["end"]) - float(info["start"])
    assert duration <= 30.0, f"storm took {duration:.1f}s of guest time"

    before = Step(kernel, "flap-storm", "before").bond()
    assert before["master"]["MII Polling Interval (ms)"] == "10"
    assert all(s["fields"]["Link Failure Count"] == "0" for s in before["slaves"])

    st = Step(kernel, "flap-storm", "after-storm")
    b = st.bond()
    assert b["master"]["MII Status"] == "up"
    active = b["master"]["Currently Active Slave"]
    assert active in ("veth0", "veth1")
    failures = int(slave(b, "veth0")["fields"]["Link Failure Count"])
    assert 0 < failures <= flaps
    assert slave(b, "veth1")["fields"]["Link Failure Count"] == "0"
    for s in b["slaves"]:
        assert s["fields"]["MII Status"] == "up"
    links = st.links()
    assert "LOWER_UP" in links["bond0"]["flags"]
    assert links["veth0"]["linkinfo"]["info_slave_data"]["link_failure_count"] == failures


# ---------------------------------------------------------------- agent /metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse_metrics(text):
    """Prometheus text exposition -> [(name, {label: value}, float)]."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text exposition: {line!r}"
        labels = dict(LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def metric(samples, name, **labels):
    found = [v for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0]


def metric_steps(kernel):
    """Every /metrics dump: the boot's netlink agent (metrics.txt) and, in sysfs-mode,
    the --no-netlink agent next to it (metrics-sysfs.txt)."""
    k = RESULTS / kernel
    return sorted(list(k.glob("*/**/metrics.txt")) + list(k.glob("*/**/metrics-sysfs.txt")))


def require_metrics(kernel):
    if not metric_steps(kernel):
        pytest.skip("no metrics sections: kvmnet-agent was not packed into the guest")


def require_real_agent(kernel):
    """The docs/metrics.md contract checks need the real agent, not selftest/fake-agent.c."""
    require_metrics(kernel)
    version = RESULTS / kernel / "_lab" / "boot" / "agent-version.txt"
    if version.is_file() and "fake-agent" in version.read_text():
        pytest.skip("metrics come from selftest/fake-agent, not kvmnet-agent")


def metrics_at(kernel, scenario, step):
    return parse_metrics(Step(kernel, scenario, step).text("metrics.txt"))


def absent(samples, name, **labels):
    return not [v for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]


@kernel_param
def test_metrics_well_formed(kernel):
    require_metrics(kernel)
    for f in metric_steps(kernel):
        rel = f.relative_to(RESULTS / kernel)
        assert section_rc(kernel, str(rel)) == 0, f"wget failed for {rel}"
        samples = parse_metrics(f.read_text())
        assert samples, f"empty /metrics at {rel}"
        bonds = [p.name[len("proc_net_bonding_"):] for p in f.parent.glob("proc_net_bonding_*")
                 if not p.name.endswith(".stderr")]
        for b in bonds:
            assert any(l.get("bond") == b for _, l, _ in samples), f"{rel}: no series for {b}"


@kernel_param
def test_metrics_lacp_partner_present(kernel):
    require_metrics(kernel)
    yes = parse_metrics(Step(kernel, "lacp-partner", "converged").text("metrics.txt"))
    assert metric(yes, "kvmnet_bond_lacp_partner_present", bond="bond0") == 1
    no = parse_metrics(Step(kernel, "lacp-no-partner", "settled").text("metrics.txt"))
    assert metric(no, "kvmnet_bond_lacp_partner_present", bond="bond0") == 0


# ---- the documented contract (docs/metrics.md) against what the kernel showed


@kernel_param
def test_metrics_match_procfs_everywhere(kernel):
    """Every dump with metrics: per-bond and per-slave values equal /proc/net/bonding,
    and no series names a device that no longer exists (vanished devices vanish)."""
    require_real_agent(kernel)
    for f in metric_steps(kernel):
        d = f.parent
        where = str(d.relative_to(RESULTS))
        samples = parse_metrics(f.read_text())
        links = {l["ifname"] for l in json.loads((d / "ip_link.json").read_text())}
        for _, labels, _ in samples:
            for key in ("device", "bond", "bridge", "slave", "port", "parent"):
                if key in labels and labels[key] != "":
                    assert labels[key] in links, f"{where}: stale {key}={labels[key]}"
        for p in d.glob("proc_net_bonding_*"):
            if p.name.endswith(".stderr"):
                continue
            name = p.name[len("proc_net_bonding_"):]
            b = parse_bonding(p.read_text())
            mode = PROC_MODE_TO_IP[b["master"]["Bonding Mode"]]
            hp = b["master"].get("Transmit Hash Policy", "").split(" (")[0]
            assert metric(samples, "kvmnet_bond_info", bond=name, mode=mode, xmit_hash_policy=hp) == 1, where
            assert metric(samples, "kvmnet_bond_up", bond=name) == (b["master"]["MII Status"] == "up"), where
            assert metric(samples, "kvmnet_bond_slaves", bond=name) == len(b["slaves"]), where
            up = [s for s in b["slaves"] if s["fields"]["MII Status"] in ("up", "going down")]
            assert metric(samples, "kvmnet_bond_slaves_up", bond=name) == len(up), where
            assert metric(samples, "kvmnet_bond_mii_interval_seconds", bond=name) == \
                pytest.approx(int(b["master"]["MII Polling Interval (ms)"]) / 1000), where
            active = b["master"].get("Currently Active Slave", "None")
            if active != "None":
                assert metric(samples, "kvmnet_bond_active_slave_info", bond=name, slave=active) == 1, where
            assert len([1 for n, l, _ in samples if n == "kvmnet_bond_active_slave_info"
                        and l.get("bond") == name]) == (active != "None"), where
            for sl in b["slaves"]:
                n = sl["name"]
                assert metric(samples, "kvmnet_bond_slave_link_failures_total", bond=name, slave=n) == \
                    int(sl["fields"]["Link Failure Count"]), where
                assert metric(samples, "kvmnet_bond_slave_up", bond=name, slave=n) == \
                    (sl["fields"]["MII Status"] == "up"), where
                speed = sl["fields"]["Speed"]
                if speed.endswith(" Mbps"):
                    assert metric(samples, "kvmnet_bond_slave_speed_bytes", bond=name, slave=n) == \
                        int(speed.split()[0]) * 125000, where
                if mode == "802.3ad":
                    assert metric(samples, "kvmnet_bond_slave_lacp_aggregator_id", bond=name, slave=n) == \
                        int(sl["fields"]["Aggregator ID"]), where
                    for side in ("actor", "partner"):
                        assert metric(samples, "kvmnet_bond_slave_lacp_port_state", bond=name, slave=n,
                                      side=side) == int(sl[side]["port state"]), where
            if mode == "802.3ad":
                partner = b["agg"]["Partner Mac Address"]
                assert metric(samples, "kvmnet_bond_lacp_partner_present", bond=name) == (partner != ZERO_MAC)
                assert metric(samples, "kvmnet_bond_lacp_aggregator_ports", bond=name) == \
                    int(b["agg"]["Number of ports"]), where
                assert metric(samples, "kvmnet_bond_lacp_info", bond=name,
                              aggregator_id=b["agg"]["Aggregator ID"], partner_mac=partner,
                              actor_key=b["agg"]["Actor Key"], partner_key=b["agg"]["Partner Key"]) == 1, where


@kernel_param
def test_metrics_ab_failover_events(kernel):
    require_real_agent(kernel)
    before = metrics_at(kernel, "ab-failover", "before")
    assert metric(before, "kvmnet_bond_failovers_total", bond="bond0") == 0
    after = metrics_at(kernel, "ab-failover", "after-failover")
    assert metric(after, "kvmnet_bond_failovers_total", bond="bond0") == 1
    assert metric(after, "kvmnet_bond_slave_active", bond="bond0", slave="veth0") == 0
    assert metric(after, "kvmnet_bond_slave_active", bond="bond0", slave="veth1") == 1
    assert metric(after, "kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth0", to="down") == 1
    assert metric(after, "kvmnet_bond_last_failover_timestamp_seconds", bond="bond0") > 1e9
    restored = metrics_at(kernel, "ab-failover", "after-restore")
    assert metric(restored, "kvmnet_bond_failovers_total", bond="bond0") == 1
    assert metric(restored, "kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth0", to="down") == 1
    assert absent(restored, "kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth1", to="down") or \
        metric(restored, "kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth1", to="down") == 0


@kernel_param
def test_metrics_flap_storm(kernel):
    require_real_agent(kernel)
    m = metrics_at(kernel, "flap-storm", "after-storm")
    b = Step(kernel, "flap-storm", "after-storm").bond()
    lfc = int(slave(b, "veth0")["fields"]["Link Failure Count"])
    assert metric(m, "kvmnet_bond_up", bond="bond0") == 1
    assert metric(m, "kvmnet_bond_slaves_up", bond="bond0") == 2
    # veth0 was active only until the first flap; veth1 never failed
    assert metric(m, "kvmnet_bond_failovers_total", bond="bond0") == 1
    assert metric(m, "kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth0", to="down") >= lfc


@kernel_param
def test_metrics_kvm_layout(kernel):
    require_real_agent(kernel)
    st = Step(kernel, "kvm-layout", "layout")
    m = parse_metrics(st.text("metrics.txt"))
    for vid in (10, 20):
        assert metric(m, "kvmnet_vlan_info", device=f"bond0.{vid}", vlan_id=str(vid), parent="bond0") == 1
        assert metric(m, "kvmnet_bridge_vlan_info", bridge=f"brvlan-{vid}", vlan_id=str(vid)) == 1
        assert metric(m, "kvmnet_bridge_stp_enabled", bridge=f"brvlan-{vid}") == 0
        assert metric(m, "kvmnet_link_info", device=f"bond0.{vid}", kind="vlan", master=f"brvlan-{vid}") == 1
        assert metric(m, "kvmnet_link_info", device=f"brvlan-{vid}", kind="bridge", master="") == 1
    assert metric(m, "kvmnet_bridge_ports", bridge="brvlan-10") == 3
    assert metric(m, "kvmnet_bridge_ports", bridge="brvlan-20") == 2
    for port, br in (("vnet0", "brvlan-10"), ("vnet2", "brvlan-10"), ("bond0.10", "brvlan-10"),
                     ("vnet1", "brvlan-20"), ("bond0.20", "brvlan-20")):
        assert metric(m, "kvmnet_bridge_port_state", bridge=br, port=port) == 3  # forwarding
        assert metric(m, "kvmnet_link_info", device=port, kind="vlan" if "." in port else "veth",
                      master=br) == 1
    assert metric(m, "kvmnet_link_info", device="bond0", kind="bond", master="") == 1
    assert metric(m, "kvmnet_link_info", device="veth0", kind="veth", master="bond0") == 1
    # FDB entries per bridge/port/kind, counted from the same kernel's `bridge fdb show`
    want = {}
    for e in st.fdb():
        if "master" not in e:
            continue  # device-own (self) addresses are not bridge entries
        br = e[e.index("master") + 1]
        port = e[e.index("dev") + 1]
        kind = "local" if e[-1] == "permanent" else "static" if e[-1] == "static" else "learned"
        want[(br, port, kind)] = want.get((br, port, kind), 0) + 1
    assert want[("brvlan-10", "vnet0", "learned")] == 1
    for (br, port, kind), n in want.items():
        assert metric(m, "kvmnet_bridge_fdb_entries", bridge=br, port=port, kind=kind) == n, (br, port, kind)


# ---------------------------------------------------------------- kvmnet-diag in the guest

def require_diag(kernel):
    if not (RESULTS / kernel / "kvm-layout" / "layout" / "diag-vm1-vm2.json").is_file():
        pytest.skip("no kvmnet-diag sections: kvmnet-diag was not packed into the guest")


def diag_report(kernel, scenario, path):
    return json.loads((RESULTS / kernel / scenario / path).read_text())


def findings(report, check):
    return [f for f in report["findings"] if f["check"] == check]


@kernel_param
def test_diag_vm1_vm2_vlan_mismatch(kernel):
    """The classic layout: vm1 on brvlan-10, vm2 on brvlan-20; they cannot ping, and
    kvmnet-diag says why: different VLANs (10 and 20), exit 1."""
    require_diag(kernel)
    assert section_rc(kernel, "kvm-layout/layout/diag-vm1-vm2.json") == 1
    assert section_rc(kernel, "kvm-layout/layout/diag-vm1-vm2.txt") == 1
    r = diag_report(kernel, "kvm-layout", "layout/diag-vm1-vm2.json")
    m = findings(r, "path.vlan_mismatch")
    assert len(m) == 1, [f["check"] for f in r["findings"]]
    assert m[0]["severity"] == "fail"
    text = m[0]["explanation"]
    assert "10" in text and "20" in text, text
    line = (RESULTS / kernel / "kvm-layout" / "layout" / "diag-vm1-vm2.txt").read_text()
    assert "vnet0" in line and "vnet1" in line and "[vlan 10]" in line and "[vlan 20]" in line, line
    assert " X " in line, line


@kernel_param
def test_diag_vm1_vm3_same_bridge_no_path_failure(kernel):
    require_diag(kernel)
    r = diag_report(kernel, "kvm-layout", "layout/diag-vm1-vm3.json")
    bad = [f["check"] for f in r["findings"] if f["check"].startswith("path.") and f["severity"] == "fail"]
    assert bad == []
    assert section_rc(kernel, "kvm-layout/layout/diag-vm1-vm3.json") != 1 or \
        all(not f["check"].startswith(("path.", "vm.", "bridge.")) for f in r["findings"] if f["severity"] == "fail")


@kernel_param
def test_diag_bond_checks_on_real_bonds(kernel):
    """bond.degraded after the active slave's peer went down, quiet before;
    bond.lacp_no_partner when the peer is a plain veth, quiet when LACP converged."""
    require_diag(kernel)
    before = diag_report(kernel, "ab-failover", "before/diag.json")
    assert findings(before, "bond.degraded") == []
    after = diag_report(kernel, "ab-failover", "after-failover/diag.json")
    d = findings(after, "bond.degraded")
    assert len(d) == 1 and d[0]["subject"] == "bond0", [f["check"] for f in after["findings"]]
    assert findings(after, "bond.no_active_slave") == []
    nopartner = diag_report(kernel, "lacp-no-partner", "settled/diag.json")
    n = findings(nopartner, "bond.lacp_no_partner")
    assert len(n) == 1 and n[0]["subject"] == "bond0"
    converged = diag_report(kernel, "lacp-partner", "converged/diag.json")
    assert findings(converged, "bond.lacp_no_partner") == []


# ---------------------------------------------------------------- bridge-vlan-capture (issue 13)

def brvlan(kernel, step, scenario="bridge-vlan-capture", name="bridge_vlan.json"):
    """bridge -c -j -d vlan show of a step, as {ifname: [(first, last, untagged, pvid)]}."""
    out = {}
    for e in json.loads((RESULTS / kernel / scenario / step / name).read_text()):
        out[e["ifname"]] = [(v["vlan"], v.get("vlanEnd", v["vlan"]), "Egress Untagged" in v.get("flags", []),
                             "PVID" in v.get("flags", [])) for v in e.get("vlans", [])]
    return out


def brvlan_messages(kernel, step):
    """nlcapture monitor lines of a step: (group, type, family, name)."""
    lines = (RESULTS / kernel / "bridge-vlan-capture" / step / "nlmsg-events.txt").read_text().splitlines()
    return [tuple(int(x) if x.isdigit() else x for x in l.split()[:4]) for l in lines if l.strip()]


@kernel_param
def test_brvlan_topology_as_built(kernel):
    v = brvlan(kernel, "dump")
    assert v["access0"] == [(10, 10, True, True)]
    assert v["trunk0"] == [(1, 1, True, True), (2, 4094, False, False)]
    assert v["multi0"] == [(1, 1, True, True), (10, 10, False, False), (20, 20, True, False),
                           (30, 30, False, False), (100, 100, True, False)]
    assert v["nopvid0"] == [(10, 10, False, False), (20, 20, False, False)]
    assert v["br0"] == [(1, 1, True, True), (10, 10, False, False), (20, 20, True, False)]
    assert v["qinq0"] == [(100, 100, True, True)] and v["br1"] == [(100, 100, False, False)]
    assert "empty0" not in v
    links = {l["ifname"]: l for l in json.loads((RESULTS / kernel / "bridge-vlan-capture" / "dump" / "ip_link.json").read_text())}
    br1 = links["br1"]["linkinfo"]["info_data"]
    assert br1["vlan_filtering"] == 1 and br1["vlan_protocol"] == "802.1ad" and br1["vlan_default_pvid"] == 0
    # The AF_BRIDGE dump answers for every port and for both bridges ("self").
    names = {l.split()[0] for l in (RESULTS / kernel / "bridge-vlan-capture" / "dump" / "nlmsg-bridge.txt").read_text().splitlines() if l}
    assert names == {"br0", "br1", "access0", "trunk0", "multi0", "nopvid0", "qinq0", "empty0"}


@kernel_param
def test_brvlan_notifications(kernel):
    """Every `bridge vlan add/del` sends RTM_NEWVLAN/RTM_DELVLAN (112/113) to RTNLGRP_BRVLAN
    (33) AND an AF_BRIDGE (7) RTM_NEWLINK (16) with the whole list to RTNLGRP_LINK (1);
    leaving the bridge sends an AF_BRIDGE RTM_DELLINK (17); joining an AF_BRIDGE RTM_NEWLINK."""
    sdir = RESULTS / kernel / "bridge-vlan-capture"
    steps = sorted(d.name for d in sdir.iterdir() if d.name.startswith("ev-"))
    assert len(steps) == 10
    for step in steps:
        m = brvlan_messages(kernel, step)
        assert any(g == 1 and t == 16 and f == 7 for g, t, f, _ in m) or "leave" in step, (step, m)
        if "leave" in step:
            assert any(g == 1 and t == 17 and f == 7 and n == "nopvid0" for g, t, f, n in m), m
        else:
            assert any(g == 33 and t in (112, 113) and f == 7 for g, t, f, _ in m), (step, m)
    assert brvlan(kernel, "ev-02-add-port-range")["multi0"][-1] == (200, 210, False, False)
    assert "access0" not in brvlan(kernel, "ev-07-del-last")
    assert "nopvid0" not in brvlan(kernel, "ev-08-leave")
    assert brvlan(kernel, "ev-09-join")["nopvid0"] == [(1, 1, True, True)]


def brvlan_normalised(entries):
    """(ranges, pvid) with neighbours of the same egress flag joined, as the model keeps them."""
    out, pvid = [], None
    for first, last, untagged, is_pvid in sorted(entries):
        if is_pvid:
            pvid = first
        if out and out[-1][2] == untagged and out[-1][1] + 1 >= first:
            out[-1][1] = max(out[-1][1], last)
        else:
            out.append([first, last, untagged])
    return [tuple(r) for r in out], pvid


@kernel_param
def test_brvlan_kvmnet_diag_reads_them(kernel):
    """kvmnet-diag's own netlink read in the guest (its snapshot JSON) has every port's and
    each bridge's VLANs as bridge vlan show has them; --no-netlink says they are missing."""
    d = RESULTS / kernel / "bridge-vlan-capture" / "dump"
    if not (d / "diag-snapshot.json").is_file():
        pytest.skip("kvmnet-diag was not packed into the guest")
    snap = json.loads((d / "diag-snapshot.json").read_text())
    want = brvlan(kernel, "dump")
    bridges = snap["topology"]["bridges"]
    assert bridges["br1"]["vlanProtocol"] == "802.1ad" and bridges["br1"]["defaultPVID"] == 0
    assert bridges["br0"]["vlanProtocol"] == "802.1Q" and bridges["br0"]["vlanFiltering"] is True
    seen = 0
    for br in ("br0", "br1"):
        got = bridges[br]["vlans"]
        assert ([(r["first"], r["last"], r["untagged"]) for r in got["ranges"]], got.get("pvid")) == \
            brvlan_normalised(want[br]), br
        for p in bridges[br]["ports"]:
            got = p["vlans"]
            assert ([(r["first"], r["last"], r["untagged"]) for r in got["ranges"]], got.get("pvid")) == \
                brvlan_normalised(want.get(p["name"], [])), p["name"]
            seen += 1
    assert seen == 6
    report = json.loads((d / "diag-no-netlink.json").read_text())
    missing = [e for e in report["data_errors"] if e["path"].endswith("/bridge/vlan_filtering")]
    assert sorted(e["path"].split("/")[-3] for e in missing) == ["br0", "br1"], report["data_errors"]
    assert report["status"] in ("incomplete", "fail")


# ---------------------------------------------------------------- sysfs-mode (issue 12)

SYSFS_STEPS = ("steady", "after-failover")
# Event counters: each agent counts from its own start (the netlink agent saw the bonds
# being built, the sysfs one did not), so what must agree is their increase between steps.
BOND_EVENT_COUNTERS = ("kvmnet_bond_failovers_total", "kvmnet_bond_slave_transitions_total")
# When the failover was seen: on the event (netlink) or at the next 1 s rescan (sysfs).
BOND_EVENT_TIMES = ("kvmnet_bond_last_failover_timestamp_seconds",)


def bond_series(samples):
    return {(n, tuple(sorted(l.items()))): v for n, l, v in samples if n.startswith("kvmnet_bond_")}


def sysfs_mode_metrics(kernel, step):
    st = Step(kernel, "sysfs-mode", step)
    return parse_metrics(st.text("metrics.txt")), parse_metrics(st.text("metrics-sysfs.txt"))


@kernel_param
def test_sysfs_mode_bonding_masters_costs_no_error(kernel):
    """`/sys/class/net/bonding_masters` exists (bonding is loaded) and is not a device:
    after >= 5 rescans at 1 s the --no-netlink agent counted no error of any source,
    logged none, and named no series after it."""
    require_real_agent(kernel)
    t = note(kernel, "sysfs-mode", "sysfs-agent.txt")
    assert float(t["steady"]) - float(t["started"]) >= 5.0, t
    for step in SYSFS_STEPS:
        _, sysfs = sysfs_mode_metrics(kernel, step)
        assert metric(sysfs, "kvmnet_source_errors_total", source="sysfs") == 0, step
        errors = {l["source"]: v for n, l, v in sysfs if n == "kvmnet_source_errors_total"}
        assert errors == {s: 0 for s in ("brforward", "procfs_bonding", "procfs_vlan", "sysfs")}, (step, errors)
        assert absent(sysfs, "kvmnet_netlink_events_total"), step
        assert not [l for _, l, _ in sysfs if "bonding_masters" in l.values()], step
    log = (RESULTS / kernel / "sysfs-mode" / "agent-sysfs.log").read_text()
    assert "source error" not in log and "bonding_masters" not in log, log[-2000:]


@kernel_param
@pytest.mark.parametrize("step", SYSFS_STEPS)
def test_sysfs_mode_bond_families_agree_with_netlink(kernel, step):
    """Every kvmnet_bond_* series, netlink agent against --no-netlink agent at the same
    step: the same series, the same values (slave counts and states, link failures,
    active slave, LACP aggregator, ports and port states), except the event counters
    (compared by their increase) and the failover time (by at most the rescan delay)."""
    require_real_agent(kernel)
    netlink, sysfs = (bond_series(m) for m in sysfs_mode_metrics(kernel, step))
    assert set(netlink) == set(sysfs), (sorted(set(netlink) ^ set(sysfs)))
    for key, v in netlink.items():
        if key[0] in BOND_EVENT_COUNTERS:
            continue
        if key[0] in BOND_EVENT_TIMES:
            assert abs(v - sysfs[key]) <= 3.0, (key, v, sysfs[key])
            continue
        assert sysfs[key] == v, (key, "netlink", v, "sysfs", sysfs[key])
    names = {n for n, _ in netlink}
    for family in ("kvmnet_bond_slaves", "kvmnet_bond_slaves_up", "kvmnet_bond_slave_up",
                   "kvmnet_bond_slave_link_failures_total", "kvmnet_bond_active_slave_info",
                   "kvmnet_bond_lacp_aggregator_ports", "kvmnet_bond_slave_lacp_port_state"):
        assert family in names, family
    _, m = sysfs_mode_metrics(kernel, step)
    assert metric(m, "kvmnet_bond_slaves", bond="bond0") == 2
    assert metric(m, "kvmnet_bond_slaves", bond="bond1") == 2
    assert metric(m, "kvmnet_bond_slaves_up", bond="bond0") == (2 if step == "steady" else 1)
    assert metric(m, "kvmnet_bond_active_slave_info", bond="bond0",
                  slave="veth0" if step == "steady" else "veth1") == 1


@kernel_param
def test_sysfs_mode_event_counters_agree(kernel):
    """The failover, seen by netlink events and by the 1 s rescans: each agent's
    counters rise by the same amount (1 failover, veth0 down once) between the steps."""
    require_real_agent(kernel)
    (n0, s0), (n1, s1) = (tuple(bond_series(m) for m in sysfs_mode_metrics(kernel, step)) for step in SYSFS_STEPS)
    for before, after, who in ((n0, n1, "netlink"), (s0, s1, "sysfs")):
        def delta(name, **labels):
            key = (name, tuple(sorted(labels.items())))
            return after[key] - before.get(key, 0)
        assert delta("kvmnet_bond_failovers_total", bond="bond0") == 1, who
        assert delta("kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth0", to="down") == 1, who
        assert delta("kvmnet_bond_slave_transitions_total", bond="bond0", slave="veth1", to="down") == 0, who
        assert delta("kvmnet_bond_failovers_total", bond="bond1") == 0, who
    for name in BOND_EVENT_COUNTERS:
        keys = {k for k in n1 if k[0] == name}
        assert keys == {k for k in s1 if k[0] == name}, name
        for k in keys:
            assert n1[k] - n0.get(k, 0) == s1[k] - s0.get(k, 0), k


@kernel_param
@pytest.mark.parametrize("step", SYSFS_STEPS)
def test_sysfs_mode_diag_without_netlink(kernel, step):
    """kvmnet-diag --no-netlink reads the same /sys/class/net: no sysfs data error (no
    exit 3 for bonding_masters), and the same bond findings as with netlink."""
    require_real_agent(kernel)
    d = RESULTS / kernel / "sysfs-mode" / step
    if not (d / "diag.json").is_file():
        pytest.skip("kvmnet-diag was not packed into the guest")
    netlink = json.loads((d / "diag.json").read_text())
    sysfs = json.loads((d / "diag-sysfs.json").read_text())
    assert not [e for e in sysfs["data_errors"] if e["source"] == "sysfs"], sysfs["data_errors"]
    assert sysfs["status"] == netlink["status"], (sysfs["status"], sysfs["data_errors"])
    assert section_rc(kernel, f"sysfs-mode/{step}/diag-sysfs.json") == section_rc(kernel, f"sysfs-mode/{step}/diag.json")

    def bond_findings(r):
        return sorted((f["check"], f["subject"], f["severity"]) for f in r["findings"] if f["check"].startswith("bond."))
    assert bond_findings(sysfs) == bond_findings(netlink)
    degraded = [f for f in sysfs["findings"] if f["check"] == "bond.degraded"]
    assert [f["subject"] for f in degraded] == ([] if step == "steady" else ["bond0"])


# ---------------------------------------------------------------- ping is the ground truth (issue 13)
#
# Each scenario pings every pair of its namespace VMs and every VM's way out, and runs
# kvmnet-diag on the same pair right after (guest/lib.sh lab_truth: truth/<pair>/ping.txt,
# diag.json, diag.txt). The test asserts, for every pair found in the results, that the
# verdict agrees with the ping: the ping answered <=> no `fail` (exit 0 or 2); it did not
# <=> exit 1. The table below says what each ping must do (so that a scenario that is
# built wrong fails here, not silently) and which check must carry the verdict.

# (scenario, step, pair) -> (ping answers, check ids that must be among the findings,
#                            the severity they must have)
TRUTH = {
    ("vlan-aware", "truth", "vm1-vm3"): (True, [], None),
    ("vlan-aware", "truth", "vm1-vm2"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-aware", "truth", "vm2-vm3"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-aware", "truth", "vm1-ext"): (True, [], None),
    ("vlan-aware", "truth", "vm2-ext"): (False, ["bridge.vlan_not_on_uplink"], "fail"),
    ("vlan-aware", "truth", "vm3-ext"): (True, [], None),
    ("vlan-filtering-off", "truth", "vm1-vm2"): (True, ["bridge.vlan_filtering_off"], "warn"),
    ("vlan-filtering-off", "truth", "vm1-ext"): (False, ["bridge.vlan_filtering_off"], "fail"),
    ("vlan-trunk-many", "truth", "vmA-vmB"): (True, [], None),
    ("vlan-trunk-many", "truth", "vmA-vmC"): (False, ["bridge.port_no_pvid"], "fail"),
    ("vlan-trunk-many", "truth", "vmA-vmD"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-trunk-many", "truth", "vmB-vmD"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-trunk-many", "truth", "vmC-vmD"): (False, ["bridge.port_no_pvid"], "fail"),
    ("vlan-trunk-many", "truth", "vmA-ext"): (True, [], None),
    ("vlan-trunk-many", "truth", "vmB-ext"): (True, [], None),
    ("vlan-trunk-many", "truth", "vmC-ext"): (False, ["bridge.port_no_pvid"], "fail"),
    ("vlan-dev-on-aware-bridge", "truth", "vm1-host"): (True, [], None),
    ("vlan-dev-on-aware-bridge", "truth", "vm2-host"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-dev-on-aware-bridge", "truth", "vm1-vm2"): (False, ["path.vlan_mismatch"], "fail"),
    ("vlan-dev-on-aware-bridge", "truth-noself", "vm1-host"): (False, ["bridge.vlan_not_on_port"], "fail"),
    # Across hosts (issue 15): two agents, kvmnet-diag --peer joining the halves.
    ("cross-host", "truth", "vm1-vm3"): (True, [], None),
    ("cross-host", "truth", "vm2-vm4"): (False, ["crosshost.switch_not_forwarding"], "fail"),
    ("cross-host", "truth", "vm1-vm5"): (False, ["crosshost.wire_vlan_mismatch"], "fail"),
    ("seed-alb", "truth", "vm1-vm3"): (True, [], None),
    ("seed-alb", "truth", "vm1-vm2"): (False, ["path.vlan_mismatch"], "fail"),
    ("seed-alb", "truth", "vm2-vm3"): (False, ["path.vlan_mismatch"], "fail"),
    ("seed-alb", "truth", "vm1-ext"): (True, ["bond.mode_unsuited_for_bridge"], "warn"),
    ("seed-alb", "truth", "vm2-ext"): (True, ["bond.mode_unsuited_for_bridge"], "warn"),
    ("seed-alb", "truth", "vm3-ext"): (True, ["bond.mode_unsuited_for_bridge"], "warn"),
    ("seed-alb", "dead", "vm1-ext"): (False, ["bond.no_active_slave"], "fail"),
    ("seed-alb", "dead", "vm1-vm3"): (True, [], None),
    ("qinq", "truth", "vm1-ext"): (True, [], None),
    ("qinq", "truth", "vm2-ext"): (False, ["bridge.vlan_not_on_uplink"], "fail"),
    ("qinq", "truth", "vm1-vm2"): (False, ["path.vlan_mismatch"], "fail"),
}
TRUTH_SCENARIOS = sorted({k[0] for k in TRUTH})


def truth_pairs(kernel):
    """Every (scenario, step, pair) with a ping section in the results."""
    out = []
    for scen in TRUTH_SCENARIOS:
        for ping in sorted((RESULTS / kernel / scen).glob("*/*/ping.txt")):
            out.append((scen, ping.parent.parent.name, ping.parent.name))
    return out


@kernel_param
def test_truth_every_planned_pair_ran(kernel):
    """No pair of the table is missing from the results, none is there that the table
    does not know (a scenario and its expectations move together)."""
    assert sorted(truth_pairs(kernel)) == sorted(TRUTH)


@kernel_param
@pytest.mark.parametrize("case", sorted(TRUTH), ids=lambda c: "/".join(c))
def test_truth_ping_as_planned(kernel, case):
    """The scenario built what it says: each ping answers, or not, as the table says."""
    scen, step, pair = case
    want_ok = TRUTH[case][0]
    rc = section_rc(kernel, f"{scen}/{step}/{pair}/ping.txt")
    assert (rc == 0) == want_ok, (RESULTS / kernel / scen / step / pair / "ping.txt").read_text()


@kernel_param
@pytest.mark.parametrize("case", sorted(TRUTH), ids=lambda c: "/".join(c))
def test_truth_verdict_agrees_with_the_ping(kernel, case):
    """kvmnet-diag's verdict on the pair agrees with the ping: no `fail` (exit 0 or 2)
    when it answered, exit 1 when it did not; and the check the table names is there."""
    scen, step, pair = case
    ping_ok = section_rc(kernel, f"{scen}/{step}/{pair}/ping.txt") == 0
    d = RESULTS / kernel / scen / step / pair
    report = json.loads((d / "diag.json").read_text())
    rc = section_rc(kernel, f"{scen}/{step}/{pair}/diag.json")
    summary = [(f["check"], f["severity"], f["subject"]) for f in report["findings"]]
    said = (report["verdict"], (report.get("path") or {}).get("rendered"), summary)
    assert report["data_errors"] == [] and report["request_errors"] == [], report
    assert rc == report["exit_code"]
    if ping_ok:
        assert rc in (0, 2), said
    else:
        assert rc == 1, said
    _, checks, severity = TRUTH[case]
    for c in checks:
        got = [f for f in report["findings"] if f["check"] == c]
        assert got and all(f["severity"] == severity for f in got), (c, summary)
    if (d / "diag.txt").is_file():   # the text report, where the scenario asked for it, agrees
        assert section_rc(kernel, f"{scen}/{step}/{pair}/diag.txt") == rc


@kernel_param
def test_truth_path_lines_show_the_vlans(kernel):
    """The text path names the VLAN at each hop, as issue 13 shows it, and goes down to
    the bond (and its slaves) below the VMs' bridge on the seed's layout."""
    def path_line(scen, step, pair):
        return json.loads((RESULTS / kernel / scen / step / pair / "diag.json").read_text())["path"]["rendered"]
    assert path_line("vlan-aware", "truth", "vm1-vm2") == \
        "vm1 vnet0 [pvid 10] -- br0 [vlan 10]  X  [vlan 20] br0 -- vnet1 [pvid 20] vm2"
    text = (RESULTS / kernel / "vlan-aware" / "truth" / "vm1-vm2" / "diag.txt").read_text()
    assert "vm1 vnet0 [pvid 10] -- br0 [vlan 10]  X  [vlan 20] br0 -- vnet1 [pvid 20] vm2" in text, text
    assert text.startswith("FAIL  vm1 cannot reach vm2"), text
    assert path_line("vlan-aware", "truth", "vm1-ext").startswith("vm1 vnet0 [pvid 10] -- br0 [vlan 10] -- bond0 [vlan 10] -- u0+u1")
    assert path_line("seed-alb", "truth", "vm1-ext").startswith(
        "vm1 vnet0 -- brvlan-10 -- br1.10 [vlan 10] -- br1 -- bond0")
    assert "u0+u1" in path_line("seed-alb", "truth", "vm1-ext")
    assert "bond0 [bond." in path_line("seed-alb", "dead", "vm1-ext")


# ---------------------------------------------------------------- the agent's VLAN metrics = iproute2's view

VLAN_VIEW_STEPS = [("vlan-aware", "layout"), ("vlan-filtering-off", "layout"), ("vlan-trunk-many", "layout"),
                   ("vlan-dev-on-aware-bridge", "layout"), ("vlan-dev-on-aware-bridge", "noself"), ("qinq", "layout")]


def ranges_text(spans):
    """[(first, last)] (sorted, disjoint) -> '1,10,20-30', adjacent spans joined."""
    joined = []
    for a, b in sorted(spans):
        if joined and joined[-1][1] + 1 == a:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in joined)


@kernel_param
@pytest.mark.parametrize("scen,step", VLAN_VIEW_STEPS, ids=lambda x: x)
def test_vlan_metrics_equal_bridge_vlan_show(kernel, scen, step):
    """Every VLAN series of the agent equals `bridge -j -d vlan show` of the same moment
    (read before and after the scrape, and equal), for every port and bridge (self) of
    every VLAN-aware bridge; kvmnet_bridge_vlan_filtering equals ip -d -j link."""
    require_real_agent(kernel)
    before = brvlan(kernel, step, scen, "bridge_vlan.json")
    after = brvlan(kernel, step, scen, "bridge_vlan_after.json")
    assert before == after, "the VLANs changed while the agent was scraped"
    m = metrics_at(kernel, scen, step)
    links = {l["ifname"]: l for l in json.loads((RESULTS / kernel / scen / step / "ip_link.json").read_text())}
    bridges = {n: l for n, l in links.items() if l.get("linkinfo", {}).get("info_kind") == "bridge"}
    assert bridges
    aware = set()
    for name, l in bridges.items():
        f = l["linkinfo"]["info_data"]["vlan_filtering"]
        assert metric(m, "kvmnet_bridge_vlan_filtering", bridge=name) == f, name
        if f:
            aware.add(name)
    checked = 0
    for name in aware:
        members = [name] + [n for n, l in links.items() if l.get("master") == name]
        for port in members:
            rows = before.get(port, [])
            spans = [(a, b) for a, b, _, _ in rows]
            untagged = [(a, b) for a, b, u, _ in rows if u]
            pvid = next((a for a, _, _, p in rows if p), 0)
            assert metric(m, "kvmnet_bridge_port_pvid", bridge=name, port=port) == pvid, port
            assert metric(m, "kvmnet_bridge_port_vlans", bridge=name, port=port) == sum(b - a + 1 for a, b in spans), port
            assert metric(m, "kvmnet_bridge_port_vlans_untagged", bridge=name, port=port) == \
                sum(b - a + 1 for a, b in untagged), port
            assert metric(m, "kvmnet_bridge_port_vlan_info", bridge=name, port=port,
                          vlans=ranges_text(spans), untagged=ranges_text(untagged)) == 1, port
            checked += 1
        proto = links[name]["linkinfo"]["info_data"].get("vlan_protocol")
        assert metric(m, "kvmnet_bridge_vlan_protocol_info", bridge=name, protocol=proto) == 1
    # no series for a port the kernel does not show
    shown = {l["port"] for n, l, _ in m if n == "kvmnet_bridge_port_pvid"}
    assert shown == {p for name in aware for p in [name] + [n for n, l in links.items() if l.get("master") == name]}
    assert checked == len(shown)


@kernel_param
def test_vm_interface_vlan_metric(kernel):
    """kvmnet_vm_interface_vlan: the PVID of each VM's port on VLAN-aware bridges, the VLAN
    its libvirt <vlan> asks for where there is one (vlan-filtering-off: asked, not applied)."""
    require_real_agent(kernel)
    m = metrics_at(kernel, "vlan-aware", "layout")
    for vm, tap, vid in (("vm1", "vnet0", 10), ("vm2", "vnet1", 20), ("vm3", "vnet2", 10)):
        assert metric(m, "kvmnet_vm_interface_vlan", domain=vm, device=tap, source="pvid") == vid
    m = metrics_at(kernel, "vlan-trunk-many", "layout")
    assert metric(m, "kvmnet_vm_interface_vlan", domain="vmB", device="vnet1", source="pvid") == 100
    assert absent(m, "kvmnet_vm_interface_vlan", domain="vmC"), "vmC's port has no PVID"
    m = metrics_at(kernel, "vlan-filtering-off", "layout")
    assert metric(m, "kvmnet_vm_interface_vlan", domain="vm1", device="vnet0", source="libvirt") == 10
    assert metric(m, "kvmnet_vm_interface_vlan", domain="vm2", device="vnet1", source="libvirt") == 20
    assert absent(m, "kvmnet_vm_interface_vlan", source="pvid")


@kernel_param
def test_vlan_host_reports_agree_with_the_scenarios(kernel):
    """kvmnet-diag on the whole host: vlan-aware warns that VLAN 20 leaves on no uplink;
    vlan-trunk-many fails for vmC's port without PVID; vlan-filtering-off fails for both VMs."""
    def host(scen, step="layout"):
        return json.loads((RESULTS / kernel / scen / step / "diag-host.json").read_text())
    r = host("vlan-aware")
    assert [(f["severity"], f["subject"]) for f in findings(r, "bridge.vlan_not_on_uplink")] == [("warn", "br0 VLAN 20")]
    r = host("vlan-trunk-many")
    assert "vnet2" in [f["subject"] for f in findings(r, "bridge.port_no_pvid")]
    assert "vnet0" not in [f["subject"] for f in findings(r, "bridge.port_no_pvid")]
    r = host("vlan-filtering-off")
    assert sorted(f["subject"] for f in findings(r, "bridge.vlan_filtering_off")) == ["vm1 (vnet0)", "vm2 (vnet1)"]
    assert r["exit_code"] == 1


# ---------------------------------------------------------------- kvmnet-diag watch (issue 16)

WATCH_PROGRAMS = ("kvmnet_drop", "kvmnet_receive", "kvmnet_transmit")


def require_diag(kernel):
    if not (RESULTS / kernel / "watch" / "healthy" / "watch.json").is_file():
        if os.environ.get("KVMNET_LAB_REQUIRE") == "1":
            raise AssertionError("kvmnet-diag was not packed into the lab: no watch results")
        pytest.skip("kvmnet-diag not packed")


def watch_step(kernel, step):
    """(ping ok, ping back ok, watch exit code, report) of one step of the watch scenario."""
    require_diag(kernel)
    d = RESULTS / kernel / "watch" / step
    text = (d / "watch.json").read_text()
    err = d / "watch.json.stderr"
    assert text.strip(), (err.read_text() if err.is_file() else "no output")
    report = json.loads(text)
    ping = section_rc(kernel, f"watch/{step}/ping.txt") == 0
    back = section_rc(kernel, f"watch/{step}/ping-back.txt") == 0
    rc = section_rc(kernel, f"watch/{step}/watch.json")
    assert rc == report["exit_code"], report
    during, after = d / "bpftool-during.json", d / "bpftool-after.json"
    if during.is_file() and after.is_file():
        ids = set(report["bpf_program_ids"])
        held = [p for p in json.loads(during.read_text()) if p["id"] in ids]
        assert sorted(p["name"] for p in held) == sorted(WATCH_PROGRAMS), held
        left = {p["id"] for p in json.loads(after.read_text())} & {p["id"] for p in held}
        assert not left, f"programs {left} still loaded after SIGINT"
    elif os.environ.get("KVMNET_LAB_REQUIRE") == "1":
        raise AssertionError("bpftool was not packed into the lab: cannot check the watch detached")
    return ping, back, rc, report


def drops_of(report, **want):
    return [d for d in report["drops"] if all(d.get(k) == v for k, v in want.items())]


@kernel_param
def test_watch_healthy_pair_has_no_drop(kernel):
    """vm1 and vm3 (both PVID 10) ping each other: frames seen on both ports, no drop, exit
    0, although br0 refuses its own copy of their VLAN 10 ARP broadcasts."""
    ping, back, rc, report = watch_step(kernel, "healthy")
    assert ping and back
    assert rc == 0 and report["drops"] == [], report["drops"]
    seen = {(f["device"], f["event"]) for f in report["frames"] if f["count"] > 0}
    assert {("vnet0", "received"), ("vnet2", "sent"), ("vnet2", "received"), ("vnet0", "sent")} <= seen, seen


@kernel_param
def test_watch_vlan_mismatch_is_named_at_the_bridge(kernel):
    """vm1 (PVID 10) and vm2 (PVID 20): the bridge never sends their frames to the other's
    port; watch says so in each direction, with the VLAN, on the hop the static check marks."""
    ping, back, rc, report = watch_step(kernel, "vlan")
    assert not ping and not back
    assert rc == 1
    for direction, vid, port in (("a_to_b", 10, "vnet1"), ("b_to_a", 20, "vnet0")):
        got = drops_of(report, direction=direction, source="not_forwarded", device="br0")
        assert got, report["drops"]
        assert got[0]["vlan_id"] == vid
        assert f"{port} is not a member of VLAN {vid}" in got[0]["cause"], got[0]
        assert "path.vlan_mismatch" in got[0]["checks"], got[0]
    assert report["agrees_with_static"] is True


@kernel_param
def test_watch_mtu_too_small_is_named_at_the_port(kernel):
    """vnet2's MTU 1000, 1200-byte pings: the kernel frees them at vnet2, and watch says
    they are larger than its MTU."""
    ping, back, rc, report = watch_step(kernel, "mtu")
    assert not ping and not back
    assert rc == 1
    got = [d for d in report["drops"] if d["device"] == "vnet2" and d["source"] == "kernel"
           and "larger than the MTU of vnet2 (1000)" in d["cause"]]
    assert got, report["drops"]
    assert got[0]["function"], got[0]


@kernel_param
@pytest.mark.parametrize("step,state", [("blocking", "disabled"), ("stp-blocking", "blocking")])
def test_watch_port_not_forwarding_is_named_with_its_state(kernel, step, state):
    """vnet2 in STP state disabled (a port set to blocking does not stay so with STP off),
    then blocking under user-space STP (as mstpd leaves an alternate port): vm3's frames
    are refused on vnet2 (a kernel drop), and vm1's are never sent to it."""
    ping, back, rc, report = watch_step(kernel, step)
    assert not ping and not back
    assert rc == 1
    got = [d for d in report["drops"] if d["direction"] == "b_to_a" and d["device"] == "vnet2"
           and f"vnet2 is in STP state {state}" in d["cause"]]
    assert got and got[0]["source"] == "kernel", report["drops"]
    fwd = drops_of(report, direction="a_to_b")
    assert fwd and all("vnet2" in d["cause"] and f"STP state {state}" in d["cause"] for d in fwd), fwd


def nft_drops(report):
    return [d for d in report["drops"] if d["reason"] == "NETFILTER_DROP" and d["direction"] == "a_to_b"]


@kernel_param
def test_watch_nft_bridge_drop_is_named_as_the_firewall(kernel):
    """An nft bridge-family rule (priority filter) drops vm1's frames to vm3: the ping fails,
    watch names netfilter, and the static check firewall.bridge_family_drop fails."""
    ping, back, rc, report = watch_step(kernel, "nft")
    assert not ping
    assert rc == 1
    got = nft_drops(report)
    assert got and got[0]["device"] in ("vnet0", "vnet2"), report["drops"]
    assert got[0]["cause"].startswith("a netfilter rule or chain policy of the host firewall dropped them"), got[0]
    assert got[0]["function"], got[0]
    assert "firewall.bridge_family_drop" in report["static_failures"], report["static_failures"]


@kernel_param
def test_watch_nft_priority_0_follows_the_kernel(kernel):
    """The same rule at priority 0 with br_netfilter passing IPv4 to iptables: whether the
    chain runs depends on the kernel (Debian's 6.1 skips it, 6.12 runs it). Ping is the
    ground truth: watch agrees with it, and the static diagnosis never fails on it (it
    cannot know): firewall.unverifiable, a warning, on every kernel."""
    ping, back, rc, report = watch_step(kernel, "nft-prio0")
    assert "firewall.bridge_family_drop" not in report["static_failures"], report["static_failures"]
    assert "firewall.unverifiable" in report["static_warnings"], report["static_warnings"]
    if ping:
        assert rc == 0 and not nft_drops(report), report["drops"]
    else:
        assert rc == 1 and nft_drops(report), report["drops"]


@kernel_param
def test_watch_iptables_forward_drop_is_named_with_the_static_check(kernel):
    """iptables-nft's FORWARD policy DROP with br_netfilter: watch names netfilter, joined
    with the static check firewall.forward_drop_bridged."""
    ping, back, rc, report = watch_step(kernel, "iptables")
    assert not ping and not back and rc == 1
    got = [d for d in report["drops"] if d["reason"] == "NETFILTER_DROP"]
    assert got, report["drops"]
    assert "firewall.forward_drop_bridged" in report["static_failures"], report["static_failures"]
    assert any("firewall.forward_drop_bridged" in d["cause"] or "firewall.forward_drop_bridged" in d["checks"] for d in got), got
