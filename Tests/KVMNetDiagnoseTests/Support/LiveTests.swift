import Foundation

/// Live tests (root, network namespaces of their own): skipped where they cannot run,
/// unless a stage of scripts/test asks for them with KVMNET_REQUIRE_LIVE=1 (integration,
/// all): then they run and fail instead of skipping silently.
enum LiveTests {
    static let required = ProcessInfo.processInfo.environment["KVMNET_REQUIRE_LIVE"] == "1"

    static func enabled(_ available: Bool) -> Bool { available || required }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func require(_ available: Bool, _ reason: String) throws {
        guard available else { throw Unavailable(description: "KVMNET_REQUIRE_LIVE=1, but this test cannot run here: \(reason)") }
    }
}
