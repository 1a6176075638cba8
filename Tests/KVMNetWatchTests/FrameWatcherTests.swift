#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KVMNetModel
import KVMNetSources
import KVMNetTestSupport
@testable import KVMNetWatch
import Testing

/// DropReasons on the running kernel's BTF: no root needed, only /sys/kernel/btf/vmlinux.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: DropReasons.vmlinuxBTFPath),
                "needs /sys/kernel/btf/vmlinux (a kernel with CONFIG_DEBUG_INFO_BTF)"))
struct DropReasonsTests {
    @Test func namesComeFromTheKernelWithoutTheirPrefix() throws {
        let reasons = try DropReasons.fromKernel()
        let names = Set(reasons.values)
        for name in ["NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NETFILTER_DROP", "NO_SOCKET"] {
            #expect(names.contains(name), "\(name) missing from \(names.sorted())")
        }
        // Only the prefix goes: SKB_DROP_REASON_SKB_CSUM is SKB_CSUM.
        #expect(!names.contains { $0.hasPrefix("SKB_DROP_REASON_") || $0.hasPrefix("DROP_REASON_") }, "\(names.sorted())")
        #expect(names.contains("SKB_CSUM"), "\(names.sorted())")
        #expect(reasons.first { $0.value == "NOT_DROPPED_YET" }?.key == 0)
    }

    /// A bad filter is refused before any bpf(2) call (so without root).
    @Test func aBadFilterIsRefusedWithATypedError() throws {
        #expect(throws: WatchError.invalidFilter(reason: "\"10.0.0.256\" is not an IPv4 address")) {
            _ = try FrameWatcher(filter: WatchFilter(macs: [], ipv4: ["10.0.0.256"]))
        }
        #expect(throws: WatchError.invalidFilter(reason: "0x1000000000000 is wider than a 48-bit MAC address")) {
            _ = try FrameWatcher(filter: WatchFilter(macs: [1 << 48], ipv4: []))
        }
    }

    @Test func errorsSayWhatIsMissing() {
        #expect(WatchError.noBTF(path: "/sys/kernel/btf/vmlinux").description.contains("CONFIG_DEBUG_INFO_BTF"))
        #expect(WatchError.noDropReasons(kernel: "5.10.0").description.contains("5.17"))
        #expect(WatchError.permission("loading").description.contains("CAP_BPF"))
    }
}

/// FrameWatcher against the real kernel: namespaces "host" (br0 with the ports vnet0 and
/// vnet1), "vm1" and "vm2" (the ports' peers, 10.0.0.1/24 and 10.0.0.2/24), all the test's
/// own. The watcher runs in the test's namespace; the tracepoints are global, the events'
/// namespace inode tells the scenario's apart.
@Suite(.serialized, .enabled(if: LiveTests.enabled(WatchScenario.available), "needs root, iproute2, ping, nft, bpftool and BTF"))
struct LiveFrameWatcherTests {
    init() throws {
        try LiveTests.require(WatchScenario.available, "needs root, iproute2, ping, nft, bpftool and /sys/kernel/btf/vmlinux")
    }

