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
        #expect(headings.count == CheckCatalog.all.count)
        for check in CheckCatalog.all {
            let heading = headings.first { $0.hasPrefix("### \(check.id) ") }
            #expect(heading != nil, "docs/checks.md lacks \(check.id)")
            #expect(heading?.contains(check.severity.rawValue) == true, "\(check.id): severity \(check.severity.rawValue) not in \(heading ?? "")")
        }
    }
}
