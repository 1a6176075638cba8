import KVMNetModel
import KVMNetSources

/// Checks of the host firewall's verdict on bridged frames (`nft -j list ruleset`, read by
/// kvmnet-diag as root): iptables/nftables FORWARD hooks that br_netfilter sends bridged
/// frames through, and the nft `bridge` family, which filters them without br_netfilter.
enum FirewallChecks {
    static let all: [Check] = [forwardDropBridged, bridgeFamilyDrop, unverifiable]

    /// One hop of a frame through a bridge, as the firewall's hooks see it.
    struct Crossing {
        var bridge: String
        var inPort: String
        var outPort: String
        var request: FirewallFrame
        var reply: FirewallFrame
        /// `vm1 -> vm2`.
        var what: String

        /// What a finding about it concerns: the bridge first, then both ports.
        var devices: [String] { [bridge, inPort, outPort] }
    }

    /// Why the firewall checks cannot run.
    struct Unavailable: Error { var reason: String }

    static func ruleset(_ ctx: CheckContext) -> Result<(FirewallFacts, FirewallRuleset), Unavailable> {
        guard let fw = ctx.facts.firewall else {
            return .failure(Unavailable(reason: "needs kvmnet-diag run live as root (it reads nft -j list ruleset); the agent runs no processes"))
        }
        guard let rs = fw.ruleset else { return .failure(Unavailable(reason: fw.unavailable ?? "the ruleset was not read")) }
        return .success((fw, rs))
    }

    /// The crossings of the request's path (path and external modes) or, in host mode, of a
    /// frame between the first two guest ports of every bridge.
    static func crossings(_ ctx: CheckContext) -> [Crossing] {
        func ip(_ e: Endpoint) -> IPv4? {
            e.addresses.lazy.compactMap { IPv4(String($0.split(separator: "/").first ?? "")) }.first
        }
        func crossing(bridge: String, from a: String, to b: String, src: Endpoint?, dst: Endpoint?, vlan: Int?, what: String) -> Crossing {
            let req = FirewallFrame(iif: a, oif: b, bridge: bridge, saddr: src.flatMap(ip), daddr: dst.flatMap(ip),
                                    smac: src?.mac, dmac: dst?.mac, ctState: "new", icmpType: "echo-request", vlan: vlan)
            let rep = FirewallFrame(iif: b, oif: a, bridge: bridge, saddr: dst.flatMap(ip), daddr: src.flatMap(ip),
                                    smac: dst?.mac, dmac: src?.mac, ctState: "established", icmpType: "echo-reply", vlan: vlan)
            return Crossing(bridge: bridge, inPort: a, outPort: b, request: req, reply: rep, what: what)
        }
        guard let path = ctx.path else {
            return ctx.sortedBridges.compactMap { br in
                let ports = br.ports.map(\.name).sorted()
                let guests = ports.filter { !ctx.isUplink($0) }
                guard let first = guests.first, let second = (guests.dropFirst().first ?? ports.first { $0 != first }) else { return nil }
                return crossing(bridge: br.name, from: first, to: second, src: nil, dst: nil, vlan: nil,
                                what: "frames between \(first) and \(second) on \(br.name)")
            }
        }
        let a = path.from
        guard let to = path.to else {
            guard let bridge = a.bridge, let uplink = a.uplink else { return [] }
            return [crossing(bridge: bridge, from: a.endpoint.device, to: uplink, src: a.endpoint, dst: nil,
                             vlan: a.bridgeVLAN, what: "\(a.endpoint.query) -> outside")]
        }
        guard path.relation?.sharesSegment == true else { return [] }
        let what = "\(a.endpoint.query) -> \(to.endpoint.query)"
        if let bridge = a.bridge, bridge == to.bridge {
            return [crossing(bridge: bridge, from: a.endpoint.device, to: to.endpoint.device, src: a.endpoint, dst: to.endpoint,
                             vlan: a.bridgeVLAN, what: what)]
        }
        var out: [Crossing] = []
        if let b = a.bridge, let u = a.uplink {
            out.append(crossing(bridge: b, from: a.endpoint.device, to: u, src: a.endpoint, dst: to.endpoint, vlan: a.bridgeVLAN, what: what))
        }
        if let b = to.bridge, let u = to.uplink {
            out.append(crossing(bridge: b, from: u, to: to.endpoint.device, src: a.endpoint, dst: to.endpoint, vlan: to.bridgeVLAN, what: what))
        }
        return out
    }