    @Test func aHealthyPingIsReceivedOnTheBridgePortsAndNothingDrops() throws {
        try WatchScenario.with { s in
            let watcher = try FrameWatcher(filter: s.filter)
            defer { watcher.detach() }
            // Loaded and verified: the kernel lists the programs while they are attached.
            let listed = try WatchScenario.bpftool(["prog", "show"])
            for (id, name) in zip(watcher.programIDs, watcher.programNames) {
                #expect(listed.contains("\(id): tracing  name \(name) "), "\(listed)")
            }
            #expect(watcher.programNames.sorted() == ["kvmnet_drop", "kvmnet_receive", "kvmnet_transmit"])

            #expect(try s.ping(), "the ping through the bridge must work")
            let events = try s.drain(watcher)
            let hostEvents = events.filter { $0.networkNamespace == s.hostNamespaceInode }
            func received(on port: Int, from: UInt64, to: UInt64, _ protocolName: String) -> [FrameEvent] {
                hostEvents.filter {
                    $0.kind == .receive && $0.ifindex == port && $0.sourceMAC == from && $0.destinationMAC == to
                        && $0.protocolName == protocolName
                }
            }
            let requests = received(on: s.port1, from: s.mac1, to: s.mac2, "ICMP echo request")
            let replies = received(on: s.port2, from: s.mac2, to: s.mac1, "ICMP echo reply")
            #expect(requests.count >= 3, "\(events.map(Self.line))")
            #expect(replies.count >= 3, "\(events.map(Self.line))")
            #expect(requests.allSatisfy { $0.sourceIPv4 == "10.0.0.1" && $0.destinationIPv4 == "10.0.0.2" && $0.etherType == 0x0800 && $0.length > 0 })
            // Forwarded by the bridge: sent by the other port.
            #expect(hostEvents.contains { $0.kind == .transmit && $0.ifindex == s.port2 && $0.sourceMAC == s.mac1 && $0.protocolName == "ICMP echo request" })
            // The VMs' own namespaces are seen too.
            #expect(events.contains { $0.networkNamespace == s.vm1NamespaceInode && $0.kind == .transmit && $0.sourceMAC == s.mac1 })
            // Nothing drops on the way. (vm1 frees each echo reply with NO_SOCKET after
            // ping's raw socket took its copy: a kfree_skb in vm1's namespace, not a loss.)
            let drops = events.filter {
                $0.kind == .drop && [s.mac1, s.mac2].contains($0.sourceMAC)
                    && ($0.networkNamespace == s.hostNamespaceInode || $0.protocolName == "ICMP echo request")
            }
            #expect(drops.isEmpty, "\(drops.map(Self.line))")
            #expect(watcher.undecodableRecords == 0)
            #expect(watcher.lostRecords == 0)
        }
    }

    @Test func aBridgeFirewallDropIsReportedWithItsReason() throws {
        try WatchScenario.with { s in
            let ruleset = """
                table bridge kvmnet_watch {
                    chain forward {
                        type filter hook forward priority 0; policy accept;
                        ether daddr \(WatchScenario.format(s.mac2)) drop
                    }
                }

                """
            let nft = try Subprocess.run([WatchScenario.ip, "netns", "exec", s.host, "nft", "-f", "-"], stdin: Array(ruleset.utf8), timeout: 30)
            try #require(nft.status == 0, "nft: \(nft.stderrText)")
            let reasons = try DropReasons.fromKernel()
            let watcher = try FrameWatcher(filter: s.filter)
            defer { watcher.detach() }

            #expect(try s.ping() == false, "the bridge forward chain must drop the ping")
            let events = try s.drain(watcher)
            let drops = events.filter {
                $0.kind == .drop && $0.networkNamespace == s.hostNamespaceInode && [s.port1, s.port2].contains($0.ifindex)
                    && $0.destinationMAC == s.mac2
            }
            #expect(drops.count >= 3, "\(events.map(Self.line))")
            for drop in drops {
                #expect(reasons[drop.reason] == "NETFILTER_DROP", "\(Self.line(drop)): \(reasons[drop.reason] ?? "?")")
                #expect(drop.location != 0)
            }
            #expect(!events.contains { $0.kind == .receive && $0.ifindex == s.port2 && $0.sourceMAC == s.mac2 && $0.protocolName == "ICMP echo reply" })
        }
    }

