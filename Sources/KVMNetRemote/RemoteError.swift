/// Why kvmnet-diag could not get what it needed from an agent or from Prometheus. Each
/// case names the URL and says what to do; none carries errno text to compare.
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not an `http://` or `https://` URL, or a `--peer` that is not `HOST:PORT`.
    case badAddress(String, why: String)
    /// The TCP or TLS connection failed.
    case unreachable(url: String, why: String)
    case timedOut(url: String, seconds: Double)
    /// The body was larger than the client takes.
    case tooLarge(url: String, limit: Int)
    /// A status other than 200, with the start of the body.
    case httpStatus(url: String, status: Int, body: String)
    /// 401/403: credentials missing or refused.
    case unauthorized(url: String, status: Int)
    /// The agent has no `/api/v1` (an older kvmnet-agent, or not a kvmnet-agent at all).
    case noAgentAPI(url: String, why: String)
    /// The agent speaks another API version.
    case apiVersion(url: String, got: Int, wanted: Int)
    /// The answer is not what the API documents.
    case malformed(url: String, why: String)
    /// Prometheus answered with `"status": "error"`.
    case prometheus(url: String, errorType: String, message: String)
    /// The client's TLS settings do not load (`--http.config`).
    case tlsSetup(String)

    public var description: String {
        switch self {
        case .badAddress(let a, let why): return "\(a): \(why)"
        case .unreachable(let url, let why): return "cannot reach \(url): \(why)"
        case .timedOut(let url, let s): return "\(url) did not answer within \(Int(s)) s"
        case .tooLarge(let url, let limit): return "\(url) answered with more than \(limit / 1_048_576) MiB: refused"
        case .httpStatus(let url, let status, let body): return "\(url) answered HTTP \(status)\(body.isEmpty ? "" : ": \(body)")"
        case .unauthorized(let url, let status): return "\(url) answered HTTP \(status): give credentials with --http.config FILE (basic_auth or authorization, as in Prometheus' http client config)"
        case .noAgentAPI(let url, let why): return "\(url) has no kvmnet agent API v1 (\(why)): the agent there is older than this kvmnet-diag, or not a kvmnet-agent; upgrade it"
        case .apiVersion(let url, let got, let wanted): return "\(url) speaks kvmnet agent API version \(got), this kvmnet-diag speaks \(wanted): upgrade the older of the two"
        case .malformed(let url, let why): return "\(url) answered something that is not the kvmnet agent API: \(why)"
        case .prometheus(let url, let type, let message): return "Prometheus at \(url): \(type): \(message)"
        case .tlsSetup(let why): return "TLS client settings: \(why)"
        }
    }
}
