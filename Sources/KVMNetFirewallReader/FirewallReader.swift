import Foundation
import KVMNetModel
import KVMNetSubprocess

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
    /// Through KVMNetSubprocess (spawn, poll, waitpid), not Foundation's Process:
    /// on Linux, Process can miss the exit of a child that ends at once and wait forever
    /// (seen here with nft under load: the child a zombie, waitUntilExit never returning).
    static func run(_ path: String, _ args: [String]) -> Result<String, RunError> {
        let result: Subprocess.RunResult
        do {
            result = try Subprocess.run([path] + args, environment: [:], timeout: timeoutSeconds)
        } catch let error as Subprocess.SpawnError {
            return .failure(RunError(description: "cannot start \(path): errno \(error.errno)"))
        } catch {
            return .failure(RunError(description: "cannot start \(path): \(error)"))
        }
        if result.timedOut { return .failure(RunError(description: "timed out after \(Int(timeoutSeconds)) s")) }
        guard result.termination == .exited(0) else {
            return .failure(RunError(description: "\(result.termination): \(String(decoding: result.stderr.prefix(300), as: UTF8.self))"))
        }
        return .success(result.stdoutText)
    }
}
