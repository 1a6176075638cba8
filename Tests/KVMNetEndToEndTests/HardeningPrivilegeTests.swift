import Foundation
import KVMNetTestSupport
import Testing

/// Without root (issue 8): `kvmnet-agent` and `kvmnet-diag` run as `nobody` (setpriv, in a
/// private network namespace), serve or report what they can, and say what they could
/// not read; no source file builds a command, so no input can become one.
@Suite(.serialized, .enabled(if: LiveTests.enabled(TestNetns.isRoot && findTool("setpriv") != nil), "needs root and setpriv (util-linux) to drop to nobody"))
struct HardeningPrivilegeTests {
    init() throws { try LiveTests.require(TestNetns.isRoot && findTool("setpriv") != nil, "needs root and setpriv (util-linux) to drop to nobody") }

    static let dropToNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    /// A copy of a built binary where `nobody` may run it (the checkout may lie under a
    /// directory only root can enter; the Swift runtime is found by absolute RUNPATH), in
    /// a directory the caller removes.
    static func runnableByNobody(_ name: String) throws -> (path: String, dir: String) {
        let dir = NSTemporaryDirectory() + "kvmnet-nobody-bin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        let copy = dir + "/" + name
        try FileManager.default.copyItem(atPath: AgentProcess.productsDirectory.appendingPathComponent(name).path, toPath: copy)
        chmod(copy, 0o755)
        return (copy, dir)
    }

    /// A host: a bridge with a port, an 802.3ad bond and a VLAN where the kernel has
    /// them (`bond`, `vlan`), and libvirt and ifcfg directories only root can read.
    struct Host {
        var ns: TestNetns
        var libvirt: String, ifcfg: String
        var bond: Bool, vlan: Bool
        func remove() {
            for d in [libvirt, ifcfg] { try? FileManager.default.removeItem(atPath: d) }
        }
    }

    func host() throws -> Host {
        let ns = try TestNetns(prefix: "kvmnet-nobody")
        try ns.ipIn(["link", "set", "lo", "up"])
        for args in [["link", "add", "br0", "type", "bridge"], ["link", "set", "br0", "up"],
                     ["link", "add", "vnet0", "type", "veth", "peer", "name", "vm0"],
                     ["link", "set", "vnet0", "master", "br0", "up"], ["link", "set", "vm0", "up"]] {
            try ns.ipIn(args)
        }
        // Not every kernel has bonding and 8021q (modules): then without them.
        let bond = (try? ns.ipIn(["link", "add", "bond0", "type", "bond", "mode", "802.3ad"])) != nil
        let vlan = (try? ns.ipIn(["link", "add", "link", "vm0", "name", "vm0.10", "type", "vlan", "id", "10"])) != nil
        var dirs: [String] = []
        for (kind, file, text) in [("libvirt", "vm1.xml", "<domain type='kvm'><name>vm1</name></domain>"), ("ifcfg", "ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n")] {
            let dir = NSTemporaryDirectory() + "kvmnet-\(kind)-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            chmod(dir, 0o700)
            dirs.append(dir)
        }
        return Host(ns: ns, libvirt: dirs[0], ifcfg: dirs[1], bond: bond, vlan: vlan)
    }

