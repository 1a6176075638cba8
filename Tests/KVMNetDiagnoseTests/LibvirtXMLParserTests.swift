import KVMNetDiagnose
import KVMNetSources
import Testing

@Suite struct LibvirtXMLParserTests {
    @Test func runningDomstatusFromRunLibvirtQemu() throws {
        let text = try FixtureFiles.text("libvirt/vm1-domstatus.xml")
        guard case .domain(let domain) = try LibvirtXMLParser.parse(text, file: "/run/libvirt/qemu/vm1.xml") else {
            Issue.record("not a domain")
            return
        }
        #expect(domain.name == "vm1")
        #expect(domain.uuid == "6a1f3c2e-8d4b-4f7a-9c1e-2b3d4e5f6a70")
        #expect(domain.running)
        #expect(domain.interfaces.count == 1)
        let iface = try #require(domain.interfaces.first)
        #expect(iface.type == "bridge")
        #expect(iface.sourceBridge == "brvlan-10")
        #expect(iface.targetDevice == "vnet0")
        #expect(iface.mac == "52:54:00:6b:3c:01")
        #expect(iface.model == "virtio")
        #expect(iface.linkState == nil)
        #expect(iface.line == 64)
        #expect(iface.childLines == ["mac": 65, "source": 66, "target": 67])
    }

    @Test func definedDomainWithNetworkDirectAndLinkDown() throws {
        let text = try FixtureFiles.text("libvirt/vm4-defined.xml")
        guard case .domain(let domain) = try LibvirtXMLParser.parse(text, file: "/etc/libvirt/qemu/vm4.xml") else {
            Issue.record("not a domain")
            return
        }
        #expect(domain.running == false)
        #expect(domain.interfaces.map(\.type) == ["network", "direct"])
        #expect(domain.interfaces[0].sourceNetwork == "default")
        #expect(domain.interfaces[0].targetDevice == nil)
        #expect(domain.interfaces[0].linkState == "down")
        #expect(domain.interfaces[0].linkDown)
        #expect(domain.interfaces[1].sourceDevice == "ens38")
    }

    @Test func networkStatus() throws {
        let text = try FixtureFiles.text("libvirt/default-network.xml")
        let document = try LibvirtXMLParser.parse(text, file: "/run/libvirt/network/default.xml")
        #expect(document == .network(LibvirtNetwork(name: "default", bridge: "virbr0", forwardMode: "nat",
                                                     active: true, file: "/run/libvirt/network/default.xml")))
    }

    @Test func otherDocumentsAndErrors() throws {
        #expect(try LibvirtXMLParser.parse("<capabilities/>", file: "x") == .other(root: "capabilities"))
        #expect(throws: LibvirtXMLError.self) { try LibvirtXMLParser.parse("<domain><name>vm1</name>\n<devices>", file: "x") }
        #expect(throws: LibvirtXMLError.self) { try LibvirtXMLParser.parse("<domain type='kvm'></domain>", file: "x") }
    }

    @Test func readerPrefersRunningOverDefinedAndReportsBrokenFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-libvirt-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("run"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("etc"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FixtureFiles.text("libvirt/vm1-domstatus.xml").write(to: dir.appendingPathComponent("run/vm1.xml"), atomically: true, encoding: .utf8)
        try "<domain type='kvm'><name>vm1</name></domain>".write(to: dir.appendingPathComponent("etc/vm1.xml"), atomically: true, encoding: .utf8)
        try FixtureFiles.text("libvirt/vm4-defined.xml").write(to: dir.appendingPathComponent("etc/vm4.xml"), atomically: true, encoding: .utf8)
        try "<domain>".write(to: dir.appendingPathComponent("etc/broken.xml"), atomically: true, encoding: .utf8)
        let reading = LibvirtReader.read(directories: [dir.appendingPathComponent("run").path,
                                                       dir.appendingPathComponent("etc").path, dir.appendingPathComponent("none").path])
        #expect(reading.domains.map(\.name) == ["vm1", "vm4"])
        #expect(reading.domains.map(\.running) == [true, false])
        #expect(reading.directories.count == 2)
        #expect(reading.errors.map(\.source) == [.libvirt])
        #expect(reading.errors.first?.path.hasSuffix("etc/broken.xml") == true)
        #expect(reading.files.count == 3)
    }
}

import Foundation
