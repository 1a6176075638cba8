/// What the ifcfg directory held.
public struct IfcfgReading: Sendable {
    public var files: [IfcfgFile] = []
    public var texts: [SourceFile] = []
    /// The directory, when it existed.
    public var directory: String?
    public var errors: [SourceError] = []
}

/// Reads every `ifcfg-*` file of a network-scripts directory (skipping the backup
/// names initscripts skip).
public enum IfcfgReader {
    /// Reads `directory` (by default ``HostPaths/defaultIfcfgDirectory``).
    public static func read(directory: String) -> IfcfgReading {
        var reading = IfcfgReading()
        guard let listing = HostFiles.list(directory, source: .ifcfg) else { return reading }
        reading.directory = directory
        switch listing {
        case .failure(let error):
            reading.errors.append(error)
        case .success(let names):
            for name in names where IfcfgParser.isConfigFileName(name) {
                let path = HostFiles.join(directory, name)
                switch HostFiles.load(path, source: .ifcfg) {
                case .text(let text):
                    reading.files.append(IfcfgParser.parse(text, path: path))
                    reading.texts.append(SourceFile(kind: "ifcfg", path: path, text: text))
                case .absent:
                    continue
                case .failed(let error):
                    reading.errors.append(error)
                }
            }
        }
        return reading
    }
}
