import Foundation

/// A throwaway PKI made with openssl: a CA, a server certificate for 127.0.0.1 and
/// localhost, a client certificate signed by the CA, and a self-signed "rogue" client
/// certificate that no CA vouches for. EC P-256 keys: quick to make.
struct TestPKI {
    let directory: String
    var caCert: String { "\(directory)/ca.crt" }
    var serverCert: String { "\(directory)/server.crt" }
    var serverKey: String { "\(directory)/server.key" }
    var clientCert: String { "\(directory)/client.crt" }
    var clientKey: String { "\(directory)/client.key" }
    var rogueCert: String { "\(directory)/rogue.crt" }
    var rogueKey: String { "\(directory)/rogue.key" }

    init(in directory: String) throws {
        self.directory = directory
        guard let openssl = Paths.tool("openssl") else { throw TestFailure("openssl is not installed: run scripts/install-deps") }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func ssl(_ args: [String]) throws {
            let r = try run(openssl, args)
            guard r.status == 0 else { throw TestFailure("openssl \(args.joined(separator: " ")): \(r.stderr)") }
        }
        let d = directory
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: "\(d)/client.ext", atomically: true, encoding: .utf8)
        try ssl(["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.crt", "-days", "2", "-subj", "/CN=kvmnet test CA"])
        try ssl(["req"] + ec + ["-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        try ssl(["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.crt", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                 "-out", "\(d)/server.crt", "-days", "2", "-extfile", "\(d)/server.ext"])
        try ssl(["req"] + ec + ["-keyout", "\(d)/client.key", "-out", "\(d)/client.csr", "-subj", "/CN=prometheus"])
        try ssl(["x509", "-req", "-in", "\(d)/client.csr", "-CA", "\(d)/ca.crt", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                 "-out", "\(d)/client.crt", "-days", "2", "-extfile", "\(d)/client.ext"])
        try ssl(["req", "-x509"] + ec + ["-keyout", "\(d)/rogue.key", "-out", "\(d)/rogue.crt", "-days", "2", "-subj", "/CN=rogue"])
    }
}

/// bcrypt hashes ($2y$, cost 10) of test passwords, made with libxcrypt.
enum TestPasswords {
    static let alice = (name: "alice", password: "s3cret-pw", hash: "$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i")
    /// A password with a colon and a blank: only the first colon separates user and password.
    static let bob = (name: "bob", password: "other pw: with colon", hash: "$2y$10$YNdnnbDTwgF.q.Uj6Y1xVevAlJzZVFc4.0VzyXbMB.YTku5gCcxCq")
}
