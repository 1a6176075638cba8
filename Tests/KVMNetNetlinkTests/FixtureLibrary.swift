import Foundation

/// The fixture tree: `Fixtures/<source>/<name>.nlmsg`, one raw netlink message per file
/// (the `nlmsghdr` included, host byte order, as `recv` returned it). A fixture may have
/// a `<name>.expected.json` next to it (see `Fixtures/README.md`).
enum FixtureLibrary {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Where this machine's captures live.
    static let capturedHere = root.appendingPathComponent("captured-6.18")

    /// Every `.nlmsg` file under the tree, sorted by path.
    static func allMessages() -> [URL] {
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "nlmsg" }.sorted { $0.path < $1.path }
    }

    /// Paths relative to the tree (test arguments).
    static func allMessageNames() -> [String] {
        allMessages().map { String($0.path.dropFirst(root.path.count + 1)) }
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    /// A fixture of this machine's capture, by file name without extension.
    static func captured(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: capturedHere.appendingPathComponent(name + ".nlmsg")))
    }

    /// A captured event by action and subject (`event-<action>-NN-<subject>`, e.g.
    /// `("peer-down", "newlink-unspec-vnet1")`), without the extension: the first, or the
    /// `last`, of that action's messages about it. ARP and ND messages come and go between
    /// captures and shift the numbers; this finds the same message in every capture.
    static func capturedEvent(_ action: String, _ subject: String, last: Bool = false) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: capturedHere.path).filter {
            $0.hasPrefix("event-\(action)-") && $0.hasSuffix("-\(subject).nlmsg")
                && $0.dropFirst("event-\(action)-".count).prefix(3).allSatisfy { $0.isNumber || $0 == "-" }
        }.sorted()
        guard let name = last ? names.last : names.first else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(capturedHere.path)/event-\(action)-NN-\(subject).nlmsg"])
        }
        return String(name.dropLast(".nlmsg".count))
    }
}
