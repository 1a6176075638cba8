/// What the libvirt directories held.
public struct LibvirtReading: Sendable {
    public var domains: [LibvirtDomain] = []
    public var networks: [LibvirtNetwork] = []
    public var files: [SourceFile] = []
    /// Directories that existed.
    public var directories: [String] = []
    public var errors: [SourceError] = []
}

/// Reads `*.xml` from libvirt directories. Each file is classified by its root element,
/// not by its directory: `<domstatus>` is a running domain, `<domain>` a defined one,
/// `<networkstatus>`/`<network>` a virtual network. A running domain hides the defined
/// one of the same name.
public enum LibvirtReader {
    /// Reads `directories` (by default ``HostPaths/defaultLibvirtDirectories``).
    public static func read(directories: [String]) -> LibvirtReading {
        var reading = LibvirtReading()
        for directory in directories {
            guard let listing = HostFiles.list(directory, source: .libvirt) else { continue }
            reading.directories.append(directory)
            switch listing {
            case .failure(let error):
                reading.errors.append(error)
            case .success(let names):
                for name in names where name.hasSuffix(".xml") {
                    readFile(HostFiles.join(directory, name), into: &reading)
                }
            }
        }
        let running = Set(reading.domains.filter(\.running).map(\.name))
        reading.domains.removeAll { !$0.running && running.contains($0.name) }
        reading.domains.sort { $0.name < $1.name }
        let active = Set(reading.networks.filter(\.active).map(\.name))
        reading.networks.removeAll { !$0.active && active.contains($0.name) }
        reading.networks.sort { $0.name < $1.name }
        return reading
    }

    private static func readFile(_ path: String, into reading: inout LibvirtReading) {
        switch HostFiles.load(path, source: .libvirt) {
        case .absent:
            return
        case .failed(let error):
            reading.errors.append(error)
        case .text(let text):
            do {
                switch try LibvirtXMLParser.parse(text, file: path) {
                case .domain(let domain):
                    reading.domains.append(domain)
                    reading.files.append(SourceFile(kind: "libvirt", path: path, text: text))
                case .network(let network):
                    reading.networks.append(network)
                    reading.files.append(SourceFile(kind: "libvirt", path: path, text: text))
                case .other:
                    break
                }
            } catch {
                reading.errors.append(SourceError(source: .libvirt, path: path, message: error.description))
            }
        }
    }
}
