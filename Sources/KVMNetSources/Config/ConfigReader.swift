#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KVMNetModel

/// What the configuration systems other than ifcfg (read by ``IfcfgReader``) held.
public struct ConfigReading: Sendable {
    public var network = IntendedNetwork()
    /// The texts read, for the snapshot and for evidence.
    public var texts: [SourceFile] = []
    public var errors: [SourceError] = []
}

/// Reads every configuration system kvmnet knows but ifcfg, from the places ``HostPaths``
/// names, into one ``IntendedNetwork``. A system is in use when at least one of its files
/// configures something; unreadable or malformed files are errors of their system's
/// ``Source`` and the rest is read.
public enum ConfigReader {
    public static func read(_ paths: HostPaths) -> ConfigReading {
        var reading = ConfigReading()
        readInterfaces(paths, into: &reading)
        readKeyfiles(paths, into: &reading)
        readNetworkd(paths, into: &reading)
        readNetplan(paths, into: &reading)
        return reading
    }

    // MARK: ifupdown

    static func readInterfaces(_ paths: HostPaths, into reading: inout ConfigReading) {
        var files: [InterfacesFile] = []
        var seen: Set<String> = []
        func load(_ path: String, depth: Int) {
            guard depth < 16, seen.insert(path).inserted else { return }
            switch HostFiles.load(path, source: .ifupdown) {
            case .absent: return
            case .failed(let e): reading.errors.append(e)
            case .text(let text):
                let file = InterfacesParser.parse(text, path: path)
                files.append(file)
                reading.texts.append(SourceFile(kind: "ifupdown", path: path, text: text))
                reading.errors += file.problems.map { SourceError(source: .ifupdown, path: path, message: $0.description) }
                let base = directory(of: path)
                for include in file.includes {
                    let pattern = paths.config(include.pattern, relativeTo: base)
                    switch include.kind {
                    case .source:
                        for match in matches(pattern) { load(match, depth: depth + 1) }
                    case .directory:
                        guard case .success(let names)? = HostFiles.list(pattern, source: .ifupdown) else { continue }
                        for name in names where InterfacesParser.isDirectoryEntryName(name) {
                            load(HostFiles.join(pattern, name), depth: depth + 1)
                        }
                    }
                }
            }
        }
        load(paths.ifupdownInterfaces, depth: 0)
        let devices = InterfacesIntended.devices(files)
        let used = files.filter { !$0.stanzas.filter { $0.method != "loopback" }.isEmpty }
        guard !used.isEmpty else { return }
        reading.network.devices += devices
        reading.network.systems.append(DetectedConfigSystem(system: .ifupdown, files: used.map(\.path)))
    }

    // MARK: NetworkManager

    static func readKeyfiles(_ paths: HostPaths, into reading: inout ConfigReading) {
        var files: [INIFile] = []
        var names: Set<String> = []
        // Directories in NetworkManager's precedence: /etc, then /run, then /usr/lib;
        // a profile of the same file name in a later directory is shadowed.
        for dir in paths.networkManagerDirectories {
            guard let listing = HostFiles.list(dir, source: .networkManager) else { continue }
            switch listing {
            case .failure(let e): reading.errors.append(e)
            case .success(let entries):
                for name in entries where KeyfileIntended.isKeyfileName(name) && names.insert(name).inserted {
                    let path = HostFiles.join(dir, name)
                    switch HostFiles.load(path, source: .networkManager) {
                    case .absent: continue
                    case .failed(let e): reading.errors.append(e)
                    case .text(let text):
                        let file = INIParser.parse(text, path: path, gkeyEscapes: true)
                        files.append(file)
                        reading.texts.append(SourceFile(kind: "networkmanager", path: path, text: text))
                        reading.errors += file.problems.map { SourceError(source: .networkManager, path: path, message: $0.description) }
                    }
                }
            }
        }
        guard !files.isEmpty else { return }
        reading.network.devices += KeyfileIntended.devices(files)
        reading.network.systems.append(DetectedConfigSystem(system: .networkManager, files: files.map(\.path)))
    }

    // MARK: systemd-networkd

