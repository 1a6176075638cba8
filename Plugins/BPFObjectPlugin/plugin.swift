import Foundation
import PackagePlugin

/// Compiles each `BPF/*.bpf.c` of the target at build time (clang -O2 -g -target bpf) and
/// embeds the object as a generated Swift file (`kvmnet-bpf-embed`): no run-time compiler,
/// no committed object. Every file of BPF/ and libbpf's BPF headers are inputs, so an edit
/// of any of them rebuilds the object.
@main
struct BPFObjectPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        // Target.directoryURL needs tools-version 6.1 (the package is 6.0) and Path is
        // deprecated: the directory of the target's first source file, the target's root.
        guard let root = module.sourceFiles.map(\.url).filter({ $0.pathExtension == "swift" })
            .min(by: { $0.pathComponents.count < $1.pathComponents.count })?.deletingLastPathComponent() else { return [] }
        let directory = root.appending(path: "BPF")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let sources = files.filter { $0.lastPathComponent.hasSuffix(".bpf.c") }
        let headers = files.filter { $0.pathExtension == "h" }
        // The libbpf-dev headers the programs include (<bpf/...>), where they are.
        let libbpfHeaders = ["bpf_helpers.h", "bpf_helper_defs.h", "bpf_core_read.h", "bpf_endian.h", "bpf_tracing.h"]
            .map { URL(fileURLWithPath: "/usr/include/bpf/" + $0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        // The toolchain's clang first (SwiftPM searches the toolchain, then PATH).
        let clang = try context.tool(named: "clang").url
        let embed = try context.tool(named: "kvmnet-bpf-embed").url
        return sources.map { source in
            let stem = String(source.lastPathComponent.dropLast(".bpf.c".count))
            let symbol = "BPFObject_" + stem.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            let object = context.pluginWorkDirectoryURL.appending(path: stem + ".bpf.o")
            let output = context.pluginWorkDirectoryURL.appending(path: symbol + ".swift")
            return .buildCommand(
                displayName: "Compiling BPF program \(source.lastPathComponent)",
                executable: embed,
                arguments: ["--clang", clang.path, "--source", source.path, "--include", directory.path,
                            "--object", object.path, "--output", output.path, "--symbol", symbol],
                inputFiles: [source] + headers + libbpfHeaders,
                outputFiles: [output])
        }
    }
}
