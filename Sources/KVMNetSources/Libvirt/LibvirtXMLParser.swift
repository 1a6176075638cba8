import KVMNetModel

/// What one libvirt XML file holds.
public enum LibvirtDocument: Sendable, Hashable {
    case domain(LibvirtDomain)
    case network(LibvirtNetwork)
    /// Some other libvirt file (capabilities, snapshots, ...), identified by its root element.
    case other(root: String)
}

/// Why a libvirt XML file could not be understood.
public struct LibvirtXMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// Pure parser of libvirt's domain and network XML: text in, values out.
///
/// Understands the running state files (`<domstatus>` wrapping `<domain>`,
/// `<networkstatus>` wrapping `<network>`) and the defined configuration files
/// (`<domain>`, `<network>`). Only the elements the checks need are kept.
public enum LibvirtXMLParser {
    public static func parse(_ text: String, file: String) throws(LibvirtXMLError) -> LibvirtDocument {
        var collector = LibvirtXMLCollector()
        do {
            try XMLScanner.scan(text) { collector.handle($0) }
        } catch {
            throw LibvirtXMLError(line: error.line, message: error.message)
        }
        return try collector.document(file: file)
    }
}

/// Follows the element path of the scanner's events and collects what matters.
private struct LibvirtXMLCollector {
    private var stack: [String] = []
    private var text = ""
    private var root: String?

    private var domainName: String?
    private var domainUUID: String?
    private var interfaces: [LibvirtInterface] = []
    private var current: LibvirtInterface?

    private var networkName: String?
    private var networkBridge: String?
    private var forwardMode: String?

    /// The scanner has checked that the document is complete (its root closed).
    func document(file: String) throws(LibvirtXMLError) -> LibvirtDocument {
        switch root {
        case "domstatus", "domain":
            guard let name = domainName, !name.isEmpty else {
                throw LibvirtXMLError(line: 1, message: "<domain> has no <name>")
            }
            return .domain(LibvirtDomain(name: name, uuid: domainUUID, running: root == "domstatus",
                                         file: file, interfaces: interfaces))
        case "networkstatus", "network":
            guard let name = networkName, !name.isEmpty else {
                throw LibvirtXMLError(line: 1, message: "<network> has no <name>")
            }
            return .network(LibvirtNetwork(name: name, bridge: networkBridge, forwardMode: forwardMode,
                                           active: root == "networkstatus", file: file))
        case let other?:
            return .other(root: other)
        case nil:
            throw LibvirtXMLError(line: 1, message: "no root element")
        }
    }

    /// The path of the current element relative to the `<domain>`/`<network>` element.
    private var inner: ArraySlice<String> {
        if stack.first == "domstatus" || stack.first == "networkstatus" { return stack.dropFirst(2) }
        return stack.dropFirst()
    }

    private var inDomain: Bool {
        stack.first == "domain" || (stack.first == "domstatus" && stack.count > 1 && stack[1] == "domain")
    }

    private var inNetwork: Bool {
        stack.first == "network" || (stack.first == "networkstatus" && stack.count > 1 && stack[1] == "network")
    }

    mutating func handle(_ event: XMLScanner.Event) {
        switch event {
        case .start(let name, let attributes, let line): start(name, attributes: attributes, line: line)
        case .text(let t): text += t
        case .end: end()
        }
    }

    private mutating func start(_ name: String, attributes: [String: String], line: Int) {
        if root == nil { root = name }
        stack.append(name)
        text = ""
        let path = Array(inner)
        if inDomain {
            if path == ["devices", "interface"] {
                current = LibvirtInterface(type: attributes["type"] ?? "unknown", line: line)
            } else if path.count == 3, path[0] == "devices", path[1] == "interface", current != nil {
                interfaceChild(name, attributes: attributes, line: line)
            } else if path == ["devices", "interface", "vlan", "tag"] {
                vlanTag(attributes)
            }
        } else if inNetwork {
            if path == ["bridge"] { networkBridge = attributes["name"] }
            if path == ["forward"] { forwardMode = attributes["mode"] ?? "nat" }
        }
    }

    private mutating func interfaceChild(_ name: String, attributes: [String: String], line: Int) {
        guard var iface = current else { return }
        switch name {
        case "source":
            iface.sourceBridge = attributes["bridge"] ?? iface.sourceBridge
            iface.sourceNetwork = attributes["network"] ?? iface.sourceNetwork
            iface.sourceDevice = attributes["dev"] ?? iface.sourceDevice
            iface.childLines["source"] = line
        case "target":
            iface.targetDevice = attributes["dev"]
            iface.childLines["target"] = line
        case "mac":
            iface.mac = attributes["address"]?.lowercased()
            iface.childLines["mac"] = line
        case "link":
            iface.linkState = attributes["state"]
            iface.childLines["link"] = line
        case "model":
            iface.model = attributes["type"]
        case "vlan":
            iface.vlan = VMVLANRequest(tags: [], trunk: attributes["trunk"] == "yes")
            iface.childLines["vlan"] = line
        case "ip":
            if let address = attributes["address"] {
                iface.addresses.append(attributes["prefix"].map { "\(address)/\($0)" } ?? address)
            }
        default:
            break
        }
        current = iface
    }

    /// `<tag id='10' [nativeMode='untagged|tagged']/>` of an interface's `<vlan>`. A tag
    /// without an id in 0...4095 (libvirt's range) is left out.
    private mutating func vlanTag(_ attributes: [String: String]) {
        guard var vlan = current?.vlan, let id = attributes["id"].flatMap({ Int($0) }), (0...4095).contains(id) else { return }
        vlan.tags.append(id)
        if let mode = attributes["nativeMode"].flatMap(VMVLANRequest.NativeMode.init(rawValue:)) {
            vlan.nativeTag = id
            vlan.nativeMode = mode
        }
        current?.vlan = vlan
    }

    private mutating func end() {
        let path = Array(inner)
        let value = text.trimmedWhitespace()
        if inDomain {
            if path == ["name"] { domainName = value }
            if path == ["uuid"] { domainUUID = value }
            if path == ["devices", "interface"], var iface = current {
                if iface.vlan?.tags.isEmpty == true {
                    iface.vlan = nil
                    iface.childLines["vlan"] = nil
                }
                interfaces.append(iface)
                current = nil
            }
        } else if inNetwork, path == ["name"] {
            networkName = value
        }
        stack.removeLast()
        text = ""
    }
}