    @Test func detachUnloadsThePrograms() throws {
        try WatchScenario.with { s in
            let watcher = try FrameWatcher(filter: s.filter)
            let (names, ids) = (watcher.programNames, watcher.programIDs)
            #expect(names.count == 3 && ids.count == 3)
            for id in ids { #expect(try WatchScenario.bpftoolStatus(["prog", "show", "id", String(id)]) == 0) }
            watcher.detach()
            watcher.detach()   // idempotent
            // The kernel frees detached programs after an RCU grace period: wait for it.
            // Matched by id and name: another watcher (kvmnet-diag watch, its tests) may run
            // the same programs meanwhile.
            let ours = Set(zip(ids, names).map { "\($0): tracing  name \($1) " })
            var left: [String] = []
            let deadline = Date().addingTimeInterval(10)
            repeat {
                left = try WatchScenario.bpftool(["prog", "show"]).split(separator: "\n").map(String.init)
                    .filter { line in ours.contains { line.hasPrefix($0) } }
                if left.isEmpty { break }
                usleep(100_000)
            } while Date() < deadline
            #expect(left.isEmpty, "still loaded after detach(): \(left)")
            for id in ids { #expect(try WatchScenario.bpftoolStatus(["prog", "show", "id", String(id)]) != 0) }
            #expect(throws: WatchError.self) { _ = try watcher.poll(timeoutMilliseconds: 0) { _ in } }
            #expect(watcher.lostRecords == 0)
        }
    }

    /// A frame tagged VLAN 10 sent by vm1 through a packet socket (no 802.1Q device
    /// needed): vnet0 receives it with the tag in its header, the bridge untags it into the
    /// skb and vnet1 sends it with the skb's tag. Both report VLAN 10 and the inner IPv4.
    @Test func aTaggedFrameCarriesItsVLAN() throws {
        let python = ["/usr/bin/python3", "/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let python else {
            try #require(!LiveTests.required, "python3 missing (it sends the tagged frame)")
            return
        }
        try WatchScenario.with { s in
            let watcher = try FrameWatcher(filter: s.filter)
            defer { watcher.detach() }
            func bytes(_ mac: UInt64) -> String { (0..<6).map { String((mac >> (8 * (5 - UInt64($0)))) & 0xff) }.joined(separator: ",") }
            // Ethernet, 802.1Q (VLAN 10), IPv4 10.0.0.1 -> 10.0.0.2 ICMP echo request.
            let script = """
                import socket, struct
                ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 1, 0, 64, 1, 0, bytes([10,0,0,1]), bytes([10,0,0,2]))
                icmp = struct.pack('!BBHHH', 8, 0, 0, 1, 1)
                frame = bytes([\(bytes(s.mac2))]) + bytes([\(bytes(s.mac1))]) + struct.pack('!HHH', 0x8100, 10, 0x0800) + ip + icmp
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                sock.bind(('eth0', 0))
                for _ in range(2): sock.send(frame)
                """
            let sent = try Subprocess.run([WatchScenario.ip, "netns", "exec", s.vm1, python, "-c", script], timeout: 30)
            try #require(sent.status == 0, "\(sent.stderrText)")
            let events = try s.drain(watcher).filter { $0.networkNamespace == s.hostNamespaceInode && $0.sourceMAC == s.mac1 }
            let received = events.filter { $0.kind == .receive && $0.ifindex == s.port1 }
            let sentOn = events.filter { $0.kind == .transmit && $0.ifindex == s.port2 }
            #expect(received.count >= 2, "\(events.map(Self.line))")
            #expect(sentOn.count >= 2, "\(events.map(Self.line))")
            for e in received + sentOn {
                #expect(e.vlanID == 10 && e.etherType == 0x0800 && e.protocolName == "ICMP echo request"
                        && e.destinationIPv4 == "10.0.0.2", "\(Self.line(e))")
            }
        }
    }

    static func line(_ e: FrameEvent) -> String {
        "\(e.kind) if\(e.ifindex) ns\(e.networkNamespace) \(WatchScenario.format(e.sourceMAC))>\(WatchScenario.format(e.destinationMAC)) \(e.protocolName) \(e.sourceIPv4 ?? "-")>\(e.destinationIPv4 ?? "-") reason \(e.reason) vlan \(e.vlanID.map(String.init) ?? "-")"
    }
}

/// The three namespaces of LiveFrameWatcherTests, deleted whatever happens.
struct WatchScenario {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"
    static let bpftoolPath = ["/usr/sbin/bpftool", "/sbin/bpftool", "/usr/bin/bpftool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: ip) && bpftoolPath != nil
            && ["/usr/sbin/nft", "/usr/bin/ping", "/bin/ping"].filter { FileManager.default.isExecutableFile(atPath: $0) }.count >= 2
            && FileManager.default.fileExists(atPath: DropReasons.vmlinuxBTFPath)
    }

    let host: String, vm1: String, vm2: String
    let mac1: UInt64, mac2: UInt64
    var port1 = 0, port2 = 0
    var hostNamespaceInode: UInt32 = 0, vm1NamespaceInode: UInt32 = 0

    var filter: WatchFilter { WatchFilter(macs: [mac1, mac2], ipv4: ["10.0.0.1", "10.0.0.2"]) }

