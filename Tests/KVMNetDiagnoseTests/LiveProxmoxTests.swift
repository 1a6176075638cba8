import Foundation
import KVMNetTestSupport
import Testing

/// Proxmox VE guests on a real kernel, with ping as the ground truth: a host namespace
/// with `vmbr0`, two guest namespaces whose NICs are veth "taps" named as Proxmox names
/// them, web1 (100) through its firewall path `tap100i0 -> fwbr100i0 -> fwln100i0 =
/// fwpr100p0 -> vmbr0` and app1 (101) with `tap101i0` straight on `vmbr0`, and a temp
/// `/etc/pve` tree describing them. `kvmnet-diag diagnose web1 101` must agree with ping:
/// no failure while they ping, and the right `pve.*` check once a fault stops the ping.
/// (No VLAN filtering on the CI kernel: the VLAN checks are unit-tested.)
@Suite(.serialized, .enabled(if: LiveTests.enabled(LiveHost.available), "needs root and iproute2"))
struct LiveProxmoxTests {
    init() throws { try LiveTests.require(LiveHost.available, "needs root and iproute2") }

    @Test func diagnosisAgreesWithPingThroughTheFirewallBridge() throws {
        try ProxmoxLab.with { lab in
            #expect(try lab.ping(), "the healthy pair must ping")
            let healthy = try lab.diag(["diagnose", "web1", "101"])
            #expect(healthy.status != 1, "\(healthy.stdout)\(healthy.stderr)")
            #expect(!healthy.stdout.contains("FAIL"), "\(healthy.stdout)")
            #expect(healthy.stdout.contains("web1 tap100i0 -- fwbr100i0 -- fwln100i0=fwpr100p0 -- vmbr0 -- tap101i0 app1"), "\(healthy.stdout)")

            // Fault 1: the firewall veth leaves vmbr0.
            try lab.ip(["link", "set", "fwpr100p0", "nomaster"])
            #expect(try !lab.ping(), "web1 must be cut off without fwpr100p0 on vmbr0")
            let cut = try lab.diag(["diagnose", "web1", "101"])
            #expect(cut.status == 1, "\(cut.stdout)")
            #expect(cut.stdout.contains("FAIL  pve.firewall_path_missing  web1 tap100i0"), "\(cut.stdout)")
            try lab.ip(["link", "set", "fwpr100p0", "master", "vmbr0"])
            #expect(try lab.ping(), "back on vmbr0, web1 pings again")

            // Fault 2: app1's tap moved to another bridge.
            try lab.ip(["link", "set", "tap101i0", "master", "vmbr1"])
            #expect(try !lab.ping(), "app1 on vmbr1 must not reach web1")
            let moved = try lab.diag(["diagnose", "100", "app1"])
            #expect(moved.status == 1, "\(moved.stdout)")
            #expect(moved.stdout.contains("FAIL  pve.tap_wrong_bridge  app1 tap101i0"), "\(moved.stdout)")
        }
    }
}

/// The namespaces and the Proxmox tree of ``LiveProxmoxTests``.
struct ProxmoxLab {
    let host: String
    let guests: [String]
    let pve: URL

    /// Builds the lab, runs `body`, and deletes namespaces and files whatever happens.
    static func with(_ body: (ProxmoxLab) throws -> Void) throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        let lab = ProxmoxLab(host: "kvmnet-pve-\(tag)", guests: ["kvmnet-pve-\(tag)-100", "kvmnet-pve-\(tag)-101"],
                             pve: FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-pve-\(tag)"))
        defer {
            for ns in [lab.host] + lab.guests { _ = try? LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "del", ns]) }
            try? FileManager.default.removeItem(at: lab.pve)
        }
        try lab.build()
        try body(lab)
    }

    func build() throws {
        for ns in [host] + guests { try LiveHost.ip(["netns", "add", ns]) }
        var commands: [[String]] = [
            ["link", "add", "vmbr0", "type", "bridge"], ["link", "add", "vmbr1", "type", "bridge"],
            ["link", "add", "fwbr100i0", "type", "bridge"],
            ["link", "add", "fwln100i0", "type", "veth", "peer", "name", "fwpr100p0"],
        ]
        for (vmid, guest) in zip([100, 101], guests) {
            commands.append(["link", "add", "tap\(vmid)i0", "type", "veth", "peer", "name", "eth0", "netns", guest])
        }
        commands += [
            ["link", "set", "tap100i0", "master", "fwbr100i0"], ["link", "set", "fwln100i0", "master", "fwbr100i0"],
            ["link", "set", "fwpr100p0", "master", "vmbr0"], ["link", "set", "tap101i0", "master", "vmbr0"],
        ]
        for device in ["vmbr0", "vmbr1", "fwbr100i0", "fwln100i0", "fwpr100p0", "tap100i0", "tap101i0"] {
            commands.append(["link", "set", device, "up"])
        }
        for command in commands { try ip(command) }
        for (address, guest) in zip(["10.77.0.1/24", "10.77.0.2/24"], guests) {
            try LiveHost.ip(["-n", guest, "addr", "add", address, "dev", "eth0"])
            try LiveHost.ip(["-n", guest, "link", "set", "eth0", "up"])
            try LiveHost.ip(["-n", guest, "link", "set", "lo", "up"])
        }
        let qemu = pve.appendingPathComponent("qemu-server")
        try FileManager.default.createDirectory(at: qemu, withIntermediateDirectories: true)
        try """
            #Web front end behind the Proxmox firewall
            boot: order=scsi0;net0
            memory: 1024
            name: web1
            net0: virtio=BC:24:11:77:00:01,bridge=vmbr0,firewall=1
            scsi0: local-lvm:vm-100-disk-0,size=8G

            [before-upgrade]
            net0: virtio=BC:24:11:77:00:01,bridge=vmbr1
            """.write(to: qemu.appendingPathComponent("100.conf"), atomically: true, encoding: .utf8)
        try """
            memory: 1024
            name: app1
            net0: virtio=BC:24:11:77:00:02,bridge=vmbr0
            """.write(to: qemu.appendingPathComponent("101.conf"), atomically: true, encoding: .utf8)
    }

    func ip(_ arguments: [String]) throws { try LiveHost.ip(["-n", host] + arguments) }

    /// Whether web1 reaches app1 (two tries, a second each).
    func ping() throws -> Bool {
        try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", guests[0], "ping", "-c", "2", "-W", "1", "-q", "10.77.0.2"]).status == 0
    }

    /// `kvmnet-diag` in the host namespace, on this lab's Proxmox tree, no libvirt, no ifcfg.
    func diag(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try CLIBinaryTests.binary().path
        let none = pve.appendingPathComponent("none").path
        return try LiveHost.run(LiveHost.ipPath ?? "ip", ["netns", "exec", host, binary] + arguments
                                + ["--proxmox-dir", pve.path, "--libvirt-dir", none, "--ifcfg-dir", none, "--no-firewall"])
    }
}
