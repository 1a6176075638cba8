#if canImport(Glibc)
import Glibc
#endif
import CLibBPF
import Foundation
import KVMNetModel
import KVMNetSources

/// Watches the frames between two ends as the kernel handles them: loads
/// `BPF/watch.bpf.c` (embedded at build time by BPFObjectPlugin) with libbpf, attaches its
/// three programs (tp_btf `kfree_skb`, `netif_receive_skb`, `net_dev_start_xmit`), and
/// hands each record of its ring buffer, decoded by `FrameEventDecoder`, to ``poll(timeoutMilliseconds:_:)``.
///
/// The tracepoints are global: frames of every network namespace are seen, told apart by
/// ``FrameEvent/networkNamespace``. Needs root (or CAP_BPF and CAP_PERFMON) and a kernel
/// with BTF and drop reasons (Linux 5.17 or newer; tested on 6.1, 6.12 and 6.18).
/// Used from one thread.
public final class FrameWatcher {
    /// The program names of the object, as the kernel lists them (`bpftool prog show`).
    public private(set) var programNames: [String] = []
    /// The kernel's ids of the loaded programs (`bpftool prog show id N`).
    public private(set) var programIDs: [UInt32] = []
    /// The running kernel's drop reasons (``DropReasons/fromKernel()``), read once while
    /// setting up: the caller names its drops with them.
    public private(set) var dropReasons: [UInt32: String] = [:]

    private var object: OpaquePointer?
    private var links: [OpaquePointer] = []
    private var ringBuffer: OpaquePointer?
    private var lostMap: OpaquePointer?
    private var image: UnsafeMutableRawBufferPointer?
    private var lostAtDetach: UInt64 = 0
    private let dispatch = Dispatch()

    /// Where the ring buffer's callback delivers: set during ``poll(timeoutMilliseconds:_:)``.
    private final class Dispatch {
        var handle: ((FrameEvent) -> Void)?
        var handled = 0
        var undecodable: UInt64 = 0
    }

    /// Opens the embedded object, loads it, fills its address maps from `filter` and
    /// attaches the three programs. On failure nothing stays loaded.
    public init(filter: WatchFilter) throws(WatchError) {
        do throws(WatchError) {
            try setUp(filter)
        } catch {
            detach()
            throw error
        }
    }

    deinit { detach() }

    /// Records the ring buffer had no room for (the sum of the program's per-CPU counter);
    /// after ``detach()``, the count at that moment.
    public var lostRecords: UInt64 {
        guard let lostMap else { return lostAtDetach }
        return Self.sumPerCPU(lostMap) ?? lostAtDetach
    }

    /// Records that were not a `struct kvmnet_watch_event` this version decodes (skipped).
    public var undecodableRecords: UInt64 { dispatch.undecodable }

    /// Waits up to `timeoutMilliseconds` (-1: no limit, 0: no wait) for records, decodes
    /// each with FrameEventDecoder and calls `handle`; returns the number handled. A signal
    /// interrupting the wait (EINTR) returns 0, not an error.
    public func poll(timeoutMilliseconds: Int32, _ handle: (FrameEvent) -> Void) throws(WatchError) -> Int {
        guard let ringBuffer else { throw .ringBuffer(message: "the watcher is detached") }
        let (result, handled): (Int32, Int) = withoutActuallyEscaping(handle) { handle in
            dispatch.handle = handle
            dispatch.handled = 0
            defer { dispatch.handle = nil }
            let result = ring_buffer__poll(ringBuffer, timeoutMilliseconds)
            return (result, dispatch.handled)
        }
        if result < 0 {
            if -result == EINTR { return handled }
            throw .ringBuffer(message: "ring_buffer__poll: \(Self.errorText(-result))")
        }
        return handled
    }

    /// Destroys the links (detaching the programs), the ring buffer and the object.
    /// Idempotent; `deinit` calls it.
    public func detach() {
        if let lostMap { lostAtDetach = Self.sumPerCPU(lostMap) ?? lostAtDetach }
        lostMap = nil
        if let ringBuffer { ring_buffer__free(ringBuffer) }
        ringBuffer = nil
        for link in links { bpf_link__destroy(link) }
        links.removeAll()
        if let object { bpf_object__close(object) }
        object = nil
        image?.deallocate()
        image = nil
    }

    // MARK: - Setting up

