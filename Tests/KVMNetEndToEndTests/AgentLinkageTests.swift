import Foundation
import KVMNetTestSupport
import Testing

/// The agent links no Foundation (size, resident memory, start-up: docs/packaging.md):
/// libvirt's XML is read by `XMLScanner`, YAML (web config, netplan) by KVMNetYAML,
/// `/diagnose` written by `JSONOutput`. The debug build links the Swift libraries
/// dynamically, so `ldd` of the built agent shows what it imports; only
/// FoundationEssentials (no ICU), which swift-argument-parser uses, may be among them.
/// (The release build links the Swift libraries statically; scripts/build-release checks
/// what `ldd` lists there.)
@Suite struct AgentLinkageTests {
    @Test func agentLinksNoFoundation() throws {
        let r = try Subprocess.run(["ldd", AgentProcess.agentPath], timeout: 60)
        #expect(r.status == 0, "ldd: \(r.stderrText)")
        // "\tlibswiftCore.so => /path (0x...)": the first word of each line.
        let libraries = r.stdoutText.split(separator: "\n").compactMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) }
        #expect(libraries.contains { $0.hasPrefix("libswiftCore.so") }, "not a dynamically linked debug build: \(libraries)")
        let foundation = libraries.filter { $0.lowercased().contains("foundation") || $0.hasPrefix("libxml2") }
        #expect(foundation.allSatisfy { $0.hasPrefix("libFoundationEssentials.so") }, "the agent links \(foundation)")
    }
}
