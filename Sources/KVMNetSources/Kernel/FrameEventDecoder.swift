import KVMNetModel

/// Decodes the records of `kvmnet-diag watch`'s BPF ring buffer (`struct
/// kvmnet_watch_event`, Sources/KVMNetWatch/BPF/watch_event.h): pure, so it is fuzzed and
/// tested apart from the kernel.
public enum FrameEventDecoder {
    /// `KVMNET_WATCH_EVENT_SIZE`.
    public static let recordSize = 72

    /// Why a record could not be decoded.
    public enum Failure: Error, Sendable, Hashable {
        /// Shorter than ``recordSize``.
        case truncated(length: Int)
        /// A `kind` this decoder does not know (a program of another version).
        case unknownKind(UInt32)
    }

    private static let vlanFlag: UInt8 = 1

    /// One record; longer buffers are accepted (the ring buffer rounds up), extra bytes ignored.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> FrameEvent {
        guard bytes.count >= recordSize else { throw .truncated(length: bytes.count) }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func mac(_ at: Int) -> UInt64 { (0..<6).reduce(0) { $0 << 8 | UInt64(bytes[at + $1]) } }
        func ipv4(_ at: Int) -> String { IPv4((0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) }).description }

        let rawKind = u32(16)
        guard let kind = FrameEvent.Kind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        let flags = bytes[45]
        let etherType = u16(42)
        let carriesIPv4 = etherType == 0x0800 || etherType == 0x0806
        return FrameEvent(
            kind: kind,
            timestampNanoseconds: u64(0),
            location: u64(8),
            reason: u32(20),
            ifindex: Int(u32(24)),
            networkNamespace: u32(28),
            ingressIfindex: Int(u32(32)),
            length: Int(u32(36)),
            vlanID: flags & vlanFlag != 0 ? Int(u16(40) & 0x0fff) : nil,
            etherType: etherType,
            ipProtocol: bytes[44],
            icmpType: bytes[46],
            sourceMAC: mac(48),
            destinationMAC: mac(54),
            sourceIPv4: carriesIPv4 ? ipv4(60) : nil,
            destinationIPv4: carriesIPv4 ? ipv4(64) : nil)
    }

    /// ``decode(_:)-(UnsafeRawBufferPointer)`` over an array (tests, fuzzing).
    public static func decode(_ bytes: [UInt8]) throws(Failure) -> FrameEvent {
        let result: Result<FrameEvent, Failure> = bytes.withUnsafeBytes { buffer in
            do throws(Failure) { return .success(try decode(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
