import KVMNetSources

extension DiagSnapshot {
    /// The snapshot with the secrets in the text of its files replaced by `********`, for
    /// serving it to another host (the agent's `/api/v1/snapshot`).
    ///
    /// NetworkManager keyfiles hold Wi-Fi and 802.1X passwords (`psk=`, `password=`), ifcfg
    /// files `WPA_PSK=` and `IPSEC_PSK`, libvirt XML a console's `passwd='...'`. Only values
    /// are masked: every line stays where it was, so evidence that cites a file and line
    /// points at the same line in the masked text.
    public func maskingSecrets() -> DiagSnapshot {
        var out = self
        out.files = files.map { file in
            var f = file
            f.text = SecretMasking.mask(file.text)
            return f
        }
        return out
    }
}

/// Finds and masks secret values, line by line.
enum SecretMasking {
    static let mask = "********"

    /// Whether a configuration key names a secret (`psk`, `password`, `WPA_PSK`,
    /// `private-key-password`, `wep-key0`, `secret`, `pin`...), case-insensitively.
    static func isSecretKey(_ key: some StringProtocol) -> Bool {
        let k = String(key.lowercased().filter { !" \t\"'".contains($0) })
        if ["pin", "secret", "secrets", "token", "credentials"].contains(k) { return true }
        return ["psk", "password", "passwd", "passphrase", "secret", "wep-key", "wep_key", "private-key", "private_key", "token"]
            .contains { k.contains($0) }
    }

    static func mask(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(maskLine).joined(separator: "\n")
    }

    /// `key=value`, `key: value` and `key value` lines with a secret key; in XML,
    /// attributes such as `passwd='...'`.
    static func maskLine(_ line: Substring) -> String {
        var s = String(line)
        if s.contains("<") { s = maskXMLAttributes(s) }
        let trimmed = s.drop { $0 == " " || $0 == "\t" }
        guard let sep = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" || $0 == " " || $0 == "\t" }) else { return s }
        let key = trimmed[..<sep]
        guard !key.isEmpty, !key.contains("<"), isSecretKey(key) else { return s }
        let value = trimmed[trimmed.index(after: sep)...].drop { $0 == " " || $0 == "\t" || $0 == "=" || $0 == ":" }
        guard !value.isEmpty else { return s }
        let prefixLength = s.count - value.count
        return String(s.prefix(prefixLength)) + mask
    }

    /// `name='value'` / `name="value"` inside a tag, for secret names.
    static func maskXMLAttributes(_ line: String) -> String {
        var out = ""
        var rest = Substring(line)
        while let eq = rest.firstIndex(of: "=") {
            let before = rest[..<eq]
            let afterEq = rest.index(after: eq)
            guard afterEq < rest.endIndex, rest[afterEq] == "'" || rest[afterEq] == "\"" else {
                out += rest[...eq]
                rest = rest[afterEq...]
                continue
            }
            let quote = rest[afterEq]
            let valueStart = rest.index(after: afterEq)
            guard let close = rest[valueStart...].firstIndex(of: quote) else { break }
            let name = before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            out += rest[...afterEq]
            out += isSecretKey(String(name.reversed())) ? mask : String(rest[valueStart..<close])
            out.append(quote)
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
