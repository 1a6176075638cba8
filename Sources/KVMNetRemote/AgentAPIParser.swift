import Foundation
import KVMNetDiagnose

/// Reads the agent API's answers (docs/api.md). Pure: bytes in, a value or a
/// ``RemoteError`` out; `url` only names the source in errors.
public enum AgentAPIParser {
    /// The API version this client speaks.
    public static let version = 1

    struct Envelope: Decodable {
        var apiVersion: Int?
        var error: String?
        enum CodingKeys: String, CodingKey { case apiVersion = "api_version", error }
    }

    struct SnapshotEnvelope: Decodable {
        var snapshot: DiagSnapshot
    }

    /// Checks `api_version` of an answer and returns it decoded as `T`.
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], url: String) throws(RemoteError) -> T {
        let data = Data(body)
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch {
            throw .malformed(url: url, why: "not a JSON object (\(String(decoding: body.prefix(60), as: UTF8.self)))")
        }
        guard let v = envelope.apiVersion else { throw .malformed(url: url, why: "no api_version") }
        guard v == version else { throw .apiVersion(url: url, got: v, wanted: version) }
        if let e = envelope.error { throw .malformed(url: url, why: e) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw .malformed(url: url, why: "\(key.stringValue) missing at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw .malformed(url: url, why: "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw .malformed(url: url, why: "\(error)")
        }
    }

    /// `/api/v1/snapshot`.
    public static func snapshot(_ body: [UInt8], url: String) throws(RemoteError) -> DiagSnapshot {
        let snapshot = try decode(SnapshotEnvelope.self, body, url: url).snapshot
        guard snapshot.schemaVersion <= DiagSnapshot.currentSchemaVersion else {
            throw .malformed(url: url, why: "snapshot schema \(snapshot.schemaVersion) is newer than this kvmnet-diag's \(DiagSnapshot.currentSchemaVersion): upgrade kvmnet-diag")
        }
        return snapshot
    }

    /// `/api/v1/fdb`.
    public static func fdb(_ body: [UInt8], url: String) throws(RemoteError) -> FDBLookup {
        try decode(FDBLookup.self, body, url: url)
    }

    /// The error message of a 4xx/5xx answer, when it is the API's JSON.
    static func errorMessage(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(Envelope.self, from: Data(body)))?.error
    }
}

/// Reads Prometheus' HTTP API answers: instant queries and the targets list. Pure.
public enum PrometheusAPIParser {
    struct Response<T: Decodable>: Decodable {
        var status: String
        var data: T?
        var errorType: String?
        var error: String?
    }

    struct VectorData: Decodable {
        var resultType: String
        var result: [Sample]
    }

    struct Sample: Decodable {
        var metric: [String: String]
    }

    struct TargetsData: Decodable {
        var activeTargets: [Target]
    }

    struct Target: Decodable {
        var labels: [String: String]
        var scrapeUrl: String
        var health: String?
        var lastError: String?
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], url: String) throws(RemoteError) -> T {
        let r: Response<T>
        do {
            r = try JSONDecoder().decode(Response<T>.self, from: Data(body))
        } catch {
            throw .malformed(url: url, why: "not a Prometheus API answer (\(String(decoding: body.prefix(60), as: UTF8.self)))")
        }
        guard r.status == "success", let data = r.data else {
            throw .prometheus(url: url, errorType: r.errorType ?? r.status, message: r.error ?? "no data")
        }
        return data
    }

    /// The label sets of an instant vector.
    public static func vector(_ body: [UInt8], url: String) throws(RemoteError) -> [[String: String]] {
        let data = try decode(VectorData.self, body, url: url)
        guard data.resultType == "vector" else { throw .malformed(url: url, why: "expected a vector, got \(data.resultType)") }
        return data.result.map(\.metric)
    }

    /// One active target: its `instance` label, scrape URL and health.
    public struct ActiveTarget: Sendable, Hashable {
        public var instance: String
        public var scrapeURL: String
        public var health: String
        public var lastError: String
    }

    public static func activeTargets(_ body: [UInt8], url: String) throws(RemoteError) -> [ActiveTarget] {
        try decode(TargetsData.self, body, url: url).activeTargets.compactMap { t in
            t.labels["instance"].map { ActiveTarget(instance: $0, scrapeURL: t.scrapeUrl, health: t.health ?? "unknown", lastError: t.lastError ?? "") }
        }
    }

    /// A PromQL string literal.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// Percent-encoding for a query parameter's value.
    public static func formEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
