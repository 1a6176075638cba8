/// Writes the text exposition format as UTF-8 bytes into one growing buffer.
///
/// Escaping works on bytes: `\`, `"` and newline are ASCII and never occur inside the
/// encoding of another character, so a label value in any script is escaped correctly.
struct ExpositionWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// The text written so far.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// `# HELP`, `# TYPE` and every sample of `family`, samples in label-value order.
    mutating func write(_ family: MetricFamily) {
        write("# HELP ")
        write(family.name)
        byte(0x20)
        writeEscaped(family.help, quote: false)
        write("\n# TYPE ")
        write(family.name)
        byte(0x20)
        write(family.type.rawValue)
        byte(0x0A)
        for i in SampleOrder.indices(of: family.samples) {
            write(family.name, family.samples[i])
        }
    }

    /// One sample line.
    mutating func write(_ name: String, _ s: Sample) {
        write(name)
        if !s.labels.isEmpty {
            byte(0x7B) // {
            for (i, l) in s.labels.enumerated() {
                if i > 0 { byte(0x2C) } // ,
                write(l.name)
                byte(0x3D) // =
                byte(0x22) // "
                writeEscaped(l.value, quote: true)
                byte(0x22)
            }
            byte(0x7D) // }
        }
        byte(0x20)
        write(s.value)
        byte(0x0A)
    }

    mutating func write(_ v: SampleValue) {
        switch v {
        case .int(let n):
            if n < 0 {
                byte(0x2D) // -
                decimal(n.magnitude)
            } else {
                decimal(UInt64(n))
            }
        case .uint(let n):
            decimal(n)
        case .double:
            write(v.text)
        }
    }

    mutating func write(_ s: String) {
        bytes.append(contentsOf: s.utf8)
    }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Text written already (a ``RenderedFamily``'s).
    mutating func write(bytes more: [UInt8]) { bytes.append(contentsOf: more) }

    /// `s` with `\` and newline escaped, and `"` too when `quote` (label values).
    mutating func writeEscaped(_ s: String, quote: Bool) {
        guard Self.needsEscape(s, quote: quote) else { return write(s) }
        for b in s.utf8 {
            switch b {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)       // \\
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)       // \n
            case 0x22 where quote: bytes.append(0x5C); bytes.append(0x22) // \"
            default: bytes.append(b)
            }
        }
    }

    static func needsEscape(_ s: String, quote: Bool) -> Bool {
        s.utf8.contains { $0 == 0x5C || $0 == 0x0A || (quote && $0 == 0x22) }
    }

    /// The decimal digits of `n`, without a String in between.
    private mutating func decimal(_ n: UInt64) {
        if n < 10 { return bytes.append(0x30 + UInt8(n)) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for 20 digits
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[23 - count] = 0x30 + UInt8(v % 10)
                v /= 10
                count += 1
            }
            bytes.append(contentsOf: buf[(24 - count)...])
        }
    }
}
