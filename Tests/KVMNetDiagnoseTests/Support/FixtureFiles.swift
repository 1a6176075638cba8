import Foundation
import KVMNetDiagnose
import KVMNetSources

/// Files under Tests/KVMNetDiagnoseTests/Fixtures, found from this source file's path
/// (the package declares no resources for this target).
enum FixtureFiles {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    static func path(_ relative: String) -> String { directory + "/" + relative }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// Every ifcfg file of a fixture directory, parsed, as if read from `/etc/sysconfig/network-scripts`.
    static func ifcfg(_ directory: String) throws -> [IfcfgFile] {
        let names = try FileManager.default.contentsOfDirectory(atPath: path(directory)).sorted()
        return try names.filter(IfcfgParser.isConfigFileName).map { name in
            IfcfgParser.parse(try text("\(directory)/\(name)"), path: "/etc/sysconfig/network-scripts/\(name)")
        }
    }
}
