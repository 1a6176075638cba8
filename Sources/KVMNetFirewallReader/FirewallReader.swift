#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KVMNetModel

/// Reads the host firewall for kvmnet-diag: runs `nft -j list ruleset` (root only; the
/// agent runs no processes) and looks whether `br_netfilter` is loaded.
public enum FirewallReader {
    /// Where nft is looked for, in order.
    public static let nftPaths = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]
    /// Longest wait for nft.
    public static let timeoutSeconds = 10.0

    /// - Parameters:
    ///   - procfsRoot, sysfsRoot: for `sys/net/bridge/bridge-nf-call-iptables` and
    ///     `module/br_netfilter` (either shows br_netfilter: a built-in one has no module
    ///     directory; the sysctls exist in every network namespace once it is there).
    ///   - runningAsRoot: nft needs CAP_NET_ADMIN to list the ruleset.
    public static func read(procfsRoot: String = "/proc", sysfsRoot: String = "/sys", runningAsRoot: Bool) -> FirewallFacts {
        let fm = FileManager.default
        let brnf = fm.fileExists(atPath: procfsRoot + "/sys/net/bridge/bridge-nf-call-iptables")
            || fm.fileExists(atPath: sysfsRoot + "/module/br_netfilter")
        guard runningAsRoot else {
            return FirewallFacts(unavailable: "needs root (nft lists the ruleset with CAP_NET_ADMIN only)", brNetfilterLoaded: brnf)
        }
        guard let nft = nftPaths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return FirewallFacts(unavailable: "nft is not installed (Debian: apt install nftables)", brNetfilterLoaded: brnf)
        }
        switch run(nft, ["-j", "list", "ruleset"]) {
        case .failure(let why):
            return FirewallFacts(unavailable: "nft -j list ruleset failed: \(why)", brNetfilterLoaded: brnf)
        case .success(let out):
            do {
                return FirewallFacts(ruleset: try NftRulesetParser.parse(out), brNetfilterLoaded: brnf)
            } catch {
                return FirewallFacts(unavailable: "nft -j list ruleset: \(error)", brNetfilterLoaded: brnf)
            }
        }
    }

    struct RunError: Error, CustomStringConvertible { var description: String }

    /// Runs a program (absolute path, no shell, an empty environment), returns its standard
    /// output; an exit status other than 0, a timeout (the program is killed) or a failure
    /// to start is an error with what it printed on stderr.
    ///
    /// posix_spawn and waitpid, not Foundation's Process: on Linux, Process can miss the
    /// exit of a child that ends at once and wait forever (seen here with nft under load:
    /// the child a zombie, waitUntilExit never returning).
    static func run(_ path: String, _ args: [String]) -> Result<String, RunError> {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { return .failure(RunError(description: "pipe: errno \(errno)")) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let envp: [UnsafeMutablePointer<CChar>?] = [nil]
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard rc == 0 else { return .failure(RunError(description: "cannot start \(path): errno \(rc)")) }

        var out: [UInt8] = [], err: [UInt8] = []
        var open: [Int32: Bool] = [outPipe[0]: true, errPipe[0]: true]
        let deadline = monotonicSeconds() + timeoutSeconds
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.values.contains(true) {
            let left = deadline - monotonicSeconds()
            if left <= 0 { timedOut = true; break }
            var fds = open.filter(\.value).map { pollfd(fd: $0.key, events: Int16(POLLIN), revents: 0) }
            let n = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1000))
            if n < 0 && errno != EINTR { break }
            for p in fds where p.revents != 0 {
                let got = Glibc.read(p.fd, &buffer, buffer.count)
                if got <= 0 { open[p.fd] = false; continue }
                if p.fd == outPipe[0] { out += buffer[0..<got] } else { err += buffer[0..<got] }
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .failure(RunError(description: "timed out after \(Int(timeoutSeconds)) s")) }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let why = exited ? "exit \(code)" : "killed by signal \(status & 0x7f)"
            return .failure(RunError(description: "\(why): \(String(decoding: err.prefix(300), as: UTF8.self))"))
        }
        return .success(String(decoding: out, as: UTF8.self))
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