    /// Whether bridged IPv4 frames pass the ip/inet hooks: br_netfilter loaded and
    /// `bridge-nf-call-iptables` 1 (its default once loaded).
    static func brNetfilterOn(_ ctx: CheckContext, _ fw: FirewallFacts) -> (on: Bool, evidence: [Evidence]) {
        let sysctl = ctx.facts.sysctls[Sysctl.bridgeNFIptables]
        let loaded = fw.brNetfilterLoaded ?? (sysctl != nil)
        guard loaded else { return (false, []) }
        if let sysctl { return (sysctl.intValue == 1, [ctx.evidence.sysctl(sysctl)]) }
        return (true, [ctx.evidence.model("br_netfilter", "loaded (/sys/module/br_netfilter)")])
    }

    /// The ip/inet hook frame of a crossing: br_netfilter shows the bridge as both interfaces
    /// and the ports to `-m physdev`.
    static func atIPHook(_ f: FirewallFrame) -> FirewallFrame {
        var f = f
        if let b = f.bridge { (f.physIn, f.physOut) = (f.iif, f.oif); f.iif = b; f.oif = b }
        return f
    }

    /// Whether a bridge-family chain's verdict on a bridged IPv4 frame depends on the kernel:
    /// a `forward` chain at priority 0 (NF_BR_PRI_BRNF) while br_netfilter passes IPv4 to
    /// iptables. br_netfilter's own forward hook (priority -1) takes the frame to the ip
    /// hooks, and `br_nf_hook_thresh` resumes the bridge hooks after every priority-0 one,
    /// this chain included, on kernels that do so: measured in the kernel lab, Debian's 6.1
    /// skips such a chain (the ping answers, its counter stays 0), 6.12 runs it (the ping
    /// fails). From the ruleset alone neither is certain, so it is a warning, never a fail.
    static func kernelDependent(_ o: FirewallOutcome, ipHooks: Bool) -> Bool {
        ipHooks && o.chain.family == "bridge" && o.chain.hook == "forward" && (o.chain.priority ?? 0) == 0
    }

    static func evidence(_ o: FirewallOutcome) -> [Evidence] {
        let source = o.chain.origin?.listCommand ?? "nft"
        var out = [Evidence(source: source, attribute: "chain \(o.chain.qualifiedName) (hook \(o.chain.hook ?? "?"), priority \(o.chain.priority ?? 0))",
                            value: "policy \(o.chain.policy?.text ?? "accept")")]
        if let r = o.rule {
            out.append(Evidence(source: source, line: r.origin == nil ? nil : r.handle, attribute: "rule \(r.location)", value: r.text))
        }
        return out
    }

    static func cause(_ o: FirewallOutcome) -> String {
        if let r = o.rule { return "rule \"\(r.text)\" (\(r.position)) of chain \(o.chain.qualifiedName)" }
        return "the policy drop of chain \(o.chain.qualifiedName) (no rule accepts the frame)"
    }

