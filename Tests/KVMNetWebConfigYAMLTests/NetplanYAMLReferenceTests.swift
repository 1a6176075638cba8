import Foundation
import KVMNetSources
import KVMNetYAML
import Testing
import Yams

/// The project's YAML reader (``YAMLSubsetParser``, subset ``YAMLSubset/netplan``, no
/// Foundation) against the reader netplan's source used before it: Yams, i.e. libyaml's
/// composer, converted to ``NetplanNode`` as `NetplanParser` did (Yams' marks, plain `~`,
/// `null` and empty values as null). Inputs: the netplan fixtures
/// (Tests/KVMNetSourcesTests/Fixtures/config, written for `netplan generate`), the netplan
/// fuzz corpus, documents in the style of netplan(5)'s examples, documents generated from
/// random trees in every style the subset reads, and the web config fixtures.
///
/// - A document the reader accepts gives the tree Yams gives: the same keys in the same
///   order with the same lines, the same scalars (after quoting and escapes), the same
///   nulls, every node (null ones too) on the same line.
/// - YAML outside the subset (anchors, aliases, tags, block scalars, multi-line values,
///   several documents, complex keys) is valid for Yams and refused by the reader at its
///   line with a message naming the feature: what can be skipped is left out with a
///   problem (the rest is read), the rest makes the file one problem.
@Suite struct NetplanYAMLReferenceTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repo = here.deletingLastPathComponent().deletingLastPathComponent()
    static let path = "/etc/netplan/50-test.yaml"

    struct NotComparable: Error, CustomStringConvertible {
        var description: String
    }

    /// Yams' node as the Yams-based `NetplanParser` converted it.
    static func reference(_ node: Node) throws -> NetplanNode {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let s):
            guard s.style == .plain || s.style == .singleQuoted || s.style == .doubleQuoted else {
                throw NotComparable(description: "block scalar at line \(line)")
            }
            if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
                return NetplanNode(.null, file: path, line: line)
            }
            return NetplanNode(.scalar(s.string), file: path, line: line)
        case .sequence(let seq):
            return NetplanNode(.sequence(try seq.map(reference)), file: path, line: line)
        case .mapping(let map):
            return NetplanNode(.mapping(try map.map { key, value in
                guard case .scalar(let k) = key else { throw NotComparable(description: "a non-scalar key at line \(line)") }
                return NetplanEntry(key: k.string, file: path, line: k.mark?.line ?? 0, value: try reference(value))
            }), file: path, line: line)
        case .alias:
            throw NotComparable(description: "an alias at line \(line)")
        }
    }

    /// Yams' reading of a whole file: one document (none: `nil`), every node comparable.
    static func yams(_ text: String) throws -> NetplanNode? {
        let documents = try yamsDocuments(text)
        guard documents.count <= 1 else { throw NotComparable(description: "\(documents.count) documents") }
        return try documents.first.map(reference)
    }

    static func expectSameAsYams(_ name: String, _ text: String) throws {
        let ours = NetplanParser.parse(text, path: path)
        #expect(ours.problems.isEmpty, "\(name): \(ours.problems)")
        let theirs = try yams(text)
        #expect(ours.root == theirs, "\(name):\n  kvmnet: \(render(ours.root))\n  Yams:   \(render(theirs))\n--- text:\n\(text)")
    }

    /// A tree in one line, with every node's line, for messages.
    static func render(_ node: NetplanNode?) -> String {
        guard let node else { return "nil" }
        switch node.value {
        case .scalar(let s): return "\(s.debugDescription)@\(node.line)"
        case .null: return "~@\(node.line)"
        case .sequence(let items): return "[" + items.map { render($0) }.joined(separator: ", ") + "]@\(node.line)"
        case .mapping(let es): return "{" + es.map { "\($0.key)@\($0.line): \(render($0.value))" }.joined(separator: ", ") + "}@\(node.line)"
        }
    }

    // MARK: - inputs

    /// Every netplan YAML file of the fixtures and of the fuzz corpus but its malformed one.
    static let files: [String] = {
        var found: [String] = []
        for dir in ["Tests/KVMNetSourcesTests/Fixtures/config", "Tests/Fuzz/corpus/netplan"] {
            let root = repo.appendingPathComponent(dir)
            guard let walk = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let rel as String in walk where rel.hasSuffix(".yaml") && (dir.hasSuffix("config") ? rel.contains("netplan/") : true) {
                found.append("\(dir)/\(rel)")
            }
        }
        return found.filter { !$0.hasSuffix("/malformed.yaml") }.sorted()
    }()

    static func text(_ relative: String) -> String {
        (try? String(contentsOf: repo.appendingPathComponent(relative), encoding: .utf8)) ?? "<missing \(relative)>"
    }

    /// Documents in the style of netplan(5) and its examples: routes and addresses with
    /// options (mappings in lists), nameservers, bridges' and bonds' parameters, flow
    /// lists and mappings, quoted keys and values, IPv6 in every position, comments,
    /// `---` and `...`, empty values, CRLF and a byte order mark.
    static let examples: [(String, String)] = [
        ("routes", """
        network:
          version: 2
          renderer: networkd
          ethernets:
            enp3s0:
              addresses:
                - 10.10.10.2/24
              routes:
                - to: default
                  via: 10.10.10.1
                - to: 192.168.0.0/16
                  via: 10.10.10.254
                  metric: 100
                  on-link: true
              routing-policy:
              - from: 192.168.3.0/24
                table: 101
              nameservers:
                search: [mydomain, otherdomain]
                addresses: [10.10.10.1, 1.1.1.1, "2606:4700:4700::1111", 2001:4860:4860::8888]

        """),
        ("bridge with parameters", """
        # A bridge for the VMs on a bond.
        network:
          version: 2
          ethernets:
            eno1: {}
            eno2: {dhcp4: no}
          bonds:
            bond0:
              interfaces: [ eno1 , eno2 ]
              parameters: {mode: 802.3ad, lacp-rate: fast, mii-monitor-interval: 100, transmit-hash-policy: layer3+4}
          bridges:
            br0:
              interfaces: [bond0]
              addresses: [ "192.0.2.5/24" ]
              routes: [{to: default, via: 192.0.2.1}, {to: "2001:db8::/32", via: "fe80::1", on-link: true}]
              parameters:
                stp: false
                forward-delay: 0
                path-cost: {bond0: 4}
              nameservers: {addresses: [192.0.2.1, "2001:db8::53"], search: []}
          vlans:
            vlan15: {id: 15, link: bond0, addresses: ["10.0.15.2/24"]}
        """),
        ("addresses with options", """
        network:
          ethernets:
            eth0:
              match:
                macaddress: 00:11:22:33:44:55
              set-name: lan0
              addresses:
                - "10.0.0.5/24":
                    label: "lan0:db"
                    lifetime: 0
                - 2001:db8::5/64:
                    lifetime: forever
                - 10.0.0.6/24: {label: 'lan0:web'}
                -
                  10.0.0.7/24
                - fe80::5/64 # a comment
              'dhcp4': "yes"
              dhcp6: 'it''s ''quoted'''
              optional: ~
              mtu:
              wakeonlan: NULL
              critical: "null"
        """),
        ("document markers and nested lists", "%YAML 1.1\n---\nnetwork:\n  version: 2\n  tunnels:\n    wg0:\n      keys: {private: \"a\\tb\\u00e9\"}\n      peers:\n        - - x\n          - y\n        -\n        - keys: {public: k}\n          allowed-ips: [0.0.0.0/0, \"::/0\"]\n          endpoint: '[2001:db8::1]:51820'\n...\n# the end\n"),
        ("CRLF and BOM", "\u{FEFF}network:\r\n  version: 2\r\n  ethernets:\r\n    eth0:\r\n      dhcp4: true\r\n      addresses: [10.1.1.1/24]\r\n"),
        ("top-level flow", "{network: {version: 2, ethernets: {eth0: {dhcp4: true}, eth1: {}}}}\n"),
        ("flow on its own line", "network:\n  ethernets:\n    eth0:\n      addresses:\n        [10.0.0.1/24, 10.0.0.2/24]\n      nameservers:\n        {addresses: [10.0.0.53]}\n"),
        ("empty values", "network:\n  ethernets:\n    eth0:\n    eth1:\n      dhcp4:\n  bonds:\n\n  # a comment\n  vlans:\n    - \n    -\n    - ~\n  bridges: {br0: , br1, br2: {}}\n  wifis: [~, null, \"\", '']\n"),
        ("a scalar document", "just a scalar\n"),
        ("a list at the top", "- network\n- {version: 2}\n"),
        // `fe80::` as a list item is the key `fe80:` with an empty value, for libyaml too.
        ("a list item ending in a colon", "network:\n  addresses:\n    - fe80::\n    - 'fe80::'\n"),
    ]

    /// A random tree rendered in a random mix of the styles the subset reads: block or
    /// flow collections, indentless or indented lists, mappings in lists, plain, single-
    /// or double-quoted scalars, comments and blank lines, 2 or 4 spaces.
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }

        static let plains = ["eth0", "10.0.0.1/24", "2001:db8::1/64", "fe80::1", "00:11:22:33:44:55", "true", "no", "9000",
                             "802.3ad", "layer3+4", "a b", "it's", "x#y", "default", "-1", "1.5", "bond0.20", "en*", "a:b"]
        static let quotedOnly = ["a: b", "# not a comment", "null", "", " lead", "x, y", "[x]", "{y}", "tab\there", "é", "'", "\"", "\\"]
        static let keys = ["network", "version", "ethernets", "eth0", "bond0", "routes", "to", "via", "addresses", "mtu",
                           "parameters", "mode", "nameservers", "search", "match", "macaddress", "set-name", "10.0.0.1/24", "2001:db8::1/64"]

        enum Tree {
            case scalar(String)
            case null
            case sequence([Tree])
            case mapping([(String, Tree)])
        }

        mutating func tree(depth: Int) -> Tree {
            let kind = depth >= 4 ? next(3) : next(7)
            switch kind {
            case 0, 1: return .scalar(next(4) == 0 ? Self.quotedOnly[next(Self.quotedOnly.count)] : Self.plains[next(Self.plains.count)])
            case 2: return .null
            case 3, 4: return .sequence((0..<next(4)).map { _ in tree(depth: depth + 1) })
            default:
                var seen: Set<String> = []
                var pairs: [(String, Tree)] = []
                for _ in 0..<(1 + next(4)) {
                    let k = Self.keys[next(Self.keys.count)]
                    if seen.insert(k).inserted { pairs.append((k, tree(depth: depth + 1))) }
                }
                return .mapping(pairs)
            }
        }

        mutating func scalar(_ s: String, flow: Bool) -> String {
            let needsQuotes = Self.quotedOnly.contains(s) || (flow && s.contains(":"))
            switch needsQuotes ? 1 + next(2) : next(4) {
            case 1: return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
            case 2:
                let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    .replacingOccurrences(of: "\t", with: next(2) == 0 ? "\\t" : "\\u0009")
                return "\"" + escaped + "\""
            default: return s
            }
        }

        mutating func null() -> String { ["~", "null", "Null", "NULL"][next(4)] }

        mutating func flow(_ t: Tree) -> String {
            let sp = next(2) == 0 ? "" : " "
            switch t {
            case .scalar(let s): return scalar(s, flow: true)
            case .null: return null()
            case .sequence(let items): return "[" + sp + items.map { flow($0) }.joined(separator: "," + " ") + sp + "]"
            case .mapping(let pairs):
                return "{" + sp + pairs.map { k, v in
                    if case .null = v, next(3) == 0 { return scalar(k, flow: true) }
                    return scalar(k, flow: true) + ": " + flow(v)
                }.joined(separator: ", ") + sp + "}"
            }
        }

        /// The lines of `t` at `indent`.
        /// `blockOnly`: a list at its key's indentation, which must be a block list.
        mutating func block(_ t: Tree, indent: Int, step: Int, blockOnly: Bool = false, into out: inout [String]) {
            let pad = String(repeating: " ", count: indent)
            func comment() -> String { next(5) == 0 ? " # note" : "" }
            switch t {
            case .scalar, .null:
                out.append(pad + flow(t) + comment())
            case .sequence(let items) where !blockOnly && (items.isEmpty || next(4) == 0):
                out.append(pad + flow(t) + comment())
            case .mapping(let pairs) where pairs.isEmpty || next(5) == 0:
                out.append(pad + flow(t) + comment())
            case .sequence(let items):
                for item in items {
                    var inner: [String] = []
                    block(item, indent: indent + 2, step: step, into: &inner)
                    // `- ` and the item's first line joined; a lone `-` above a block.
                    if next(4) == 0, case .mapping = item {
                        out.append(pad + "-" + comment())
                        out.append(contentsOf: inner)
                    } else {
                        out.append(pad + "- " + inner[0].dropFirst(indent + 2))
                        out.append(contentsOf: inner.dropFirst())
                    }
                    if next(6) == 0 { out.append(next(2) == 0 ? "" : pad + "# between items") }
                }
            case .mapping(let pairs):
                for (k, v) in pairs {
                    let key = pad + scalar(k, flow: false) + ":"
                    switch v {
                    case .null where next(2) == 0:
                        out.append(key + comment())
                    case .sequence(let items) where !items.isEmpty && next(2) == 0:
                        out.append(key + comment())
                        // An indentless list: at the key's own indentation.
                        block(v, indent: indent, step: step, blockOnly: true, into: &out)
                    case .sequence(let items) where !items.isEmpty:
                        out.append(key)
                        block(v, indent: indent + step, step: step, into: &out)
                    case .mapping(let pairs) where !pairs.isEmpty:
                        out.append(key + comment())
                        block(v, indent: indent + step, step: step, into: &out)
                    default:
                        out.append(key + " " + flow(v) + comment())
                    }
                }
            }
        }

        mutating func document() -> String {
            var lines: [String] = next(5) == 0 ? ["---"] : []
            let root: Tree = next(6) == 0 ? tree(depth: 1) : .mapping([("network", tree(depth: 1))])
            block(root, indent: 0, step: 2 + 2 * next(2), into: &lines)
            return lines.joined(separator: "\n") + (next(4) == 0 ? "" : "\n")
        }
    }

    static let generated: [(String, String)] = {
        var g = Generator(state: 0x6b766d6e6574)
        return (0..<400).map { i in ("generated #\(i)", g.document()) }
    }()

    // MARK: - tests

    @Test("netplan fixtures read as Yams reads them", arguments: files)
    func fixturesSameAsYams(_ file: String) throws {
        try Self.expectSameAsYams(file, Self.text(file))
    }

    @Test("netplan(5)-style documents read as Yams reads them", arguments: examples.map(\.0))
    func examplesSameAsYams(_ name: String) throws {
        let text = try #require(Self.examples.first { $0.0 == name }?.1)
        try Self.expectSameAsYams(name, text)
    }

    @Test func generatedDocumentsSameAsYams() throws {
        var compared = 0
        for (name, text) in Self.generated {
            try Self.expectSameAsYams(name, text)
            compared += 1
        }
        #expect(compared == 400)
        // The generator reaches what the reader adds for netplan.
        let all = Self.generated.map(\.1).joined()
        for feature in ["- to: ", "- ~", "{", "[[", "''", "\\u0009", "---"] {
            #expect(all.contains(feature), "no generated document has \(feature)")
        }
    }

    /// The web config fixtures: the netplan subset reads each as the web config's does,
    /// and as Yams does (the web config's refusals of flow mappings and mappings in lists
    /// are its own subset's).
    @Test func webConfigFixturesSameInBothSubsets() throws {
        let fixtures = Self.here.appendingPathComponent("Fixtures")
        var compared = 0
        for dir in ["exporter-toolkit", "kvmnet", "refused"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(dir).path).sorted()
            where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                let text = try String(contentsOf: fixtures.appendingPathComponent("\(dir)/\(name)"), encoding: .utf8)
                let web = try? YAMLSubsetParser.parse(text, subset: .webConfig)
                guard let netplan = try? YAMLSubsetParser.parse(text, subset: .netplan) else {
                    #expect(web == nil, "\(dir)/\(name): the web config subset reads it, the netplan one does not")
                    continue
                }
                if let web { #expect(web == netplan, "\(dir)/\(name)") }
                try Self.expectSameAsYams("\(dir)/\(name)", text)
                compared += 1
            }
        }
        #expect(compared >= 30)
    }

    /// YAML outside the subset: valid for Yams, refused at this line with this message;
    /// `readsRest`: the value is left out and the rest of the file read.
    static let refused: [(name: String, text: String, line: Int, message: String, readsRest: Bool)] = [
        ("anchor", "network:\n  ethernets:\n    eth0: &common\n      mtu: 9000\n    eth1:\n      mtu: 1500\n", 3,
         "anchors and aliases (& and *) are not supported (netplan's files do not use it): left out", true),
        ("alias", "x: &x {mtu: 1}\nnetwork:\n  ethernets:\n    eth1: *x\n", 1, "anchors and aliases", true),
        ("alias in a list", "network:\n  x: &x eth1\n  bonds:\n    bond0:\n      interfaces:\n        - eth0\n        - *x\n", 2, "anchors and aliases", true),
        ("tag", "network:\n  version: !!int 2\n", 2, "tags (!) are not supported", true),
        ("literal block scalar", "network:\n  ethernets:\n    eth0:\n      dhcp-identifier: |\n        mac\n        more\n      mtu: 9000\n", 4,
         "block scalars (| and >) are not supported", true),
        ("folded block scalar in a list", "network:\n  x:\n    - >-\n      folded\n    - y\n", 3, "block scalars (| and >) are not supported", true),
        ("complex key", "network:\n  ? ethernets\n  : {}\n", 2, "complex keys (?) are not supported", true),
        ("flow collection as a key", "network:\n  version: 2\n  [a, b]: c\n", 3, "complex keys (flow collections as keys) are not supported", true),
        ("multi-line plain scalar", "network:\n  renderer: network\n    d\n", 3, "not valid YAML: unexpected indentation (values must fit on one line)", false),
        ("multi-line quoted scalar", "network:\n  renderer: \"network\n    d\"\n", 2, "not valid YAML: unterminated quoted value", false),
        ("multi-line flow list", "network:\n  bonds:\n    bond0:\n      interfaces: [eth0,\n                   eth1]\n", 4,
         "not valid YAML: unterminated flow list (flow collections must fit on one line)", false),
        ("multi-line flow mapping", "network:\n  ethernets:\n    eth0: {mtu: 9000,\n           dhcp4: true}\n", 3,
         "not valid YAML: unterminated flow mapping (flow collections must fit on one line)", false),
        ("two documents", "network:\n  version: 2\n---\nnetwork: {}\n", 3, "not valid YAML: several YAML documents in one file are not supported", false),
        ("a key: value in a flow list", "network:\n  x: [a: b]\n", 2, "not valid YAML: a \"key: value\" inside a flow list is not supported", false),
        ("a flow plain scalar ending in a colon", "network:\n  x: [fe80:: ]\n", 2, "not valid YAML: a \"key: value\" inside a flow list is not supported", false),
    ]

    @Test("YAML outside the subset: valid for Yams, refused with the line and the feature",
          arguments: refused.map(\.name))
    func refusedWithAClearError(_ name: String) throws {
        let c = try #require(Self.refused.first { $0.name == name })
        #expect(throws: Never.self, "\(name): Yams refuses it too") { _ = try yamsDocuments(c.text) }
        let file = NetplanParser.parse(c.text, path: Self.path)
        let problem = try #require(file.problems.first, "\(name): accepted: \(Self.render(file.root))")
        #expect(problem.line == c.line, "\(name): \(file.problems)")
        #expect(problem.message.contains(c.message), "\(name): \(file.problems)")
        #expect((file.root != nil) == c.readsRest, "\(name): \(Self.render(file.root))")
        if c.readsRest {
            #expect(file.problems.allSatisfy { $0.message.contains(c.message) && $0.message.hasSuffix(": left out") }, "\(name): \(file.problems)")
        } else {
            #expect(file.problems.count == 1 && problem.message.hasPrefix("not valid YAML: "), "\(name): \(file.problems)")
        }
    }

    /// What is left out is exactly the refused value: the rest equals Yams' tree of the
    /// same file without it.
    @Test func leftOutValuesLeaveTheRestAsYamsReadsIt() throws {
        let anchored = "network:\n  ethernets:\n    eth0: &common\n      mtu: 9000\n    eth1:\n      mtu: 1500\n"
        let without = "network:\n  ethernets:\n\n\n    eth1:\n      mtu: 1500\n"
        // (The mapping itself stays where it was written: at the left-out key's line.)
        func ethernets(_ root: NetplanNode?) -> [NetplanEntry]? { root?["network"]?["ethernets"]?.entries }
        #expect(ethernets(NetplanParser.parse(anchored, path: Self.path).root) == ethernets(try Self.yams(without)))
        let block = "network:\n  ethernets:\n    eth0:\n      dhcp-identifier: |\n        mac\n      mtu: 9000\n"
        let withoutBlock = "network:\n  ethernets:\n    eth0:\n\n\n      mtu: 9000\n"
        func eth0(_ root: NetplanNode?) -> [NetplanEntry]? { root?["network"]?["ethernets"]?["eth0"]?.entries }
        #expect(eth0(NetplanParser.parse(block, path: Self.path).root) == eth0(try Self.yams(withoutBlock)))
    }

    /// A key written twice in one mapping: refused by both (Yams' composer too).
    @Test func duplicateKeysRefusedByBoth() throws {
        for text in ["network:\n  version: 2\n  version: 2\n", "network: {version: 2, version: 2}\n"] {
            #expect(throws: (any Error).self) { _ = try compose(yaml: text) }
            let file = NetplanParser.parse(text, path: Self.path)
            #expect(file.root == nil && file.problems.map(\.message) == ["not valid YAML: key \"version\" is already set in this mapping"], "\(file.problems)")
        }
    }
}
