/// Encodes `Encodable` values as JSON, keys sorted and pretty-printed (two spaces), the
/// format of docs/diag-json.md, without Foundation: the agent serves `/diagnose` with it,
/// and keeping Foundation (with ICU and libxml2) out of the agent keeps its binary and
/// resident memory small.
///
/// Every key is written: an optional without a value becomes `null`, never a missing key
/// (docs/diag-json.md: "every key is always present"). The keyed container does this in
/// `encodeIfPresent`, which synthesized `encode(to:)` methods call for optionals, so no
/// type writes its nulls by hand.
///
/// Numbers: integers exactly; a `Double` with an integral value below 2^53 without a
/// fraction (`3`, as Foundation's encoder writes it), others in Swift's shortest
/// round-trip form; NaN and infinities are refused (JSON has no such numbers). Strings:
/// `"` and `\` escaped, control characters as `\n`, `\t`, ... or `\u00XX`; `/` and
/// non-ASCII text as they are.
public enum JSONOutput {
    /// Why a value could not be written.
    public struct EncodingFailure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// `value` as UTF-8 JSON text, followed by no newline.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = JSONNode()
        try value.encode(to: JSONTreeEncoder(node: root, path: []))
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(root, indent: 0, to: &out)
        return out
    }

    static func write(_ node: JSONNode, indent: Int, to out: inout [UInt8]) {
        switch node.value {
        case .unset, .null:
            out += Array("null".utf8)
        case .bool(let b):
            out += Array((b ? "true" : "false").utf8)
        case .number(let text):
            out += Array(text.utf8)
        case .string(let s):
            writeString(s, to: &out)
        case .array:
            let items = node.items
            if items.isEmpty { return out += Array("[]".utf8) }
            out += Array("[\n".utf8)
            for (i, item) in items.enumerated() {
                out += [UInt8](repeating: 0x20, count: indent + 2)
                write(item, indent: indent + 2, to: &out)
                out += Array((i + 1 < items.count ? ",\n" : "\n").utf8)
            }
            out += [UInt8](repeating: 0x20, count: indent)
            out.append(UInt8(ascii: "]"))
        case .object:
            let fields = node.fields
            if fields.isEmpty { return out += Array("{}".utf8) }
            out += Array("{\n".utf8)
            let keys = fields.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                out += [UInt8](repeating: 0x20, count: indent + 2)
                writeString(key, to: &out)
                out += Array(" : ".utf8)
                write(fields[key]!, indent: indent + 2, to: &out)
                out += Array((i + 1 < keys.count ? ",\n" : "\n").utf8)
            }
            out += [UInt8](repeating: 0x20, count: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A finite Double as JSON.
    static func number(_ v: Double, path: [CodingKey]) throws -> String {
        guard v.isFinite else {
            throw EncodingFailure(path: pathText(path), message: "\(v) is not a JSON number")
        }
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
        return String(v)
    }

    static func pathText(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

/// One value of the tree being built; containers hand out references to their children,
/// which the encoding fills in later (in place: no copy of a container per element).
final class JSONNode {
    enum Value {
        case unset, null, bool(Bool), number(String), string(String)
        /// Elements in ``items``.
        case array
        /// Members in ``fields``.
        case object
    }
    var value: Value = .unset
    var items: [JSONNode] = []
    var fields: [String: JSONNode] = [:]
}

/// `Encoder` that fills a ``JSONNode``.
struct JSONTreeEncoder: Encoder {
    let node: JSONNode
    let path: [CodingKey]
    var codingPath: [CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.value {} else { node.value = .object }
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(node: node, path: path))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array = node.value {} else { node.value = .array }
        return JSONUnkeyedContainer(node: node, path: path)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        JSONSingleValueContainer(node: node, path: path)
    }
}

/// Encodes one value into a node: shared by the three container kinds.
enum JSONScalar {
    static func encode<T: Encodable>(_ value: T, into node: JSONNode, path: [CodingKey]) throws {
        switch value {
        case let v as String: node.value = .string(v)
        case let v as Bool: node.value = .bool(v)
        case let v as Double: node.value = .number(try JSONOutput.number(v, path: path))
        case let v as Float: node.value = .number(try JSONOutput.number(Double(v), path: path))
        case let v as Int: node.value = .number(String(v))
        case let v as Int8: node.value = .number(String(v))
        case let v as Int16: node.value = .number(String(v))
        case let v as Int32: node.value = .number(String(v))
        case let v as Int64: node.value = .number(String(v))
        case let v as UInt: node.value = .number(String(v))
        case let v as UInt8: node.value = .number(String(v))
        case let v as UInt16: node.value = .number(String(v))
        case let v as UInt32: node.value = .number(String(v))
        case let v as UInt64: node.value = .number(String(v))
        default: try value.encode(to: JSONTreeEncoder(node: node, path: path))
        }
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let path: [CodingKey]
    var codingPath: [CodingKey] { path }

    private func child(_ key: Key) -> JSONNode { child(named: key.stringValue) }

    private func child(named name: String) -> JSONNode {
        if let existing = node.fields[name] { return existing }
        let c = JSONNode()
        node.fields[name] = c
        return c
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).value = .null }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try JSONScalar.encode(value, into: child(key), path: path + [key])
    }

    /// An absent optional is `null`: every key is present.
    private mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    // Every overload of the protocol, which by default leaves the key out.
    mutating func encodeIfPresent<T: Encodable>(_ v: T?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Bool?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: String?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Double?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Float?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Int?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Int8?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Int16?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Int32?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: Int64?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: UInt?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: UInt8?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: UInt16?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: UInt32?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }
    mutating func encodeIfPresent(_ v: UInt64?, forKey key: Key) throws { try encodeOrNull(v, forKey: key) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        JSONTreeEncoder(node: child(key), path: path + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        JSONTreeEncoder(node: child(key), path: path + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        JSONTreeEncoder(node: child(named: "super"), path: path + [JSONSuperKey()])
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        JSONTreeEncoder(node: child(key), path: path + [key])
    }
}

/// The key `super`, under which `superEncoder()` writes (Swift's convention).
struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { guard stringValue == "super" else { return nil } }
    init?(intValue: Int) { return nil }
}

/// An array index as a coding key (for error paths).
struct JSONIndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let path: [CodingKey]
    var codingPath: [CodingKey] { path }
    var count: Int { node.items.count }

    private func append() -> JSONNode {
        let c = JSONNode()
        node.items.append(c)
        return c
    }

    mutating func encodeNil() throws { append().value = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try JSONScalar.encode(value, into: append(), path: path + [JSONIndexKey(index)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        return JSONTreeEncoder(node: append(), path: path + [JSONIndexKey(index)]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let index = count
        return JSONTreeEncoder(node: append(), path: path + [JSONIndexKey(index)]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        let index = count
        return JSONTreeEncoder(node: append(), path: path + [JSONIndexKey(index)])
    }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let path: [CodingKey]
    var codingPath: [CodingKey] { path }

    mutating func encodeNil() throws { node.value = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try JSONScalar.encode(value, into: node, path: path)
    }
}
