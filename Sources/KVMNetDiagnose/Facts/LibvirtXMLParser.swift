import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

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
}

/// Pure parser of libvirt's domain and network XML: text in, values out.
///
/// Understands the running state files (`<domstatus>` wrapping `<domain>`,
/// `<networkstatus>` wrapping `<network>`) and the defined configuration files
/// (`<domain>`, `<network>`). Only the elements the checks need are kept.
public enum LibvirtXMLParser {
    public static func parse(_ text: String, file: String) throws(LibvirtXMLError) -> LibvirtDocument {
        let collector = LibvirtXMLCollector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        if !parser.parse() {
            let message = parser.parserError.map { "\($0.localizedDescription)" } ?? "malformed XML"
            throw LibvirtXMLError(line: parser.lineNumber, message: message)
        }
        return try collector.document(file: file, lastLine: parser.lineNumber)
    }
}

/// XMLParser delegate that follows the element path and collects what matters.
private final class LibvirtXMLCollector: NSObject, XMLParserDelegate {
    private var stack: [String] = []
    private var text = ""
    private var root: String?
    /// Set when the root element's end tag was seen: a truncated file never gets there.
    private var rootClosed = false

    private var domainName: String?
    private var domainUUID: String?
    private var interfaces: [LibvirtInterface] = []
    private var current: LibvirtInterface?

    private var networkName: String?
    private var networkBridge: String?
    private var forwardMode: String?

    func document(file: String, lastLine: Int) throws(LibvirtXMLError) -> LibvirtDocument {
        if root != nil && !rootClosed {
            throw LibvirtXMLError(line: lastLine, message: "document ends before </\(root ?? "")>")
        }
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

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        stack.append(name)
        text = ""
        let path = Array(inner)
        if inDomain {
            if path == ["devices", "interface"] {
                current = LibvirtInterface(type: attributes["type"] ?? "unknown", line: parser.lineNumber)
            } else if path.count == 3, path[0] == "devices", path[1] == "interface", current != nil {
                interfaceChild(name, attributes: attributes, line: parser.lineNumber)
            }
        } else if inNetwork {
            if path == ["bridge"] { networkBridge = attributes["name"] }
            if path == ["forward"] { forwardMode = attributes["mode"] ?? "nat" }
        }
    }

    private func interfaceChild(_ name: String, attributes: [String: String], line: Int) {
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
        case "ip":
            if let address = attributes["address"] {
                iface.addresses.append(attributes["prefix"].map { "\(address)/\($0)" } ?? address)
            }
        default:
            break
        }
        current = iface
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?,
                qualifiedName: String?) {
        let path = Array(inner)
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if inDomain {
            if path == ["name"] { domainName = value }
            if path == ["uuid"] { domainUUID = value }
            if path == ["devices", "interface"], let iface = current {
                interfaces.append(iface)
                current = nil
            }
        } else if inNetwork, path == ["name"] {
            networkName = value
        }
        stack.removeLast()
        if stack.isEmpty { rootClosed = true }
        text = ""
    }
}
