import NIOSSL

/// A loaded TLS server setup: one NIOSSL context for every connection until the config
/// or one of its files changes.
struct TLSServerSetup: @unchecked Sendable {  // NIOSSLContext is thread-safe
    let context: NIOSSLContext
    /// RequestClientCert / RequireAnyClientCert: a client certificate is taken unverified.
    let acceptsAnyClientCertificate: Bool

    /// The TLS handler for a new connection.
    func makeHandler() -> NIOSSLServerHandler {
        if acceptsAnyClientCertificate {
            return NIOSSLServerHandler(context: context, customVerificationCallback: { _, promise in
                promise.succeed(.certificateVerified)
            })
        }
        return NIOSSLServerHandler(context: context)
    }
}

/// Builds a ``TLSServerSetup`` from `tls_server_config`, loading the certificate, the key
/// and the client CAs now, so that a file that does not load is an error at start.
enum TLSContextFactory {
    /// - Returns: the setup and the signatures of the files read (to notice changes).
    static func make(_ c: TLSServerConfig, configFile: String) throws(WebConfigError) -> (TLSServerSetup, [String: FileSignature]) {
        var signatures: [String: FileSignature] = [:]
        func load(_ path: String, field: String) throws(WebConfigError) -> [UInt8] {
            switch FileSnapshot.read(path) {
            case .success(let s):
                signatures[path] = s.signature
                return s.bytes
            case .failure(let e):
                throw WebConfigError(file: configFile, problem: .unreadable(path: path, reason: "\(field): \(e.reason)"))
            }
        }
        let certBytes = try load(c.certFile, field: "cert_file")
        let keyBytes = try load(c.keyFile, field: "key_file")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certBytes)
        } catch {
            throw WebConfigError(file: configFile, problem: .invalid("cert_file \(c.certFile): not a PEM certificate (\(error))"))
        }
        guard !chain.isEmpty else {
            throw WebConfigError(file: configFile, problem: .invalid("cert_file \(c.certFile): no PEM certificate in it"))
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw WebConfigError(file: configFile, problem: .invalid("key_file \(c.keyFile): not an unencrypted PEM private key (\(error))"))
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = nioVersion(c.minVersion)
        tls.maximumTLSVersion = nioVersion(c.maxVersion)
        // TLS 1.3 suites cannot be chosen (neither in Go): only the older ones are passed on.
        let ciphers = c.cipherSuites.filter { !(0x1301...0x1303).contains($0) }
        if !ciphers.isEmpty { tls.cipherSuiteValues = ciphers.map { NIOTLSCipher(rawValue: $0) } }
        if !c.curves.isEmpty { tls.curves = c.curves.map { NIOTLSCurve(rawValue: $0) } }

        var anyCertificate = false
        switch c.clientAuth {
        case .noClientCert:
            tls.certificateVerification = .none
        case .requestClientCert:
            tls.certificateVerification = .optionalVerification
            anyCertificate = true
        case .requireAnyClientCert:
            tls.certificateVerification = .noHostnameVerification
            anyCertificate = true
        case .verifyClientCertIfGiven:
            tls.certificateVerification = .optionalVerification
        case .requireAndVerifyClientCert:
            tls.certificateVerification = .noHostnameVerification
        }
        if let caFile = c.clientCAFile {
            let caBytes = try load(caFile, field: "client_ca_file")
            let cas: [NIOSSLCertificate]
            do {
                cas = try NIOSSLCertificate.fromPEMBytes(caBytes)
            } catch {
                throw WebConfigError(file: configFile, problem: .invalid("client_ca_file \(caFile): not PEM certificates (\(error))"))
            }
            guard !cas.isEmpty else {
                throw WebConfigError(file: configFile, problem: .invalid("client_ca_file \(caFile): no PEM certificate in it"))
            }
            tls.trustRoots = .certificates(cas)
            tls.sendCANameList = true
        } else if anyCertificate {
            tls.trustRoots = .certificates([])
        } else {
            tls.trustRoots = .default  // Go's behaviour without client CAs: the system's roots
        }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return (TLSServerSetup(context: context, acceptsAnyClientCertificate: anyCertificate), signatures)
        } catch {
            throw WebConfigError(file: configFile, problem: .invalid("TLS setup failed (does key_file \(c.keyFile) belong to cert_file \(c.certFile)? are cipher_suites and versions compatible?): \(error)"))
        }
    }

    private static func nioVersion(_ v: TLSProtocolVersion) -> TLSVersion {
        switch v {
        case .tls10: return .tlsv1
        case .tls11: return .tlsv11
        case .tls12: return .tlsv12
        case .tls13: return .tlsv13
        }
    }
}
