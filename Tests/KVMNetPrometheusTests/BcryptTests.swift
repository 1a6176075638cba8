import Testing
@testable import KVMNetWeb

/// bcrypt through the system's libcrypt, and the basic-auth header.
struct BcryptTests {
    @Test func libcryptVerifiesBcryptVariants() throws {
        let v = try BcryptVerifier()
        // Made by libxcrypt ($2y$), by Python's bcrypt style ($2b$), by OpenBSD ($2a$).
        #expect(v.verify(password: "s3cret-pw", hash: "$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i"))
        #expect(v.verify(password: "U*U", hash: "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"))
        #expect(v.verify(password: "U*U", hash: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"))
        // exporter-toolkit's dummy hash is "fakepassword".
        #expect(v.verify(password: "fakepassword", hash: "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"))
        #expect(!v.verify(password: "s3cret-pW", hash: "$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i"))
        #expect(!v.verify(password: "", hash: "$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i"))
        #expect(!v.verify(password: "U*U", hash: "not a hash"))
        #expect(!v.verify(password: "a\u{0}b", hash: "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"))
    }

    @Test func hashShapes() {
        #expect(throws: Never.self) { try BcryptHash.validate("$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i") }
        #expect(throws: BcryptError.notBcrypt) { try BcryptHash.validate("$1$abc$def") }
        #expect(throws: BcryptError.notBcrypt) { try BcryptHash.validate("hunter2") }
        #expect(throws: BcryptError.badCost(3)) { try BcryptHash.validate("$2y$03$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1i") }
        #expect(throws: BcryptError.badLength(59)) { try BcryptHash.validate("$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1") }
        #expect(throws: BcryptError.badCharacters) { try BcryptHash.validate("$2y$10$MewSMMno63..1rAPG.q/DeX4X3ZrQKzixaXRkqG3/Y0LAPBhvae1!") }
    }

    @Test func basicCredentials() {
        // "alice:pa:ss" -> user alice, password "pa:ss".
        #expect(BasicAuthenticator.credentials("Basic YWxpY2U6cGE6c3M=").map { [$0.0, $0.1] } == ["alice", "pa:ss"])
        #expect(BasicAuthenticator.credentials("basic YWxpY2U6").map { [$0.0, $0.1] } == ["alice", ""])
        #expect(BasicAuthenticator.credentials("Basic YWxpY2U") == nil)  // no colon
        #expect(BasicAuthenticator.credentials("Bearer YWxpY2U6cGE6c3M=") == nil)
        #expect(BasicAuthenticator.credentials("Basic !!!") == nil)
        #expect(Base64.decode("YQ") == [0x61])
        #expect(Base64.decode("YWI=") == [0x61, 0x62])
    }

    @Test func authenticatorUsesTheUsersOfTheMoment() throws {
        let auth = BasicAuthenticator(verifier: try BcryptVerifier())
        let users = ["alice": "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"]
        let header = "Basic " + "YWxpY2U6VSpV"  // alice:U*U
        #expect(auth.authenticate(authorization: header, users: users))
        #expect(auth.authenticate(authorization: header, users: users))  // cached
        #expect(!auth.authenticate(authorization: header, users: [:]))
        #expect(!auth.authenticate(authorization: nil, users: users))
        // An unknown user whose password happens to be the dummy's is still refused.
        #expect(!auth.authenticate(authorization: "Basic bWFsbG9yeTpmYWtlcGFzc3dvcmQ=", users: users))  // mallory:fakepassword
    }

    @Test func rateLimiterBucket() {
        let r = RateLimiter(RateLimitConfig(intervalSeconds: 10, burst: 2), now: 100)
        #expect(r.allow(now: 100))
        #expect(r.allow(now: 100))
        #expect(!r.allow(now: 101))
        #expect(r.allow(now: 111))
        #expect(!r.allow(now: 112))
    }
}