    private func setUp(_ filter: WatchFilter) throws(WatchError) {
        // kfree_skb's reason argument is what the drop program reads: without the enum
        // (Linux < 5.17) the load would fail with a verifier message instead of this.
        // fromKernel throws noBTF itself where the kernel has no BTF.
        dropReasons = try DropReasons.fromKernel()
        guard !dropReasons.isEmpty else { throw .noDropReasons(kernel: DropReasons.kernelRelease()) }
        let (macKeys, ipv4Keys) = try Self.keys(filter)

        guard let bytes = Data(base64Encoded: BPFObject_watch.base64) else {
            throw .load(message: "the embedded BPF object is not valid base64 (a broken build)")
        }
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        bytes.copyBytes(to: image)
        self.image = image   // libbpf reads the ELF in place until the load is done

        LibBPFLog.start()
        var options = bpf_object_open_opts()
        options.sz = MemoryLayout<bpf_object_open_opts>.size
        // The name libbpf's messages use (copied by libbpf).
        let opened = "kvmnet_watch".withCString { name in
            options.object_name = name
            return bpf_object__open_mem(image.baseAddress, image.count, &options)
        }
        guard let object = opened else {
            throw Self.failure(errno, step: "opening the BPF object")
        }
        self.object = object
        let loaded = bpf_object__load(object)
        guard loaded == 0 else { throw Self.failure(-loaded, step: "loading the BPF programs") }

        try Self.fill(object, "kvmnet_macs", macKeys)
        try Self.fill(object, "kvmnet_ipv4", ipv4Keys)
        lostMap = bpf_object__find_map_by_name(object, "kvmnet_lost")
        guard lostMap != nil else { throw .load(message: "the BPF object has no map kvmnet_lost") }

        var program = bpf_object__next_program(object, nil)
        while let current = program {
            let name = String(cString: bpf_program__name(current))
            var info = bpf_prog_info()
            var length = UInt32(MemoryLayout<bpf_prog_info>.size)
            if bpf_obj_get_info_by_fd(bpf_program__fd(current), &info, &length) == 0 {
                programIDs.append(info.id)
                programNames.append(withUnsafeBytes(of: &info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
            } else {
                programNames.append(String(name.prefix(15)))   // BPF_OBJ_NAME_LEN - 1
            }
            LibBPFLog.start()
            guard let link = bpf_program__attach(current) else {
                let code = errno
                if code == EPERM || code == EACCES { throw .permission("attaching \(name)") }
                throw .attach(program: name, message: Self.message(Self.errorText(code), LibBPFLog.take()))
            }
            links.append(link)
            program = bpf_object__next_program(object, current)
        }
        guard links.count == 3 else { throw .load(message: "the BPF object has \(links.count) programs, not 3") }

        guard let events = bpf_object__find_map_by_name(object, "kvmnet_events") else {
            throw .load(message: "the BPF object has no map kvmnet_events")
        }
        let context = Unmanaged.passUnretained(dispatch).toOpaque()
        guard let ringBuffer = ring_buffer__new(bpf_map__fd(events), { context, data, size in
            guard let context, let data else { return 0 }
            let dispatch = Unmanaged<Dispatch>.fromOpaque(context).takeUnretainedValue()
            do throws(FrameEventDecoder.Failure) {
                let event = try FrameEventDecoder.decode(UnsafeRawBufferPointer(start: data, count: size))
                dispatch.handled += 1
                dispatch.handle?(event)
            } catch {
                dispatch.undecodable += 1
            }
            return 0
        }, context, nil) else {
            throw .ringBuffer(message: "ring_buffer__new: \(Self.errorText(errno))")
        }
        self.ringBuffer = ringBuffer
    }

    /// The filter as the maps' keys: MACs as u64, IPv4 as the packet's 4 bytes.
    private static func keys(_ filter: WatchFilter) throws(WatchError) -> (macs: [UInt64], ipv4: [UInt32]) {
        guard filter.macs.count <= WatchFilter.capacity, filter.ipv4.count <= WatchFilter.capacity else {
            throw .invalidFilter(reason: "at most \(WatchFilter.capacity) MAC and \(WatchFilter.capacity) IPv4 addresses")
        }
        if let bad = filter.macs.first(where: { $0 >> 48 != 0 }) {
            throw .invalidFilter(reason: "0x\(String(bad, radix: 16)) is wider than a 48-bit MAC address")
        }
        var ipv4: [UInt32] = []
        for text in filter.ipv4 {
            guard let key = WatchFilter.ipv4Key(text) else { throw .invalidFilter(reason: "\"\(text)\" is not an IPv4 address") }
            ipv4.append(key)
        }
        return (filter.macs, ipv4)
    }

    private static func fill<Key: FixedWidthInteger>(_ object: OpaquePointer, _ name: String, _ keys: [Key]) throws(WatchError) {
        guard let map = bpf_object__find_map_by_name(object, name) else { throw .load(message: "the BPF object has no map \(name)") }
        for var key in keys {
            var value: UInt8 = 1
            let result = withUnsafeBytes(of: &key) { bpf_map__update_elem(map, $0.baseAddress, $0.count, &value, 1, UInt64(BPF_ANY)) }
            guard result == 0 else {
                if -result == EPERM || -result == EACCES { throw .permission("filling the map \(name)") }
                throw .load(message: "filling the map \(name): \(errorText(-result))")
            }
        }
    }

    /// The sum of a one-entry per-CPU array of u64.
    private static func sumPerCPU(_ map: OpaquePointer) -> UInt64? {
        let cpus = libbpf_num_possible_cpus()
        guard cpus > 0 else { return nil }
        var key: UInt32 = 0
        var values = [UInt64](repeating: 0, count: Int(cpus))   // per-CPU values are 8-byte aligned
        let result = values.withUnsafeMutableBytes { bpf_map__lookup_elem(map, &key, 4, $0.baseAddress, $0.count, 0) }
        guard result == 0 else { return nil }
        return values.reduce(0, &+)
    }

    /// A failed open or load: EPERM, or EACCES without the capabilities, is a permission
    /// problem; anything else (a verifier's EACCES included) a load error with libbpf's log.
    private static func failure(_ code: Int32, step: String) -> WatchError {
        let log = LibBPFLog.take()
        if code == EPERM || (code == EACCES && !Capabilities.mayLoadBPF()) { return .permission(step) }
        return .load(message: message("\(step): \(errorText(code))", log))
    }

    private static func message(_ head: String, _ log: [String]) -> String {
        log.isEmpty ? head : head + "\nlibbpf:\n" + log.joined(separator: "\n")
    }

    static func errorText(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}

/// The calling process's effective capabilities (/proc/self/status CapEff).
enum Capabilities {
    static let sysAdmin = 21, perfmon = 38, bpf = 39

    /// Root-like for BPF: CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (tracing programs).
    static func mayLoadBPF() -> Bool {
        guard let effective = effective() else { return geteuid() == 0 }
        func has(_ bit: Int) -> Bool { effective & (1 << UInt64(bit)) != 0 }
        return has(sysAdmin) || (has(bpf) && has(perfmon))
    }

    static func effective() -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
