import Foundation
import KVMNetModel
import KVMNetSources
import KVMNetSubprocess

/// Reads the host firewall for kvmnet-diag: runs `nft -j list ruleset` and, where
/// iptables-legacy is in use, `iptables-legacy-save` (root only; the agent runs no
/// processes), and looks whether `br_netfilter` is loaded.
///
/// iptables-legacy's rules live in the x_tables kernel API, which nft does not show; they
/// are read when `/proc/net/ip_tables_names` (per network namespace) lists a table, and
/// merged with nft's (``FirewallOrigin/iptablesLegacy`` keeps them apart). Not read:
/// `ip6tables-legacy-save` and ebtables-legacy (ebtables-nft's rules are nft's `bridge`
/// family and come with nft's ruleset).
public enum FirewallReader {
    /// Where nft is looked for, in order.
    public static let nftPaths = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]
    /// Where iptables-legacy-save is looked for, in order.
    public static let iptablesLegacySavePaths = ["/usr/sbin/iptables-legacy-save", "/sbin/iptables-legacy-save"]
    /// Longest wait for nft (and for iptables-legacy-save).
    public static let timeoutSeconds = 10.0

    /// - Parameters:
    ///   - procfsRoot, sysfsRoot: for `sys/net/bridge/bridge-nf-call-iptables` and
    ///     `module/br_netfilter` (either shows br_netfilter: a built-in one has no module
    ///     directory; the sysctls exist in every network namespace once it is there), and
    ///     `net/ip_tables_names` (the iptables-legacy tables of the reader's namespace).
    ///   - runningAsRoot: nft and iptables-legacy-save need CAP_NET_ADMIN to list the rules.
    public static func read(procfsRoot: String = "/proc", sysfsRoot: String = "/sys", runningAsRoot: Bool) -> FirewallFacts {
        let fm = FileManager.default
        let brnf = fm.fileExists(atPath: procfsRoot + "/sys/net/bridge/bridge-nf-call-iptables")
            || fm.fileExists(atPath: sysfsRoot + "/module/br_netfilter")
        let legacyTables = self.legacyTables(procfsRoot: procfsRoot)
        func unavailable(_ why: String) -> FirewallFacts { FirewallFacts(unavailable: why, brNetfilterLoaded: brnf) }
        guard runningAsRoot else {
            return unavailable("needs root (nft lists the ruleset with CAP_NET_ADMIN only)")
        }
        var ruleset = FirewallRuleset()
        var sources: [String] = []
        var nftMissing = false
        if let nft = nftPaths.first(where: { fm.isExecutableFile(atPath: $0) }) {
            switch read(nft, ["-j", "list", "ruleset"], as: "nft -j list ruleset", parse: { text throws(NftParseError) in try NftRulesetParser.parse(text) }) {
            case .failure(let why): return unavailable(why.description)
            case .success(let nftRules): ruleset = nftRules
            }
            sources.append("nft -j list ruleset")
        } else if legacyTables.isEmpty {
            return unavailable("nft is not installed (Debian: apt install nftables)")
        } else {
            nftMissing = true
        }
        if !legacyTables.isEmpty {
            let tables = "/proc/net/ip_tables_names: \(legacyTables.joined(separator: ", "))"
            guard let save = iptablesLegacySavePaths.first(where: { fm.isExecutableFile(atPath: $0) }) else {
                return unavailable("iptables-legacy is in use (\(tables)) but iptables-legacy-save is not installed (Debian: apt install iptables)")
            }
            switch read(save, [], as: "iptables-legacy-save", parse: { text throws(IptablesSaveParseError) in try IptablesSaveParser.parse(text) }) {
            case .failure(let why): return unavailable("\(why) (iptables-legacy is in use, \(tables))")
            case .success(let legacy): ruleset = ruleset.merged(with: legacy)
            }
            sources.append("iptables-legacy-save")
        }
        let source = sources.joined(separator: ", ") + (nftMissing ? " (nft is not installed: nf_tables rules, if any, are not read)" : "")
        return FirewallFacts(ruleset: ruleset, source: source, brNetfilterLoaded: brnf)
    }

    /// The iptables-legacy (x_tables) tables in use in this network namespace, from
    /// `net/ip_tables_names` under `procfsRoot`; empty when there is none (or no file: no
    /// `ip_tables` module, or a kernel without legacy iptables).
    ///
    /// Read with KVMNetSources' FileReader, not FileManager: Foundation's
    /// `contents(atPath:)` leaks its first buffer on a procfs file (st_size 0), which
    /// LeakSanitizer reported in kvmnet-diag.
    public static func legacyTables(procfsRoot: String = "/proc") -> [String] {
        guard case .success(let bytes) = FileReader.readBytes(procfsRoot + "/net/ip_tables_names", limit: 4096) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Runs a lister and parses its output; a failure says which command and why.
    static func read<E: Error>(_ path: String, _ args: [String], as name: String,
                               parse: (String) throws(E) -> FirewallRuleset) -> Result<FirewallRuleset, RunError> {
        switch run(path, args) {
        case .failure(let why):
            return .failure(RunError(description: "\(name) failed: \(why)"))
        case .success(let out):
            do {
                return .success(try parse(out))
            } catch {
                return .failure(RunError(description: "\(name): \(error)"))
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
