import ArgumentParser
import Foundation
import KVMNetDiagnose

/// `kvmnet-diag snapshot -o FILE`: saves everything read, to diagnose elsewhere with --from.
struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save everything read (model, config files, libvirt XML) as JSON for 'diagnose --from'.",
        discussion: "Exits 0; 3 when some source could not be read (the snapshot is written all the same); 74 when the file cannot be written.")

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("File to write; '-' for stdout.", valueName: "file"))
    var output: String

    @OptionGroup var sources: SourceOptions

    func run() throws {
        let snapshot = sources.collect()
        var data = Data(try snapshot.jsonBytes())
        data.append(0x0A)
        if output == "-" {
            FileHandle.standardOutput.write(data)
        } else {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                Terminal.printError("cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(74)
            }
            let t = snapshot.topology
            Terminal.printError("wrote \(output): \(t.links.count) links, \(t.bonds.count) bonds, \(t.bridges.count) bridges, \(t.vlans.count) VLANs, \(snapshot.facts.domains.count) domains, \(snapshot.facts.ifcfg.count) ifcfg files, \(snapshot.errors.count) read errors")
        }
        for error in snapshot.errors {
            Terminal.printError("unreadable: \(error.source) \(error.path): \(error.message)")
        }
        if !snapshot.errors.isEmpty { throw ExitCode(3) }
    }
}