    @Test func agentServesWithoutRootAndLogsOnceWhatItCannotRead() throws {
        let h = try host()
        defer { h.remove() }
        let binary = try Self.runnableByNobody("kvmnet-agent")
        defer { try? FileManager.default.removeItem(atPath: binary.dir) }
        let agent = try AgentProcess(arguments: Self.dropToNobody + [binary.path, "--libvirt-dir=\(h.libvirt)", "--ifcfg-dir=\(h.ifcfg)"],
                                     executable: findTool("setpriv")!, netns: h.ns.name)
        defer { agent.stop() }
        let pid = try #require(agentPID(agent))
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let nobody = try runCommand("/usr/bin/id", ["-u", "nobody"]).stdout.trimmingCharacters(in: "\n")
        #expect(status.contains("Uid:\t\(nobody)\t\(nobody)"), "the agent must run as nobody")

        var text = ""
        for _ in 0..<3 { text = try agent.get("/metrics").text }
        // Netlink needs no privilege: links, the bridge, the VLAN and the bond are all there.
        #expect(text.contains("kvmnet_link_info{device=\"vnet0\",kind=\"veth\",master=\"br0\"} 1"))
        #expect(text.contains("kvmnet_bridge_ports{bridge=\"br0\"} 1"))
        if h.vlan { #expect(text.contains("kvmnet_vlan_info{device=\"vm0.10\",vlan_id=\"10\",parent=\"vm0\"} 1")) }
        if h.bond { #expect(text.contains("kvmnet_bond_info{bond=\"bond0\",mode=\"802.3ad\"")) }
        let diagnose = try agent.get("/diagnose")
        #expect(diagnose.status == 200)
        #expect(diagnose.text.contains("\"running_as_root\":false") || diagnose.text.contains("\"running_as_root\" : false"))

        agent.stop()
        let log = agent.log
        let lines = log.split(separator: "\n").filter { $0.contains("running with reduced data") }
        #expect(lines.count == 1, "logged once: \(log)")
        let line = String(lines.first ?? "")
        #expect(line.contains("without CAP_NET_ADMIN"))
        #expect(line.contains(h.libvirt), "names the unreadable libvirt directory: \(line)")
        #expect(line.contains(h.ifcfg), "names the unreadable ifcfg directory: \(line)")
        if h.vlan { #expect(line.contains("/proc/net/vlan/config"), "names /proc/net/vlan/config: \(line)") }
        if h.bond { #expect(line.contains("/proc/net/bonding"), "says the bonding files hide LACP details: \(line)") }
    }

    @Test func diagRunsWithoutRootAndSaysWhichChecksItSkipped() throws {
        let h = try host()
        defer { h.remove() }
        let binary = try Self.runnableByNobody("kvmnet-diag")
        defer { try? FileManager.default.removeItem(atPath: binary.dir) }
        let diag = binary.path
        let run = [findTool("setpriv")!] + Self.dropToNobody + [diag, "--libvirt-dir=\(h.libvirt)", "--ifcfg-dir=\(h.ifcfg)"]
        let json = try runCommand(h.ns.ip, ["netns", "exec", h.ns.name] + run + ["--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        #expect(report["running_as_root"] as? Bool == false)
        #expect((report["verdict"] as? String)?.contains("data incomplete") == true)
        let errors = (report["data_errors"] as? [[String: Any]]) ?? []
        #expect(Set(errors.compactMap { $0["path"] as? String }).isSuperset(of: [h.libvirt, h.ifcfg]), "\(errors)")
        // The checks that need those files are skipped and say why; none "passes" on
        // data it never saw.
        let checks = (report["checks"] as? [[String: Any]]) ?? []
        for family in ["vm.", "config."] {
            let these = checks.filter { ($0["check"] as? String)?.hasPrefix(family) == true }
            #expect(!these.isEmpty)
            for c in these {
                #expect(c["status"] as? String == "skipped", "\(c)")
                #expect((c["reason"] as? String)?.hasPrefix("needs root: ") == true, "\(c)")
            }
        }
        if h.bond {
            let lacp = checks.first { $0["check"] as? String == "bond.lacp_no_partner" }
            #expect((lacp?["reason"] as? String)?.contains("needs root") == true, "\(String(describing: lacp))")
        }

        let text = try runCommand(h.ns.ip, ["netns", "exec", h.ns.name] + run)
        #expect(text.stdout.contains("Not running as root"), "\(text.stdout)")
        #expect(text.stdout.contains("skipped vm.tap_detached: needs root: \(h.libvirt) is not readable"), "\(text.stdout)")
        #expect(text.stdout.contains("skipped config.ifcfg_drift: needs root: \(h.ifcfg) is not readable"), "\(text.stdout)")
        #expect(text.stdout.contains("Unreadable sources (data incomplete)"), "\(text.stdout)")
    }

    @Test func diagnoseParametersNeverReachTheFilesystemOrAShell() throws {
        let agent = try AgentProcess(arguments: GoldenMetricsTests.fixtureArgs() + ["--libvirt-dir=/nonexistent-libvirt", "--ifcfg-dir=/nonexistent-ifcfg"])
        defer { agent.stop() }
        for query in ["from=%2Fetc%2Fpasswd&to=vnet0", "from=..%2F..&to=vnet0", "from=$(id)&to=vnet0", "from=vnet0&to=%60id%60",
                      "from=vnet0&external=..", "from=vnet0&external=true", "from=vnet0&to=" + String(repeating: "a", count: 200), "from=vnet0%00&to=vnet1",
                      "from=vnet0&to=vnet1&file=/etc/shadow", "dir=/etc", "from=~root&to=vnet1"] {
            let r = try agent.get("/diagnose?" + query)
            #expect(r.status == 400, "\(query): \(r.status)")
            #expect(!r.text.contains("root:"), "\(query)")
        }
        #expect(try agent.get("/diagnose?from=vnet0&to=vnet1").status == 200)
    }

    /// No source starts a process or a shell: nothing any input reaches can become a
    /// command. (Suggested commands in reports are text for a person, quoted by
    /// ShellQuote, never run.) One audited module starts processes, KVMNetSubprocess
    /// (posix_spawn and waitpid, with its C shim), and one source uses it: kvmnet-diag's
    /// firewall reader, which runs nft (and, where iptables-legacy is in use,
    /// iptables-legacy-save) by absolute path with constant arguments and no shell (issue
    /// 16: the rulesets have no other interface). The agent links neither.
    static let audited: [String: Set<String>] = [
        "KVMNetSubprocess/Subprocess.swift": ["posix_spawn"],
        "CSubprocessShim/shim.h": ["posix_spawn"],
    ]

    @Test func theProcessesKvmnetDiagStartsAreTheFirewallListersWithConstantArguments() throws {
        let root = AgentProcess.repositoryRoot
        let reader = try String(contentsOf: root.appendingPathComponent("Sources/KVMNetFirewallReader/FirewallReader.swift"), encoding: .utf8)
        #expect(reader.contains("public static let nftPaths = [\"/usr/sbin/nft\", \"/sbin/nft\", \"/usr/bin/nft\"]"))
        #expect(reader.contains("public static let iptablesLegacySavePaths = [\"/usr/sbin/iptables-legacy-save\", \"/sbin/iptables-legacy-save\"]"))
        #expect(reader.contains("read(nft, [\"-j\", \"list\", \"ruleset\"], as:"))
        #expect(reader.contains("read(save, [], as:"))
        #expect(reader.components(separatedBy: " read(").count - 1 == 3, "read(procfsRoot:...) reads nft and iptables-legacy-save, once each")
        #expect(reader.components(separatedBy: " run(").count - 1 == 2, "run() is defined once and called once")
        #expect(reader.components(separatedBy: "Subprocess.run(").count - 1 == 1, "one program started, from run()")
        #expect(reader.contains("Subprocess.run([path] + args, environment: [:], timeout: timeoutSeconds)"))

        // The only source that imports the spawning module is the firewall reader, and
        // kvmnet-bpf-embed: the build-time tool BPFObjectPlugin runs (clang -target bpf),
        // which no product links.
        let sources = root.appendingPathComponent("Sources").path
        let files = try #require(FileManager.default.enumerator(atPath: sources)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        let importers = try files.filter { try String(contentsOfFile: sources + "/" + $0, encoding: .utf8).contains("import KVMNetSubprocess") }
        #expect(importers.sorted() == ["KVMNetFirewallReader/FirewallReader.swift", "kvmnet-bpf-embed/main.swift"], "\(importers)")

        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let agentTarget = try #require(manifest.range(of: "name: \"KVMNetAgent\"")).upperBound
        let agentDeps = manifest[agentTarget...].prefix { $0 != ")" }
        #expect(!agentDeps.contains("KVMNetFirewallReader"), "the agent must not link the firewall reader")
        #expect(!agentDeps.contains("KVMNetSubprocess"), "the agent must not link KVMNetSubprocess")
        // The targets that name KVMNetSubprocess: itself, the firewall reader, the tests'
        // support (a target declared over several lines has no name on that line: fails).
        let users = manifest.split(separator: "\n").filter { $0.contains("\"KVMNetSubprocess\"") }.map { line -> String in
            guard let name = line.range(of: "name: \"") else { return String(line) }
            return String(line[name.upperBound...].prefix { $0 != "\"" })
        }
        #expect(Set(users) == ["KVMNetSubprocess", "KVMNetFirewallReader", "KVMNetTestSupport", "kvmnet-bpf-embed"], "\(users)")
        #expect(!manifest.contains(".executable(name: \"kvmnet-bpf-embed\""), "the BPF embedding tool is no product")
        // And the built agent holds no code of it (its symbols name the module).
        let agent = try Data(contentsOf: URL(fileURLWithPath: AgentProcess.agentPath))
        #expect(agent.range(of: Data("KVMNetSubprocess".utf8)) == nil, "kvmnet-agent links KVMNetSubprocess")
        #expect(agent.range(of: Data("KVMNetFirewallReader".utf8)) == nil, "kvmnet-agent links KVMNetFirewallReader")
    }

    /// No test starts a program with Foundation's Process: on Linux it can miss the exit
    /// of a child under load and wait forever (docs/reliability.md, "Child processes");
    /// tests use KVMNetSubprocess (`Subprocess.run`, `Subprocess.Child`) through
    /// KVMNetTestSupport.
    @Test func noTestUsesFoundationProcess() throws {
        let tests = AgentProcess.repositoryRoot.appendingPathComponent("Tests").path
        let files = try #require(FileManager.default.enumerator(atPath: tests)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50)
        let call = try Regex(#"(^|[^A-Za-z0-9_])(Foundation\.)?Process\(\)|NSTask"#)
        for f in files where !f.hasSuffix("HardeningPrivilegeTests.swift") {
            let text = try String(contentsOfFile: tests + "/" + f, encoding: .utf8)
            let hits = text.split(separator: "\n").filter { $0.contains(call) }
            #expect(hits.isEmpty, "\(f) starts a program with Foundation's Process: \(hits.prefix(2))")
        }
    }

    @Test func noSourceStartsAProcess() throws {
        let sources = AgentProcess.repositoryRoot.appendingPathComponent("Sources").path
        let files = try #require(FileManager.default.enumerator(atPath: sources)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") || $0.hasSuffix(".h") || $0.hasSuffix(".c") }
        #expect(files.count > 50)
        let forbidden = ["Process(", "NSTask", "posix_spawn", "popen(", "system(", "execv", "execl", "fork(", "/bin/sh"]
        for f in files {
            let text = try String(contentsOfFile: sources + "/" + f, encoding: .utf8)
            for word in forbidden where text.contains(word) {
                // `case system(operation:errno:)` of NetlinkError is an error, not a call.
                if Self.audited[f]?.contains(word) == true { continue }
                let hits = text.split(separator: "\n").filter { line in
                    line.contains(word) && !line.contains("case system(") && !line.contains(".system(")
                }
                #expect(hits.isEmpty, "\(f) uses \(word): \(hits.prefix(2))")
            }
        }
    }
}