    static let forwardDropBridged = Check(
        id: "firewall.forward_drop_bridged", family: .firewall, severity: .fail,
        title: "iptables/nftables FORWARD drops bridged frames (br_netfilter)"
    ) { ctx in
        let (fw, rs): (FirewallFacts, FirewallRuleset)
        switch ruleset(ctx) { case .failure(let why): return .skipped(why.reason); case .success(let v): (fw, rs) = v }
        let (on, sysctlEvidence) = brNetfilterOn(ctx, fw)
        guard on else { return .ran([]) }
        let eval = FirewallEvaluator(ruleset: rs)
        return .ran(crossings(ctx).compactMap { c -> Finding? in
            for (frame, dir) in [(c.request, "the request"), (c.reply, "the reply")] {
                guard let o = eval.blocking(atIPHook(frame), families: ["ip", "inet"], hook: "forward"), o.kind == .dropped else { continue }
                let docker = rs.chain(family: "ip", table: "filter", name: "DOCKER-USER", origin: o.chain.origin) != nil
                let iptables = o.chain.origin == .iptablesLegacy ? "iptables-legacy" : "iptables"
                var fix = docker
                    ? "\(iptables) -I DOCKER-USER -i \(q(c.bridge)) -o \(q(c.bridge)) -j ACCEPT (Docker keeps DOCKER-USER for such rules and sets FORWARD's policy to DROP)"
                    : o.chain.origin == .iptablesLegacy ? "iptables-legacy -I \(o.chain.name) -m physdev --physdev-is-bridged -j ACCEPT"
                    : "nft insert rule \(o.chain.family) \(o.chain.table) \(o.chain.name) iifname \(q(c.bridge)) oifname \(q(c.bridge)) accept (iptables: iptables -I \(o.chain.name) -m physdev --physdev-is-bridged -j ACCEPT)"
                fix += "; or stop passing bridged frames to iptables: sysctl -w net.bridge.bridge-nf-call-iptables=0 (then no iptables or nftables ip rule filters bridged traffic: libvirt nwfilter, Kubernetes and Docker rules that rely on br_netfilter stop applying)"
                return Finding(
                    check: "firewall.forward_drop_bridged", severity: .fail, subject: c.bridge,
                    explanation: "The host firewall drops \(c.what) bridged on \(c.bridge): br_netfilter passes bridged IPv4 frames to the \(o.chain.family) forward hook, and \(dir) (ICMP \(frame.icmpType), \(frame.iif) -> \(frame.oif)) is dropped by \(cause(o)). Pings and every other IPv4 packet through \(c.bridge) are lost, although the bridge itself forwards them.",
                    evidence: sysctlEvidence + evidence(o),
                    fix: fix, devices: c.devices)
            }
            return nil
        })
    }

    static let bridgeFamilyDrop = Check(
        id: "firewall.bridge_family_drop", family: .firewall, severity: .fail,
        title: "An nftables bridge-family rule (or policy) drops bridged frames"
    ) { ctx in
        let (fw, rs): (FirewallFacts, FirewallRuleset)
        switch ruleset(ctx) { case .failure(let why): return .skipped(why.reason); case .success(let v): (fw, rs) = v }
        let eval = FirewallEvaluator(ruleset: rs)
        let ipHooks = brNetfilterOn(ctx, fw).on
        return .ran(crossings(ctx).compactMap { c -> Finding? in
            for (frame, dir) in [(c.request, "the request"), (c.reply, "the reply")] {
                for hook in ["prerouting", "forward", "postrouting"] {
                    // A drop whose chain may not run on this kernel is firewall.unverifiable's.
                    guard let o = eval.evaluate(frame, families: ["bridge"], hook: hook)
                        .first(where: { $0.kind == .dropped && !kernelDependent($0, ipHooks: ipHooks) }) else { continue }
                    let fix = o.rule.map { r in "nft delete rule bridge \(r.table) \(r.chain) handle \(r.handle.map(String.init) ?? "HANDLE") (see it with: nft -a list chain bridge \(r.table) \(r.chain)), or insert an accept before it" }
                        ?? "nft chain bridge \(o.chain.table) \(o.chain.name) '{ policy accept; }', or accept the frames first: nft insert rule bridge \(o.chain.table) \(o.chain.name) iifname \(q(frame.iif)) accept"
                    return Finding(
                        check: "firewall.bridge_family_drop", severity: .fail, subject: c.bridge,
                        explanation: "An nftables bridge-family chain drops \(c.what) on \(c.bridge): \(dir) (\(frame.iif) -> \(frame.oif)\(frame.vlan.map { ", VLAN \($0)" } ?? "")) is dropped at the \(hook) hook by \(cause(o)). The bridge family filters bridged frames with or without br_netfilter.",
                        evidence: evidence(o), fix: fix, devices: c.devices)
                }
            }
            return nil
        })
    }

