import Foundation

/// Live tests (root, network namespaces of their own): skipped where they cannot run,
/// unless a stage of scripts/test asks for them with KVMNET_REQUIRE_LIVE=1 (integration,
/// all): then they run and fail instead of skipping silently.
///
///     @Suite(.enabled(if: LiveTests.enabled(available), "needs root"))
///     struct SomeLiveTests {
///         init() throws { try LiveTests.require(available, "needs root") }
///     }
public enum LiveTests {
    public static let required = ProcessInfo.processInfo.environment["KVMNET_REQUIRE_LIVE"] == "1"

    /// For `.enabled(if:)`: run where available, and everywhere when required.
    public static func enabled(_ available: Bool) -> Bool { available || required }

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// For the suite's `init`: throws (the test fails) when the test cannot run here.
    public static func require(_ available: Bool, _ reason: String) throws {
        guard available else { throw Unavailable(description: "KVMNET_REQUIRE_LIVE=1, but this test cannot run here: \(reason)") }
    }
}
