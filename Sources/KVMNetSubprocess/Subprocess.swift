#if canImport(Glibc)
import Glibc
#endif
import CSubprocessShim
import Foundation
import KVMNetLock

/// Starts programs with posix_spawn and waits for them with waitpid; the one place of the
/// package that starts processes (kvmnet-diag's firewall reader and the tests; the agent
/// does not link it, HardeningPrivilegeTests checks that).
///
/// Why not Foundation's `Process`: on Linux, swift-corelibs-foundation's Process can miss
/// the exit of a child when several processes are started and end concurrently under
/// load: the child stays a zombie and `waitUntilExit()` blocks in `sigsuspend` forever
/// (seen with nft in kvmnet-diag, and with the agent, kvmnet-diag and `ip` in the test
/// suites). Here the caller's own thread reaps its own child with `waitpid(pid)`: no
/// SIGCHLD handler, no run loop, nothing to miss.
///
/// What every child gets: the program by absolute path (or looked up in `PATH` when the
/// name has no `/`), file descriptors 0, 1 and 2 only (the pipes are made close-on-exec,
/// and every other descriptor is closed in the child), an empty signal mask and default
/// signal dispositions (not what the calling thread happens to block or ignore), the
/// caller's environment unless one is given. A program in a network namespace is run
/// as `["/usr/sbin/ip", "netns", "exec", NS, program, ...]` (ip execs the program: same
/// pid, same pipes).
public enum Subprocess {
    /// How a child ended.
    public enum Termination: Equatable, Hashable, Sendable, CustomStringConvertible {
        /// It exited with this code (0 to 255).
        case exited(Int32)
        /// A signal killed it (SIGKILL for a timeout).
        case signaled(Int32)

        /// What is reported when the child was reaped by someone else (a `waitpid(-1)`
        /// elsewhere in this process) and its status is lost: signal 0, which is none.
        public static let lost = Termination.signaled(0)

        /// As Foundation's `terminationStatus`: the exit code, or the number of the signal.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signaled(let signal): signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }

        /// Decodes a `waitpid` status (WIFEXITED, WEXITSTATUS, WTERMSIG: macros Swift
        /// does not import). Stops are not reported (no WUNTRACED).
        init(waitStatus status: Int32) {
            self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        }
    }

