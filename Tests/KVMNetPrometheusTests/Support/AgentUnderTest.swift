import Foundation

/// The built kvmnet-agent on the fixture host, on a free loopback port.
final class AgentUnderTest {
    let child: ChildProcess
    let port: Int
    var address: String { "127.0.0.1:\(port)" }

    /// Starts the agent and waits until it accepts connections (plain or TLS: only the
    /// TCP port is probed, so a TLS agent needs no client here).
    init(name: String = "agent", extraArguments: [String] = [], logDirectory: String) throws {
        port = Paths.freePort()
        child = try ChildProcess(name, executable: Paths.agent,
                                 arguments: Paths.fixtureArguments + ["--web.listen-address=127.0.0.1:\(port)", "--log.level=debug"] + extraArguments,
                                 logDirectory: logDirectory)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            if !child.isRunning { break }
            usleep(50_000)
        }
        child.stop()
        throw TestFailure("\(name) did not start listening: \(child.log)")
    }

    func stop() { child.stop() }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
