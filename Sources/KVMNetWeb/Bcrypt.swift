#if canImport(Glibc)
import CLibcShim
import Glibc
#endif

/// Why a string is not a usable bcrypt hash, or bcrypt is not available.
public enum BcryptError: Error, Equatable, CustomStringConvertible {
    case notBcrypt
    case badCost(Int)
    case badLength(Int)
    case badCharacters
    case libcryptMissing(String)

    public var description: String {
        switch self {
        case .notBcrypt: return "not a bcrypt hash (it must start with $2y$, $2b$ or $2a$ and a two-digit cost)"
        case .badCost(let c): return "bcrypt cost \(c) out of range 4...31"
        case .badLength(let n): return "a bcrypt hash has 60 characters, this one \(n)"
        case .badCharacters: return "a bcrypt hash holds only ./A-Za-z0-9 after the cost"
        case .libcryptMissing(let why): return "bcrypt is unavailable: \(why) (Debian's libcrypt1, libxcrypt, provides it)"
        }
    }
}

/// The shape of a bcrypt hash (`$2y$10$` + 22 characters of salt + 31 of hash).
public enum BcryptHash {
    /// Throws unless `hash` is a well-formed bcrypt hash; what exporter-toolkit's
    /// `bcrypt.Cost` check refuses at start is refused here too.
    public static func validate(_ hash: String) throws(BcryptError) {
        let bytes = Array(hash.utf8)
        guard bytes.count >= 7, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)) else { throw .notBcrypt }
        guard (4...31).contains(cost) else { throw .badCost(cost) }
        guard bytes.count == 60 else { throw .badLength(bytes.count) }
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        guard bytes[7...].allSatisfy({ alphabet.contains($0) }) else { throw .badCharacters }
    }
}

/// Checks passwords against bcrypt hashes with the system's libcrypt (libxcrypt, which
/// knows `$2a$`, `$2b$` and `$2y$`), loaded at run time so that nothing links against it;
/// `crypt_rn` and its work area are typed by `<crypt.h>` (CLibcShim).
public struct BcryptVerifier: Sendable {
    private let cryptRN: kvmnet_crypt_rn_fn

    /// `sizeof(struct crypt_data)`.
    private static let dataSize = Int(kvmnet_crypt_data_size())

    /// Loads libcrypt and checks that it computes bcrypt correctly (a known vector).
    public init() throws(BcryptError) {
        // Debian and Ubuntu ship libxcrypt as libcrypt.so.1; Fedora and RHEL as libcrypt.so.2.
        guard let handle = dlopen("libcrypt.so.1", RTLD_NOW) ?? dlopen("libcrypt.so.2", RTLD_NOW)
                ?? dlopen("libcrypt.so", RTLD_NOW) else {
            throw .libcryptMissing("cannot load libcrypt.so.1 or libcrypt.so.2")
        }
        guard let cryptRN = kvmnet_crypt_rn(handle) else {
            throw .libcryptMissing("libcrypt has no crypt_rn (it is not libxcrypt)")
        }
        self.cryptRN = cryptRN
        // The OpenBSD test vector: "U*U" with cost 5 and an all-"C" salt.
        let known = "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        guard crypt("U*U", setting: known) == known, crypt("U*U", setting: "$2y$" + known.dropFirst(4)) == "$2y$" + known.dropFirst(4) else {
            throw .libcryptMissing("libcrypt does not compute bcrypt ($2b$/$2y$) correctly")
        }
    }

    /// Whether `password` hashes to `hash`; compares in constant time.
    public func verify(password: String, hash: String) -> Bool {
        guard let computed = crypt(password, setting: hash) else { return false }
        let a = Array(computed.utf8), b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    private func crypt(_ password: String, setting: String) -> String? {
        // bcrypt uses at most 72 bytes; libxcrypt refuses passwords with a NUL.
        guard !password.utf8.contains(0) else { return nil }
        let data = UnsafeMutableRawPointer.allocate(byteCount: Self.dataSize, alignment: 16)
        defer {
            memset(data, 0, Self.dataSize)
            data.deallocate()
        }
        memset(data, 0, Self.dataSize)
        return password.withCString { p in
            setting.withCString { s in
                cryptRN(p, s, data, Int32(Self.dataSize)).map { String(cString: $0) }
            }
        }
    }
}
