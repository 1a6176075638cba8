// swift-tools-version:6.0
//
// kvmnet: Prometheus exporter and diagnostics for the networking of KVM hosts.
// Data flows one way: sources (netlink; /proc, /sys and the host's files) -> one
// model -> two faces (metrics, diagnosis). See docs/architecture.md.
import PackageDescription

let package = Package(
    name: "kvmnet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kvmnet-agent", targets: ["kvmnet-agent"]),
        .executable(name: "kvmnet-diag", targets: ["kvmnet-diag"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        // libyaml inside, for the tests only: the reference the project's own YAML reader
        // (KVMNetYAML: web config, netplan) is checked against (Tests/KVMNetWebConfigYAMLTests).
        // Yams imports Foundation, which the agent does not link (docs/architecture.md).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libnl-3 / libnl-route-3 through pkg-config; no link lines in the modulemap.
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        // What Swift's Glibc module does not export, typed from <malloc.h> and <crypt.h>
        // (mallopt, malloc_trim, crypt_rn) and setns; header only, no link lines.
        .systemLibrary(name: "CLibcShim"),
        // pipe2 and the _np spawn file actions, which the Glibc module does not export;
        // for KVMNetSubprocess only.
        .systemLibrary(name: "CSubprocessShim"),
        // Value types shared by the exporter and the diagnosis.
        .target(name: "KVMNetModel"),
        // The one lock of shared state: a pthread mutex ThreadSanitizer sees (not
        // Synchronization's Mutex, a futex it does not; Sources/KVMNetLock/Locked.swift).
        .target(name: "KVMNetLock"),
        // The YAML subset configuration files use, with a line for every node: the web
        // config (KVMNetWeb) and netplan (KVMNetSources). No Foundation, no dependencies.
        .target(name: "KVMNetYAML"),
        // Every reader of host facts but rtnetlink: /proc and /sys (the topology without
        // netlink), /proc/net routes, ARP and addresses, sysctls, libvirt XML, and the
        // configuration systems (ifcfg, ifupdown, NetworkManager, networkd, netplan).
        // Pure parsers plus readers rooted at given paths; typed results and errors.
        .target(name: "KVMNetSources", dependencies: ["KVMNetModel", "KVMNetYAML"]),
        // rtnetlink through libnl-3: dumps, subscriptions, IFLA_LINKINFO decoding.
        .target(name: "KVMNetNetlink", dependencies: ["KVMNetLock", "KVMNetModel", "CNetlink"]),
        // HostState: applies snapshots and events to the model, keeps counters.
        .target(name: "KVMNetState", dependencies: ["KVMNetLock", "KVMNetModel"]),
        // Collectors and the Prometheus text exposition.
        .target(name: "KVMNetMetrics", dependencies: ["KVMNetLock", "KVMNetModel", "KVMNetState"]),
        // HTTP server: /metrics, landing page, health.
        .target(
            name: "KVMNetWeb",
            dependencies: [
                "KVMNetLock", "KVMNetYAML",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                "CLibcShim",
            ]
        ),
        // Starting a program and reaping it: posix_spawn, poll and waitpid, not Foundation's
        // Process (which misses exits on Linux under concurrency: docs/reliability.md).
        // The one module that starts processes; used by the firewall reader (kvmnet-diag)
        // and the tests (KVMNetTestSupport), never by the agent.
        .target(name: "KVMNetSubprocess", dependencies: ["KVMNetLock", "CSubprocessShim"]),
        // The host firewall for kvmnet-diag: runs `nft -j list ruleset` and parses it
        // (Foundation's JSON reader; kvmnet-diag only, the agent runs no processes).
        .target(name: "KVMNetFirewallReader", dependencies: ["KVMNetModel", "KVMNetSources", "KVMNetSubprocess"]),
        // kvmnet-diag across hosts: the agents' API and Prometheus' HTTP API, over SwiftNIO's
        // HTTP/1 client and NIOSSL (the server's own packages; docs/api.md, "Client").
        .target(
            name: "KVMNetRemote",
            dependencies: [
                "KVMNetLock",
                "KVMNetModel", "KVMNetDiagnose", "KVMNetWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // libbpf through pkg-config (libbpf-dev), for KVMNetWatch; no link lines in the
        // modulemap, as CNetlink.
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev"])]
        ),
        // BPFObjectPlugin's build step: runs clang -target bpf on a .bpf.c and writes the
        // object as a base64 Swift literal (host tool; never shipped).
        .executableTarget(name: "kvmnet-bpf-embed", dependencies: ["KVMNetSubprocess"]),
        // Compiles a target's BPF/*.bpf.c at build time and embeds the objects: no run-time
        // compiler, no committed .o.
        .plugin(name: "BPFObjectPlugin", capability: .buildTool(), dependencies: ["kvmnet-bpf-embed"]),
        // kvmnet-diag watch's kernel side: the BPF program (BPF/, built by BPFObjectPlugin)
        // loaded with libbpf, its ring buffer's records decoded into FrameEvents.
        .target(
            name: "KVMNetWatch",
            dependencies: ["KVMNetModel", "KVMNetSources", "KVMNetLock", "CLibBPF"],
            exclude: ["BPF"],
            plugins: ["BPFObjectPlugin"]
        ),
        // Checks, path tracing and report rendering for kvmnet-diag.
        .target(name: "KVMNetDiagnose", dependencies: ["KVMNetModel", "KVMNetSources"]),
        // The agent as a library: sources wired to the state, the server, the lifecycle.
        // No diagnosis: /diagnose is plugged in by the executable.
        .target(
            name: "KVMNetAgent",
            dependencies: [
                "KVMNetLock",
                "KVMNetModel", "KVMNetSources", "KVMNetNetlink", "KVMNetState",
                "KVMNetMetrics", "KVMNetWeb", "CLibcShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // /diagnose: kvmnet-diag's collector and checks run on the agent's live model.
        .target(name: "KVMNetDiagnoseEndpoint", dependencies: ["KVMNetAgent", "KVMNetDiagnose", "KVMNetWeb"]),
        .executableTarget(
            name: "kvmnet-agent",
            dependencies: [
                "KVMNetAgent", "KVMNetDiagnoseEndpoint", "KVMNetSources",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "kvmnet-diag",
            dependencies: [
                "KVMNetModel", "KVMNetSources", "KVMNetDiagnose", "KVMNetNetlink", "KVMNetFirewallReader",
                "KVMNetRemote", "KVMNetWeb", "KVMNetWatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share (no product uses it): the live-test requirement, and
        // KVMNetSubprocess (re-exported) for every program a test runs.
        .target(name: "KVMNetTestSupport", dependencies: ["KVMNetSubprocess"], path: "Tests/KVMNetTestSupport"),
        .testTarget(name: "KVMNetTestSupportTests", dependencies: ["KVMNetTestSupport", "KVMNetLock"]),
        .testTarget(name: "KVMNetModelTests", dependencies: ["KVMNetModel"]),
        .testTarget(name: "KVMNetFirewallTests", dependencies: ["KVMNetFirewallReader", "KVMNetDiagnose", "KVMNetSources", "KVMNetModel"], exclude: ["Fixtures"]),
        .testTarget(name: "KVMNetSourcesTests", dependencies: ["KVMNetSources", "KVMNetModel", "KVMNetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KVMNetNetlinkTests", dependencies: ["KVMNetLock", "KVMNetNetlink", "KVMNetState", "KVMNetModel", "KVMNetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KVMNetStateTests", dependencies: ["KVMNetState", "KVMNetModel"]),
        .testTarget(name: "KVMNetMetricsTests", dependencies: ["KVMNetLock", "KVMNetMetrics", "KVMNetState", "KVMNetSources"]),
        .testTarget(name: "KVMNetDiagnoseTests", dependencies: ["KVMNetDiagnose", "KVMNetModel", "KVMNetSources", "KVMNetTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KVMNetEndToEndTests", dependencies: ["KVMNetModel", "CLibcShim", "KVMNetTestSupport"], exclude: ["Golden"]),
        // FrameWatcher on the running kernel (live: root, namespaces of its own) and
        // DropReasons from its BTF.
        .testTarget(name: "KVMNetWatchTests", dependencies: ["KVMNetWatch", "KVMNetModel", "KVMNetSources", "KVMNetTestSupport"]),
        .testTarget(name: "KVMNetRemoteTests", dependencies: ["KVMNetRemote", "KVMNetDiagnose", "KVMNetModel", "KVMNetWeb"]),
        .testTarget(name: "KVMNetPrometheusTests", dependencies: ["KVMNetWeb", "KVMNetYAML", "KVMNetTestSupport"]),
        // KVMNetYAML against Yams (libyaml): the web config's and netplan's files, generated
        // documents, and YAML outside the subset. The one target that uses Yams.
        .testTarget(
            name: "KVMNetWebConfigYAMLTests",
            dependencies: ["KVMNetWeb", "KVMNetYAML", "KVMNetSources", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"]
        ),
    ]
)