    static func with(_ body: (WatchScenario) throws -> Void) throws {
        let id = UInt32.random(in: 0...UInt32.max)
        let tag = UInt64(id & 0xffff) << 8
        var s = WatchScenario(host: "kvmnet-watch-h-\(id)", vm1: "kvmnet-watch-a-\(id)", vm2: "kvmnet-watch-b-\(id)",
                              mac1: 0x5254_0000_0001 | tag << 8, mac2: 0x5254_0000_0002 | tag << 8)
        defer { for ns in [s.host, s.vm1, s.vm2] { _ = try? Subprocess.run([ip, "netns", "del", ns], timeout: 30) } }
        for ns in [s.host, s.vm1, s.vm2] { try run([ip, "netns", "add", ns]) }
        try run([ip, "-n", s.host, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        try run([ip, "-n", s.host, "link", "set", "br0", "up"])
        for (i, (ns, mac)) in [(s.vm1, s.mac1), (s.vm2, s.mac2)].enumerated() {
            let port = "vnet\(i)"
            try run([ip, "-n", s.host, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try run([ip, "-n", s.host, "link", "set", port, "master", "br0"])
            try run([ip, "-n", s.host, "link", "set", port, "up"])
            try run([ip, "-n", ns, "link", "set", "eth0", "address", format(mac)])
            try run([ip, "-n", ns, "addr", "add", "10.0.0.\(i + 1)/24", "dev", "eth0"])
            try run([ip, "-n", ns, "link", "set", "eth0", "up"])
        }
        s.port1 = try ifindex(s.host, "vnet0")
        s.port2 = try ifindex(s.host, "vnet1")
        s.hostNamespaceInode = try inode(s.host)
        s.vm1NamespaceInode = try inode(s.vm1)
        try body(s)
    }

    /// Three pings vm1 -> vm2; true when they were answered.
    func ping() throws -> Bool {
        try Subprocess.run([Self.ip, "netns", "exec", vm1, "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.0.0.2"], timeout: 30).status == 0
    }

    /// The watcher's events until it has been quiet for 300 ms (at most 10 s).
    func drain(_ watcher: FrameWatcher) throws -> [FrameEvent] {
        var events: [FrameEvent] = []
        var quiet = 0
        let deadline = Date().addingTimeInterval(10)
        while quiet < 3, Date() < deadline {
            let n = try watcher.poll(timeoutMilliseconds: 100) { events.append($0) }
            quiet = n == 0 ? quiet + 1 : 0
        }
        return events
    }

    static func format(_ mac: UInt64) -> String {
        (0..<6).map { String(format: "%02x", (mac >> (8 * (5 - UInt64($0)))) & 0xff) }.joined(separator: ":")
    }

    static func run(_ argv: [String]) throws {
        let r = try Subprocess.run(argv, timeout: 30)
        try #require(r.status == 0, "\(argv.joined(separator: " ")): \(r.stderrText)")
    }

    static func ifindex(_ ns: String, _ device: String) throws -> Int {
        let r = try Subprocess.run([ip, "-n", ns, "-o", "link", "show", device], timeout: 30)
        return try #require(r.stdoutText.split(separator: ":").first.flatMap { Int($0) }, "\(r.stdoutText) \(r.stderrText)")
    }

    /// The namespace's inode number, as FrameEvent.networkNamespace has it (stat -L /run/netns/NAME).
    static func inode(_ ns: String) throws -> UInt32 {
        var st = stat()
        try #require(stat("/run/netns/\(ns)", &st) == 0, "stat /run/netns/\(ns)")
        return UInt32(truncatingIfNeeded: st.st_ino)
    }

    static func bpftool(_ arguments: [String]) throws -> String {
        let r = try Subprocess.run([bpftoolPath ?? "bpftool"] + arguments, timeout: 30)
        try #require(r.status == 0, "bpftool \(arguments): \(r.stderrText)")
        return r.stdoutText
    }

    static func bpftoolStatus(_ arguments: [String]) throws -> Int32 {
        try Subprocess.run([bpftoolPath ?? "bpftool"] + arguments, timeout: 30).status
    }
}

/// The IPv4 map keys are the address's 4 bytes in packet order, read as a host word (what
/// watch.bpf.c copies out of the IP header): checked against the bytes themselves.
@Suite struct WatchFilterKeyTests {
    @Test func ipv4KeysAreThePacketBytesAsAHostWord() {
        for (text, bytes) in [("10.0.0.1", [10, 0, 0, 1]), ("192.168.2.254", [192, 168, 2, 254]), ("0.0.0.0", [0, 0, 0, 0])] {
            let packet = bytes.map(UInt8.init).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            #expect(WatchFilter.ipv4Key(text) == packet, "\(text)")
        }
        #expect(WatchFilter.ipv4Key("10.0.0.256") == nil)
        #expect(WatchFilter.ipv4Key("10.0.0") == nil)
    }
}
