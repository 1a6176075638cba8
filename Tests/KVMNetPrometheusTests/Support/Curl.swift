import Foundation

/// One HTTP exchange made with curl (a real TLS and basic-auth client).
struct CurlResult: CustomStringConvertible {
    /// curl's exit status: 0, or why there was no HTTP response (35 TLS handshake, 52 empty reply, 56 receive error, ...).
    var exitStatus: Int32
    /// HTTP status; `nil` when there was no response.
    var status: Int?
    /// Header names in lower case.
    var headers: [String: String]
    var body: String
    var stderr: String

    var description: String { "curl exit \(exitStatus), HTTP \(status.map(String.init) ?? "-"): \(stderr.prefix(300)) \(body.prefix(200))" }
}

enum Curl {
    /// Options of one request.
    struct Options {
        var caFile: String?
        var clientCert: (cert: String, key: String)?
        var user: (name: String, password: String)?
        var headers: [String] = []
        var extra: [String] = []
    }

    static func get(_ url: String, _ options: Options = Options()) throws -> CurlResult {
        guard let curl = Paths.tool("curl") else { throw TestFailure("curl is not installed: run scripts/install-deps") }
        var args = ["-sS", "-i", "--max-time", "10", "--noproxy", "*"]
        if let ca = options.caFile { args += ["--cacert", ca] }
        if let c = options.clientCert { args += ["--cert", c.cert, "--key", c.key] }
        if let u = options.user { args += ["-u", "\(u.name):\(u.password)"] }
        for h in options.headers { args += ["-H", h] }
        args += options.extra + [url]
        let r = try run(curl, args)
        var result = CurlResult(exitStatus: r.status, status: nil, headers: [:], body: "", stderr: r.stderr)
        guard r.status == 0, let end = r.stdout.range(of: "\r\n\r\n") else { return result }
        let head = r.stdout[..<end.lowerBound].split(separator: "\r\n")
        if let statusLine = head.first {
            let fields = statusLine.split(separator: " ")
            if fields.count >= 2 { result.status = Int(fields[1]) }
        }
        for line in head.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                result.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        result.body = String(r.stdout[end.upperBound...])
        return result
    }
}
