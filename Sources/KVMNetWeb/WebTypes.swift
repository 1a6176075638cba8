/// An HTTP request as the routes see it.
public struct WebRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// The raw query string (after `?`), empty when none.
    public var query: String
    public var headers: [(name: String, value: String)]

    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An HTTP response.
public struct WebResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(name: String, value: String)]

    public init(status: Int, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public init(status: Int, contentType: String, text: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, contentType: contentType, body: Array(text.utf8), headers: headers)
    }

    public static func notFound(_ path: String) -> WebResponse {
        WebResponse(status: 404, contentType: "text/plain; charset=utf-8", text: "404 page not found: \(path)\n")
    }
}

/// Answers requests. Called on the server's event loop thread; it must not block for long.
public typealias WebHandler = @Sendable (WebRequest) -> WebResponse
