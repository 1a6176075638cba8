import Foundation
import KVMNetDiagnose
import Testing

/// docs/checks.md documents every check of the catalog, with the catalog's severity.
@Suite struct DocsTests {
    static let checksDoc = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/checks.md")

    @Test func everyCheckHasAHeadingWithItsSeverity() throws {
        let text = try String(contentsOf: Self.checksDoc, encoding: .utf8)
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }.map(String.init)
        let checks = CheckCatalog.all.map { ($0.id, $0.severity) } + CheckCatalog.acrossHosts
        #expect(headings.count == checks.count)
        for (id, severity) in checks {
            let heading = headings.first { $0.hasPrefix("### \(id) ") }
            #expect(heading != nil, "docs/checks.md lacks \(id)")
            #expect(heading?.contains(severity.rawValue) == true, "\(id): severity \(severity.rawValue) not in \(heading ?? "")")
        }
    }

    /// The README's commands run as root on a fresh Debian 12, which has no `sudo`: none
    /// of its shell blocks starts a command with it (issue 17, item 10).
    @Test func readmeCommandsNeedNoSudo() throws {
        let readme = Self.checksDoc.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        var inShell = false
        var commands = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("```") {
                inShell = line == "```sh"
                continue
            }
            guard inShell else { continue }
            commands += 1
            for part in line.split(separator: "&&").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                #expect(!part.hasPrefix("sudo "), "README.md:\(number + 1): \(line)")
            }
        }
        #expect(commands > 10)
        #expect(text.contains("scripts/install-deps && swift build -c release --product kvmnet-agent && .build/release/kvmnet-agent"))
    }
}
