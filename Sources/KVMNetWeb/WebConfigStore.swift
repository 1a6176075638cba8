import KVMNetLock
#if canImport(Glibc)
import Glibc
#endif

/// A web config file read, validated, with its TLS files loaded.
struct LoadedWebConfig: Sendable {
    let config: WebConfig
    let tls: TLSServerSetup?
    /// Config file and TLS files -> what was read of them.
    let signatures: [String: FileSignature]
}

/// Keeps a `--web.config.file` current. exporter-toolkit reads the file on every request
/// and new TLS connection; this does the same work only when something changed: each
/// call stats the config file and the TLS files it names, and reads them again when a
/// signature (inode, size, mtime) differs. A file that no longer loads makes every
/// request fail (closed, never open) until it is fixed.
final class WebConfigStore: Sendable {
    let path: String
    private let state: Locked<State>
    private let onChange: @Sendable (Result<LoadedWebConfig, WebConfigError>) -> Void

    private enum State {
        case loaded(LoadedWebConfig)
        /// The error and when to try again (monotonic seconds).
        case failed(WebConfigError, retryAt: Double)
    }

    /// Loads the file now; a file that does not load is an error here, at start.
    /// - Parameter onChange: told of each reload (logging).
    init(path: String, onChange: @escaping @Sendable (Result<LoadedWebConfig, WebConfigError>) -> Void = { _ in }) throws(WebConfigError) {
        self.path = path
        self.onChange = onChange
        state = Locked(.loaded(try Self.load(path, previous: nil)))
    }

    /// The current configuration, read again if a file changed.
    func current() -> Result<LoadedWebConfig, WebConfigError> {
        state.withLock { state in
            let now = monotonicNow()
            switch state {
            case .loaded(let loaded):
                let unchanged = loaded.signatures.allSatisfy { FileSignature.of($0.key) == $0.value }
                if unchanged { return .success(loaded) }
                return reload(&state, previous: loaded, now: now)
            case .failed(let error, let retryAt):
                if now < retryAt { return .failure(error) }
                return reload(&state, previous: nil, now: now)
            }
        }
    }

    private func reload(_ state: inout State, previous: LoadedWebConfig?, now: Double) -> Result<LoadedWebConfig, WebConfigError> {
        let result: Result<LoadedWebConfig, WebConfigError>
        do {
            result = .success(try Self.load(path, previous: previous))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let l): state = .loaded(l)
        case .failure(let e):
            if case .failed(let old, _) = state, old == e {
                state = .failed(e, retryAt: now + 1)
                return result  // the same problem as before: said already
            }
            state = .failed(e, retryAt: now + 1)
        }
        onChange(result)
        return result
    }

    /// Reads and validates the file and loads its TLS files.
    static func load(_ path: String, previous: LoadedWebConfig?) throws(WebConfigError) -> LoadedWebConfig {
        let snapshot: FileSnapshot
        switch FileSnapshot.read(path) {
        case .success(let s): snapshot = s
        case .failure(let e): throw WebConfigError(file: path, problem: .unreadable(path: path, reason: e.reason))
        }
        // A file rewritten in place is empty for a moment: that must not turn security off.
        if snapshot.bytes.isEmpty, let previous, previous.config != WebConfig() {
            throw WebConfigError(file: path, problem: .invalid("the file became empty; write {} to turn TLS and basic authentication off"))
        }
        guard let text = String(validatingUTF8CString: snapshot.bytes) else {
            throw WebConfigError(file: path, problem: .syntax("the file is not UTF-8 text"))
        }
        let config = try WebConfigDecoder(file: path).decode(text)
        var signatures = [path: snapshot.signature]
        var tls: TLSServerSetup?
        if let t = config.tls {
            let (setup, tlsSignatures) = try TLSContextFactory.make(t, configFile: path)
            tls = setup
            signatures.merge(tlsSignatures) { a, _ in a }
        }
        return LoadedWebConfig(config: config, tls: tls, signatures: signatures)
    }
}

/// Seconds from a monotonic clock.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
