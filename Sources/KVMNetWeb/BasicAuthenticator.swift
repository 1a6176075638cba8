import KVMNetLock
/// HTTP basic authentication against `basic_auth_users`, as exporter-toolkit does it:
/// bcrypt for every new (user, hash, password) triple, results cached, and a fixed dummy
/// hash for unknown users so that timing does not tell which users exist.
final class BasicAuthenticator: Sendable {
    /// bcrypt of "fakepassword" (exporter-toolkit's), checked for unknown users.
    private static let dummyHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
    private static let cacheLimit = 100

    private let verifier: BcryptVerifier
    private let cache = Locked<[String: Bool]>([:])
    /// One bcrypt at a time: it is CPU-bound.
    private let bcryptLock = Locked<Void>(())

    init(verifier: BcryptVerifier) {
        self.verifier = verifier
    }

    /// Whether the request's `Authorization` header names one of `users` with the right password.
    func authenticate(authorization: String?, users: [String: String]) -> Bool {
        guard let authorization, let (user, password) = Self.credentials(authorization) else { return false }
        let known = users[user]
        let hash = known ?? Self.dummyHash
        let key = [user, hash, password].map { Array($0.utf8).map { String($0, radix: 16) }.joined(separator: ".") }
            .joined(separator: ":")
        if let cached = cache.withLock({ $0[key] }) { return cached && known != nil }
        let ok = bcryptLock.withLock { _ in verifier.verify(password: password, hash: hash) }
        cache.withLock { c in
            if c.count >= Self.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[key] = ok
        }
        return ok && known != nil
    }

    /// User and password of a `Basic` authorization header.
    static func credentials(_ header: String) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Base64.decode(parts[1].trimmingBlanks()),
              let text = String(validatingUTF8CString: decoded),
              let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

extension String {
    /// UTF-8 bytes as a string, `nil` when they are not valid UTF-8.
    init?(validatingUTF8CString bytes: [UInt8]) {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var out = ""
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.unicodeScalars.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = out
    }
}
