import ArgumentParser
import KVMNetDiagnose

/// `kvmnet-diag`: explains why a VM cannot reach another VM or the outside.
@main
struct KVMNetDiag: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvmnet-diag",
        abstract: "Explain why a VM cannot reach another VM or the outside on a KVM host.",
        discussion: """
            Walks VM -> tap -> bridge -> VLAN device -> bond -> slaves -> NIC and says what is \
            broken, why, and what to do. Exit codes: 0 nothing above info, 1 a failure, \
            2 warnings only, 3 data incomplete (unreadable sources), 64 usage error.
            """,
        version: KVMNetDiagnoseVersion.current,
        subcommands: [Diagnose.self, Snapshot.self, Watch.self],
        defaultSubcommand: Diagnose.self)
}