    /// A program that could not be started (or a pipe or file that could not be made).
    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public var argv: [String]
        /// What failed: "posix_spawn", "pipe2", "open /path", ...
        public var operation: String
        public var errno: Int32
        public var description: String {
            "cannot start \(argv.first ?? "(nothing)"): \(operation): \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }

    /// What a program run to its end did.
    public struct RunResult: Sendable {
        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// The timeout was reached: the child (and its process group) was killed with
        /// SIGKILL; `termination` is then `.signaled(SIGKILL)` and the output what was
        /// read until then.
        public var timedOut: Bool

        /// As Foundation's `terminationStatus`: the exit code, or the number of the signal.
        public var status: Int32 { termination.status }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `argv` to its end and returns how it ended and all it wrote.
    ///
    /// stdout and stderr are drained together (poll), and stdin written in the same
    /// loop, so that no full pipe can block the child or this thread whatever the sizes.
    /// The call returns when both outputs reached end of file and the child was reaped.
    /// The child runs in a process group of its own, so that a timeout kills what it
    /// started too.
    ///
    /// - Parameters:
    ///   - argv: the program (absolute path, or a name looked up in `PATH`) and its arguments.
    ///   - stdin: written to the child's standard input, which is then closed; `nil`: /dev/null.
    ///   - environment: the child's whole environment; `nil`: this process's.
    ///   - workingDirectory: the child's; `nil`: this process's.
    ///   - timeout: seconds; past it the child's process group is killed with SIGKILL and
    ///     the result says `timedOut`. `nil`: no limit.
    /// - Throws: ``SpawnError`` when the program cannot be started (not found, not
    ///   executable, the working directory missing). A program that starts and fails is
    ///   a result, not an error.
    public static func run(_ argv: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil,
                           workingDirectory: String? = nil, timeout: Double? = nil) throws -> RunResult {
        let out = try makePipe(argv), err: (read: Int32, write: Int32)
        do { err = try makePipe(argv) } catch { close(out.read); close(out.write); throw error }
        var input: (read: Int32, write: Int32)? = nil
        if stdin != nil {
            do { input = try makePipe(argv) } catch { for fd in [out.read, out.write, err.read, err.write] { close(fd) }; throw error }
        }
        let devNull = stdin == nil ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1
        var parentEnds = [out.read, err.read] + (input.map { [$0.write] } ?? [])
        let childEnds = [out.write, err.write] + (input.map { [$0.read] } ?? []) + (devNull >= 0 ? [devNull] : [])
        defer { for fd in parentEnds { close(fd) } }

        let pid: pid_t
        do {
            pid = try spawn(argv, stdin: input?.read ?? devNull, stdout: out.write, stderr: err.write,
                            environment: environment, workingDirectory: workingDirectory, newProcessGroup: true)
        } catch {
            for fd in childEnds { close(fd) }
            throw error
        }
        for fd in childEnds { close(fd) }

        // The child may close its stdin before reading it all: a write then fails with
        // EPIPE instead of killing this process with SIGPIPE (blocked on this thread,
        // the pending one taken back below).
        var blockedPipe = sigset_t(), previousMask = sigset_t()
        sigemptyset(&blockedPipe)
        sigaddset(&blockedPipe, SIGPIPE)
        if input != nil { pthread_sigmask(SIG_BLOCK, &blockedPipe, &previousMask) }
        var sawEPIPE = false
        defer {
            if input != nil {
                if sawEPIPE {
                    var zero = timespec()
                    while sigtimedwait(&blockedPipe, nil, &zero) == SIGPIPE {}
                }
                pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            }
        }

        var stdoutBytes: [UInt8] = [], stderrBytes: [UInt8] = []
        let toWrite = stdin ?? []
        var written = 0
        var stdinFD: Int32? = input?.write
        if let fd = stdinFD {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if toWrite.isEmpty { close(fd); parentEnds.removeAll { $0 == fd }; stdinFD = nil }
        }
        var readable: [Int32] = [out.read, err.read]
        let deadline = timeout.map { monotonicSeconds() + $0 }
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)

        while !readable.isEmpty || stdinFD != nil {
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - monotonicSeconds()
                if left <= 0 { timedOut = true; break }
                wait = Int32(min(left, 1) * 1000) + 1
            }
            var fds = readable.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let fd = stdinFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), wait)
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for p in fds where p.revents != 0 {
                if p.fd == stdinFD {
                    let left = toWrite.count - written
                    let w = toWrite.withUnsafeBytes { write(p.fd, $0.baseAddress! + written, min(left, 65536)) }
                    if w > 0 { written += w }
                    if w < 0 && errno == EPIPE { sawEPIPE = true }
                    let failed = w < 0 && errno != EAGAIN && errno != EINTR
                    if written == toWrite.count || failed || p.revents & Int16(POLLERR | POLLHUP) != 0 && w <= 0 {
                        close(p.fd)
                        parentEnds.removeAll { $0 == p.fd }
                        stdinFD = nil
                    }
                    continue
                }
                let got = read(p.fd, &buffer, buffer.count)
                if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if got <= 0 { readable.removeAll { $0 == p.fd }; continue }
                if p.fd == out.read { stdoutBytes += buffer[0..<got] } else { stderrBytes += buffer[0..<got] }
            }
        }
        if timedOut { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
        let status = reap(pid)
        return RunResult(termination: status, stdout: stdoutBytes, stderr: stderrBytes, timedOut: timedOut)
    }

    /// Where a ``Child``'s stdout or stderr goes.
    public enum Output: Sendable, Equatable {
        /// /dev/null.
        case null
        /// This process's own descriptor.
        case inherit
        /// Appended to this file (created if missing, mode 0644); stdout and stderr may
        /// name the same file.
        case file(String)
        /// Read by a thread of the child's own into memory, so that the child never
        /// blocks on a full pipe; see ``Child/captured(_:)``.
        case capture
    }

    /// A program that runs until it is stopped (an agent, a Prometheus): spawn, look,
    /// signal, reap. Its stdin is /dev/null.
    ///
    /// Reaped by whoever looks first (``isRunning``, ``wait(timeout:)``, ``termination``);
    /// once reaped it is never signalled again (its pid may belong to another process by
    /// then). A child still running when its handle goes away is killed with SIGKILL and
    /// reaped, so that no test leaves an agent behind.
    public final class Child: @unchecked Sendable {
        public enum Stream: Sendable { case stdout, stderr }

        public let pid: pid_t
        public let argv: [String]
        private let state = Locked<Termination?>(nil)
        private let stdoutSink: Capture?
        private let stderrSink: Capture?

        /// Starts `argv` (the program by absolute path or a name looked up in `PATH`).
        ///
        /// - Parameters:
        ///   - environment: the child's whole environment; `nil`: this process's.
        ///   - workingDirectory: the child's; `nil`: this process's.
        ///   - newProcessGroup: the child leads a process group of its own (then
        ///     ``terminate(_:)`` signals the group); default: this process's group.
        public init(_ argv: [String], stdout: Output = .null, stderr: Output = .null,
                    environment: [String: String]? = nil, workingDirectory: String? = nil,
                    newProcessGroup: Bool = false) throws {
            self.argv = argv
            self.newProcessGroup = newProcessGroup
            var toClose: [Int32] = []
            var captures: [(Stream, Int32)] = []
            defer { for fd in toClose { close(fd) } }
            func descriptor(_ output: Output, _ stream: Stream) throws -> Int32 {
                switch output {
                case .inherit:
                    return stream == .stdout ? 1 : 2
                case .null:
                    let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw SpawnError(argv: argv, operation: "open /dev/null", errno: errno) }
                    toClose.append(fd)
                    return fd
                case .file(let path):
                    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                    guard fd >= 0 else { throw SpawnError(argv: argv, operation: "open \(path)", errno: errno) }
                    toClose.append(fd)
                    return fd
                case .capture:
                    let p = try makePipe(argv)
                    toClose.append(p.write)
                    captures.append((stream, p.read))
                    return p.write
                }
            }
            do {
                let stdin = open("/dev/null", O_RDONLY | O_CLOEXEC)
                guard stdin >= 0 else { throw SpawnError(argv: argv, operation: "open /dev/null", errno: errno) }
                toClose.append(stdin)
                pid = try spawn(argv, stdin: stdin, stdout: try descriptor(stdout, .stdout), stderr: try descriptor(stderr, .stderr),
                                environment: environment, workingDirectory: workingDirectory, newProcessGroup: newProcessGroup)
            } catch {
                for (_, fd) in captures { close(fd) }
                throw error
            }
            stdoutSink = captures.first { $0.0 == .stdout }.map { Capture(fd: $0.1) }
            stderrSink = captures.first { $0.0 == .stderr }.map { Capture(fd: $0.1) }
        }

        private let newProcessGroup: Bool

        /// The same as ``pid`` (the name Foundation's Process gives it).
        public var processIdentifier: Int32 { pid }

        /// The child has not exited (checked with `waitpid(WNOHANG)`, which reaps it if it has).
        public var isRunning: Bool { poll() == nil }

        /// How it ended, `nil` while it runs (reaps it if it has exited).
        public var termination: Termination? { poll() }

        /// As Foundation's `terminationStatus`: the exit code, or the signal number; -1
        /// while it runs.
        public var terminationStatus: Int32 { poll()?.status ?? -1 }

        /// Sends `signal` (default SIGTERM) unless the child was reaped already.
        public func terminate(_ signal: Int32 = SIGTERM) {
            state.withLock { ended in
                guard ended == nil else { return }
                _ = kill(newProcessGroup ? -pid : pid, signal)
            }
        }

        /// Waits until the child exits and reaps it; `nil` if it still runs after
        /// `timeout` seconds (`nil`: no limit). Waits for captured output to reach end
        /// of file too (at most 2 s more, in case a grandchild holds the pipe).
        @discardableResult
        public func wait(timeout: Double? = nil) -> Termination? {
            let deadline = timeout.map { monotonicSeconds() + $0 }
            var pause: UInt32 = 1_000
            while true {
                if let ended = poll() {
                    stdoutSink?.waitForEnd(seconds: 2)
                    stderrSink?.waitForEnd(seconds: 2)
                    return ended
                }
                if let deadline, monotonicSeconds() >= deadline { return nil }
                usleep(pause)
                pause = min(pause * 2, 20_000)
            }
        }

        /// Foundation's name for `terminate(SIGINT)`.
        public func interrupt() { terminate(SIGINT) }

        /// Foundation's name for `wait()`: blocks until the child exits.
        public func waitUntilExit() { wait() }

        /// SIGTERM, then SIGKILL if it still runs after `grace` seconds; returns once reaped.
        @discardableResult
        public func stop(grace: Double = 5) -> Termination {
            terminate(SIGTERM)
            if let ended = wait(timeout: grace) { return ended }
            terminate(SIGKILL)
            return wait()!
        }

        /// All the child wrote so far to a stream given as ``Output/capture`` (empty otherwise).
        public func captured(_ stream: Stream) -> [UInt8] {
            (stream == .stdout ? stdoutSink : stderrSink)?.bytes ?? []
        }

        /// ``captured(_:)`` as UTF-8 text.
        public func capturedText(_ stream: Stream) -> String {
            String(decoding: captured(stream), as: UTF8.self)
        }

        /// waitpid(WNOHANG) under the lock: one reaper, and never a signal after the reap.
        private func poll() -> Termination? {
            state.withLock { ended in
                if let ended { return ended }
                var status: Int32 = 0
                while true {
                    let r = waitpid(pid, &status, WNOHANG)
                    if r == pid { ended = Termination(waitStatus: status); return ended }
                    if r < 0 && errno == EINTR { continue }
                    // Someone else reaped it (a waitpid(-1) elsewhere in the process).
                    if r < 0 && errno == ECHILD { ended = Termination.lost; return ended }
                    return nil   // 0: running
                }
            }
        }

        deinit {
            if poll() == nil {
                _ = kill(newProcessGroup ? -pid : pid, SIGKILL)
                _ = reap(pid)
            }
        }
    }

    /// A pipe's read end drained by a thread of its own until end of file.
    final class Capture: @unchecked Sendable {
        private let data = Locked<(bytes: [UInt8], ended: Bool)>(([], false))

        init(fd: Int32) {
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let got = read(fd, &buffer, buffer.count)
                    if got < 0 && errno == EINTR { continue }
                    if got <= 0 { break }
                    data.withLock { $0.bytes += buffer[0..<got] }
                }
                close(fd)
                data.withLock { $0.ended = true }
            }
            thread.name = "kvmnet-subprocess-capture"
            thread.start()
        }

        var bytes: [UInt8] { data.withLock { $0.bytes } }

        func waitForEnd(seconds: Double) {
            let deadline = monotonicSeconds() + seconds
            while !data.withLock({ $0.ended }) && monotonicSeconds() < deadline { usleep(2_000) }
        }
    }

    // MARK: - The one posix_spawn

    /// posix_spawn(p) with `stdin`, `stdout`, `stderr` as 0, 1, 2 and every other
    /// descriptor closed; an empty signal mask and default dispositions.
    static func spawn(_ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32,
                      environment: [String: String]?, workingDirectory: String?, newProcessGroup: Bool) throws -> pid_t {
        guard let program = argv.first, !program.isEmpty else {
            throw SpawnError(argv: argv, operation: "empty argv", errno: EINVAL)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The sources are pipes and files opened here (above 2), or 1 and 2 themselves
        // for `.inherit` (dup2 onto itself: a no-op).
        for (target, fd) in [stdin, stdout, stderr].enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, Int32(target))
        }
        if kvmnet_spawn_addclosefrom(&actions, 3) != 0 {
            // No closefrom in this libc (before glibc 2.34): close what is open now. Our
            // own descriptors are close-on-exec anyway; this is for other code's.
            for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        if let workingDirectory {
            let rc = kvmnet_spawn_addchdir(&actions, workingDirectory)
            if rc != 0 { throw SpawnError(argv: argv, operation: "chdir \(workingDirectory)", errno: rc) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cArgv { free(a) } }
        let env = environment.map { $0.map { "\($0.key)=\($0.value)" }.sorted() }
        let cEnv: [UnsafeMutablePointer<CChar>?]? = env.map { $0.map { strdup($0) } + [nil] }
        defer { for a in cEnv ?? [] { free(a) } }

        var pid: pid_t = 0
        let rc: Int32 = cEnv.withOptionalPointer { envp in
            let envp = envp ?? UnsafePointer(environ)
            return program.contains("/")
                ? posix_spawn(&pid, program, &actions, &attributes, cArgv, envp)
                : posix_spawnp(&pid, program, &actions, &attributes, cArgv, envp)
        }
        guard rc == 0 else { throw SpawnError(argv: argv, operation: "posix_spawn", errno: rc) }
        return pid
    }

    /// A pipe whose both ends are close-on-exec (made so atomically: pipe2).
    static func makePipe(_ argv: [String]) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { throw SpawnError(argv: argv, operation: "pipe2", errno: errno) }
        return (fds[0], fds[1])
    }

    /// Blocks until `pid` exits and reaps it (waitpid, EINTR retried).
    static func reap(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, 0)
            if r == pid { return Termination(waitStatus: status) }
            if r < 0 && errno == EINTR { continue }
            return .lost   // ECHILD: reaped elsewhere
        }
    }

    /// The descriptors open in this process (/proc/self/fd).
    static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Optional where Wrapped == [UnsafeMutablePointer<CChar>?] {
    /// The array's storage as a C `char **`, or `nil`.
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
