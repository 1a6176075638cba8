import ArgumentParser
import Foundation
import KVMNetDiagnose

/// `kvmnet-diag [diagnose] [A [B]] [--external]`.
struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every check on the host, or explain whether A can reach B (or the outside).",
        discussion: """
            A and B are libvirt domain names, interface names, MAC or IP addresses.
              kvmnet-diag                     every check on the whole host
              kvmnet-diag diagnose vm1 vm2    can vm1 reach vm2?
              kvmnet-diag diagnose vm1 --external
              kvmnet-diag diagnose vm1 vm3 --prometheus http://prometheus:9090
                                              vm3 on another host: both hosts' agents answer
              kvmnet-diag diagnose vm1 vm3 --peer hosta:9834 --peer hostb:9834
            """)

    @Argument(help: "First endpoint (domain, interface, MAC or IP).")
    var from: String?

    @Argument(help: "Second endpoint.")
    var to: String?

    @Flag(help: "Diagnose A's way out of the host instead of a path to B.")
    var external = false

    @Flag(help: "Print the report as JSON (schema: docs/diag-json.md).")
    var json = false

    @Option(name: .customLong("from"), help: ArgumentHelp("Diagnose a snapshot saved by 'kvmnet-diag snapshot' instead of the live host.", valueName: "file"))
    var snapshotFile: String?

    @OptionGroup var sources: SourceOptions

    @OptionGroup var remote: RemoteOptions

    func validate() throws {
        if external && from == nil { throw ValidationError("--external needs an endpoint: kvmnet-diag diagnose A --external") }
        if external && to != nil { throw ValidationError("give either two endpoints or one with --external, not both") }
        if from != nil && to == nil && !external {
            throw ValidationError("one endpoint needs a second one (diagnose A B) or --external")
        }
        if snapshotFile != nil && sources.anyGiven {
            throw ValidationError("--from reads a saved snapshot; --path.*, --no-netlink, --libvirt-dir and --ifcfg-dir do not apply")
        }
        try remote.validate(endpoints: from == nil ? 0 : (to == nil ? 1 : 2), local: snapshotFile != nil || sources.anyGiven)
    }

    var request: DiagRequest {
        switch (from, to) {
        case let (a?, b?): return DiagRequest(.path(from: a, to: b))
        case let (a?, nil): return DiagRequest(.external(from: a))
        default: return DiagRequest(.host)
        }
    }

    func run() throws {
        if remote.isRemote, let from {
            let report: DiagReport
            do {
                report = try remote.diagnose(from, to, options: request.options)
            } catch let failure as RemoteOptions.Failure {
                Terminal.printError("kvmnet-diag: \(failure.message)")
                throw ExitCode(failure.exitCode)
            }
            try output(report)
        }
        let snapshot: DiagSnapshot
        if let snapshotFile {
            snapshot = try SnapshotFile.read(snapshotFile)
        } else {
            snapshot = sources.collect()
        }
        try output(KVMNetDiagnose.diagnose(snapshot, request: request))
    }

    /// Prints the report and exits with its code.
    func output(_ report: DiagReport) throws -> Never {
        if json {
            Terminal.printJSON(try report.jsonBytes())
        } else {
            print(TextRenderer(colour: Terminal.stdoutWantsColour).render(report), terminator: "")
        }
        throw ExitCode(report.exitCode)
    }
}