    static func readNetworkd(_ paths: HostPaths, into reading: inout ConfigReading) {
        // networkd's precedence: the first directory with a file name wins (a file in /etc
        // shadows the one of that name in /usr/lib; an empty one or a link to /dev/null
        // masks it); drop-ins of one name likewise, from every directory.
        var chosen: [String: String] = [:]
        var dropIns: [String: [String: String]] = [:]
        for dir in paths.networkdDirectories {
            guard let listing = HostFiles.list(dir, source: .networkd) else { continue }
            switch listing {
            case .failure(let e): reading.errors.append(e)
            case .success(let entries):
                for name in entries {
                    if NetworkdIntended.kind(ofFileNamed: name) != nil {
                        if chosen[name] == nil { chosen[name] = HostFiles.join(dir, name) }
                    } else if let owner = NetworkdIntended.owner(ofDropInDirectory: name) {
                        let sub = HostFiles.join(dir, name)
                        guard let inner = HostFiles.list(sub, source: .networkd) else { continue }
                        switch inner {
                        case .failure(let e): reading.errors.append(e)
                        case .success(let confs):
                            for conf in confs where conf.hasSuffix(".conf") && !conf.hasPrefix(".") && dropIns[owner]?[conf] == nil {
                                dropIns[owner, default: [:]][conf] = HostFiles.join(sub, conf)
                            }
                        }
                    }
                }
            }
        }
        func parse(_ path: String) -> INIFile? {
            switch HostFiles.load(path, source: .networkd) {
            case .absent: return nil
            case .failed(let e): reading.errors.append(e); return nil
            case .text(let text):
                let file = INIParser.parse(text, path: path, continuation: true)
                reading.texts.append(SourceFile(kind: "networkd", path: path, text: text))
                reading.errors += file.problems.map { SourceError(source: .networkd, path: path, message: $0.description) }
                return file
            }
        }
        var files: [NetworkdFile] = []
        for name in chosen.keys.sorted() {
            guard let kind = NetworkdIntended.kind(ofFileNamed: name), let main = parse(chosen[name]!), !main.sections.isEmpty else { continue }
            let confs = (dropIns[name] ?? [:]).keys.sorted().compactMap { dropIns[name]![$0].flatMap(parse) }
            files.append(NetworkdFile(kind: kind, main: main, dropIns: confs))
        }
        let (devices, problems) = NetworkdIntended.read(files)
        reading.errors += problems
        // In use when the files configure a device: the .network files systemd ships in
        // /usr/lib/systemd/network (globs, containers) are on every host, networkd or not.
        guard !devices.isEmpty else { return }
        reading.network.devices += devices
        reading.network.systems.append(DetectedConfigSystem(system: .networkd, files: files.flatMap { [$0.path] + $0.dropIns.map(\.path) }))
    }

    // MARK: netplan

    static func readNetplan(_ paths: HostPaths, into reading: inout ConfigReading) {
        let source = NetplanIntended.errorSource
        // netplan's precedence: the first directory with a file name wins (/run shadows
        // /etc shadows /lib); the files left are merged in the order of their names.
        var chosen: [String: String] = [:]
        for dir in paths.netplanDirectories {
            guard let listing = HostFiles.list(dir, source: source) else { continue }
            switch listing {
            case .failure(let e): reading.errors.append(e)
            case .success(let entries):
                for name in entries where NetplanIntended.isNetplanFileName(name) && chosen[name] == nil {
                    chosen[name] = HostFiles.join(dir, name)
                }
            }
        }
        var files: [NetplanFile] = []
        for name in chosen.keys.sorted() {
            let path = chosen[name]!
            switch HostFiles.load(path, source: source) {
            case .absent: continue
            case .failed(let e): reading.errors.append(e)
            case .text(let text):
                let file = NetplanParser.parse(text, path: path)
                files.append(file)
                reading.texts.append(SourceFile(kind: "netplan", path: path, text: text))
                reading.errors += file.problems.map { SourceError(source: source, path: path, message: $0.description) }
            }
        }
        let (devices, problems) = NetplanIntended.read(files)
        reading.errors += problems
        let used = files.filter(\.definesDevices)
        guard !used.isEmpty else { return }
        reading.network.devices += devices
        reading.network.systems.append(DetectedConfigSystem(system: .netplan, files: used.map(\.path)))
        // What `netplan generate` wrote for networkd or NetworkManager (in /run) is this
        // configuration again: it is read here, at its source, not as a second system.
        reading.network.devices.removeAll { ($0.system == .networkd || $0.system == .networkManager) && NetplanIntended.isGeneratedOutput($0.file) }
        for i in reading.network.systems.indices.reversed() where reading.network.systems[i].system != .netplan {
            let system = reading.network.systems[i].system
            reading.network.systems[i].files.removeAll(where: NetplanIntended.isGeneratedOutput)
            if !reading.network.devices.contains(where: { $0.system == system }) || reading.network.systems[i].files.isEmpty {
                reading.network.systems.remove(at: i)
            }
        }
    }

    // MARK: helpers

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The paths matching a shell pattern, sorted (glob(3)); none when nothing matches.
    static func matches(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }
}