    static let unverifiable = Check(
        id: "firewall.unverifiable", family: .firewall, severity: .warn,
        title: "A firewall rule that decides bridged frames is too complex to evaluate statically"
    ) { ctx in
        let (fw, rs): (FirewallFacts, FirewallRuleset)
        switch ruleset(ctx) { case .failure(let why): return .skipped(why.reason); case .success(let v): (fw, rs) = v }
        let eval = FirewallEvaluator(ruleset: rs)
        let (ipHooks, sysctlEvidence) = brNetfilterOn(ctx, fw)
        var findings: [Finding] = []
        var seen = Set<FirewallRule>()
        var seenKernelDependent = Set<String>()
        for c in crossings(ctx) {
            for frame in [c.request, c.reply] {
                var outcomes: [FirewallOutcome] = []
                for hook in ["prerouting", "forward", "postrouting"] {
                    outcomes += eval.evaluate(frame, families: ["bridge"], hook: hook)
                }
                if ipHooks { outcomes += eval.evaluate(atIPHook(frame), families: ["ip", "inet"], hook: "forward") }
                // A definite drop is the other checks' finding.
                guard !outcomes.contains(where: { $0.kind == .dropped && !kernelDependent($0, ipHooks: ipHooks) }) else { continue }
                for o in outcomes where o.kind == .dropped && kernelDependent(o, ipHooks: ipHooks) {
                    guard seenKernelDependent.insert(o.rule?.location ?? o.chain.qualifiedName).inserted else { continue }
                    findings.append(Finding(
                        check: "firewall.unverifiable", severity: .warn, subject: c.bridge,
                        explanation: "Whether the host firewall lets \(c.what) through \(c.bridge) depends on the kernel: \(cause(o)) would drop it, but the chain is a bridge-family forward chain at priority 0 while br_netfilter passes bridged IPv4 frames to iptables (bridge-nf-call-iptables 1). br_netfilter's forward hook (priority -1) takes the frame first, and some kernels then resume after every priority-0 bridge hook, skipping this chain (Debian's 6.1 does; 6.12 runs it).",
                        evidence: sysctlEvidence + evidence(o),
                        fix: "give the chain a priority that does not depend on it: nft delete chain bridge \(o.chain.table) \(o.chain.name) and add it again with 'type filter hook forward priority filter' (-200: before br_netfilter's hook, on every kernel); meanwhile ping and watch the rule's counter (nft -a list chain bridge \(o.chain.table) \(o.chain.name)), or run kvmnet-diag watch",
                        devices: c.devices))
                }
                for o in outcomes where o.kind == .unverifiable {
                    guard let r = o.rule, seen.insert(r).inserted else { continue }
                    findings.append(Finding(
                        check: "firewall.unverifiable", severity: .warn, subject: c.bridge,
                        explanation: "Whether the host firewall lets \(c.what) through \(c.bridge) cannot be told from the ruleset: rule \"\(r.text)\" (\(r.position)) of chain \(o.chain.qualifiedName) decides the frame with a match kvmnet cannot evaluate statically (an iptables extension, a set lookup, or an address the host does not know).",
                        evidence: evidence(o),
                        fix: "check the rule by hand (\(o.chain.origin.map { "\($0.listCommand) -t \(o.chain.table)" } ?? "nft -a list chain \(o.chain.family) \(o.chain.table) \(r.chain); iptables-save for xt matches")), or watch its counter while pinging",
                        devices: c.devices))
                }
            }
        }
        return .ran(findings)
    }
}
