import ArgumentParser
import Foundation
import KVMNetDiagnose
import KVMNetRemote
import KVMNetWeb

/// `--prometheus`, `--peer`, `--http.config`: diagnosing through the agents' API
/// (docs/api.md) instead of reading this host.
struct RemoteOptions: ParsableArguments {
    @Option(name: .customLong("prometheus"), help: ArgumentHelp("Find each end's host through this Prometheus (kvmnet_vm_interface_info, its targets) and ask those hosts' agents.", valueName: "url"))
    var prometheus: String?

    @Option(name: .customLong("peer"), help: ArgumentHelp("An agent to ask (HOST:PORT or URL; repeatable), where there is no Prometheus.", valueName: "host:port"))
    var peers: [String] = []

    @Option(name: .customLong("http.config"), help: ArgumentHelp("HTTP client settings for Prometheus and the agents: basic_auth, authorization, tls_config, as in Prometheus' http client config.", valueName: "file"))
    var httpConfig: String?

    @Option(name: .customLong("http.timeout"), help: ArgumentHelp("Seconds to wait for each HTTP answer.", valueName: "seconds"))
    var timeout: Double = 10

    @Flag(help: "Print the time of each step (Prometheus queries, agent fetches, the diagnosis) on stderr.")
    var timings = false

    var isRemote: Bool { prometheus != nil || !peers.isEmpty }

    func validate(endpoints: Int, local: Bool) throws {
        guard isRemote else {
            if httpConfig != nil { throw ValidationError("--http.config applies to --prometheus and --peer") }
            return
        }
        if prometheus != nil && !peers.isEmpty { throw ValidationError("give --prometheus or --peer, not both") }
        if local { throw ValidationError("--prometheus and --peer ask the agents; --from, --path.*, --no-netlink and the source directories read this host") }
        if endpoints == 0 { throw ValidationError("--prometheus and --peer need endpoints: kvmnet-diag diagnose A B --prometheus URL") }
        guard timeout > 0 && timeout <= 300 else { throw ValidationError("--http.timeout must be between 0 and 300 seconds") }
    }

    /// Fetches what the request needs and diagnoses it: across hosts, or on the one host
    /// that holds both ends (or the one end, with `--external`).
    func diagnose(_ a: String, _ b: String?, options: DiagOptions) throws -> DiagReport {
        let config = try loadConfig()
        let client: FleetClient
        do {
            client = FleetClient(fetcher: try HTTPFetcher(config: config, timeoutSeconds: timeout))
        } catch {
            throw Failure(message: "\(error)")
        }
        defer { printTimings(client) }
        let fetched: FleetFetch
        switch fetch(client, a, b ?? a) {
        case .success(let f): fetched = f
        case .failure(let error):
            if case .badAddress = error { throw Failure(message: error.description, exitCode: 64) }
            throw Failure(message: error.description)
        }
        let start = ContinuousClock.now
        defer { client.record("diagnose", since: start) }
        switch fetched {
        case .sameHost(let host):
            var snapshot = host.snapshot
            snapshot.hostname = snapshot.hostname ?? host.name
            let request = b.map { DiagRequest(.path(from: a, to: $0), options: options) } ?? DiagRequest(.external(from: a), options: options)
            return KVMNetDiagnose.diagnose(snapshot, request: request)
        case .twoHosts(let ha, let hb):
            return diagnoseAcrossHosts(ha, hb, options: options)
        }
    }

    private func fetch(_ client: FleetClient, _ a: String, _ b: String) -> Result<FleetFetch, RemoteError> {
        Result { () throws(RemoteError) -> FleetFetch in
            if let prometheus {
                return try client.fetch(a, b, prometheus: try HTTPAddress(parsing: prometheus))
            }
            var list: [(name: String, address: HTTPAddress)] = []
            for p in peers { list.append((p, try HTTPAddress(parsing: p))) }
            return try client.fetch(a, b, peers: list)
        }
    }

    private func loadConfig() throws -> HTTPClientConfig {
        guard let httpConfig else { return HTTPClientConfig() }
        let text: String
        do {
            text = try String(contentsOfFile: httpConfig, encoding: .utf8)
        } catch {
            throw Failure(message: "cannot read --http.config \(httpConfig): \(error.localizedDescription)")
        }
        let dir = URL(fileURLWithPath: httpConfig).deletingLastPathComponent().path
        // Relative to the config file, as Prometheus reads them.
        let resolve: @Sendable (String) -> String = { path in path.hasPrefix("/") ? path : dir + "/" + path }
        do {
            var config = try HTTPClientConfigDecoder(file: httpConfig) { path in
                try String(contentsOfFile: resolve(path), encoding: .utf8)
            }.decode(text)
            config.tls.caFile = config.tls.caFile.map(resolve)
            config.tls.certFile = config.tls.certFile.map(resolve)
            config.tls.keyFile = config.tls.keyFile.map(resolve)
            return config
        } catch {
            throw Failure(message: error.description)
        }
    }

    private func printTimings(_ client: FleetClient) {
        guard timings else { return }
        for t in client.timings {
            Terminal.printError("timing \(t.stage.replacing(" ", with: "_")) \(String(format: "%.1f", t.milliseconds))")
        }
    }

    /// What stops a remote diagnosis before it starts: exit 69 (EX_UNAVAILABLE, the
    /// service is not there), or 64 for a bad option value.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var exitCode: Int32 = 69
        var description: String { message }
    }
}
