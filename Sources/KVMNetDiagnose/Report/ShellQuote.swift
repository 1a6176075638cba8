/// Quotes words for the fix commands the report prints. Nothing is ever executed; the
/// quoting only keeps a copy-pasted command safe when a name holds odd characters
/// (interface names may contain `$`, `;` or quotes).
public enum ShellQuote {
    /// The word itself when it is plain, else single-quoted.
    public static func word(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { c in
            c.isASCII && (c.isLetter || c.isNumber || "_.:@%+=,/-".contains(c))
        }
        if plain { return text }
        return "'" + text.replacingSingleQuotes() + "'"
    }
}

extension String {
    fileprivate func replacingSingleQuotes() -> String {
        var out = ""
        for c in self {
            if c == "'" { out += "'\\''" } else { out.append(c) }
        }
        return out
    }
}

/// Shorthand used by the checks' fix texts.
func q(_ text: String) -> String { ShellQuote.word(text) }
