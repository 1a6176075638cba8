import ArgumentParser
import Foundation
import KVMNetDiagnose

/// Reading a saved snapshot for `--from`. A file that cannot be read or decoded is a
/// usage error (exit 64).
enum SnapshotFile {
    static func read(_ path: String) throws -> DiagSnapshot {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read snapshot \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(DiagSnapshot.self, from: data)
        } catch {
            throw ValidationError("\(path) is not a kvmnet-diag snapshot: \(error)")
        }
    }
}
