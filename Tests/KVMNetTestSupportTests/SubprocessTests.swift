import Foundation
import KVMNetTestSupport
import Testing

/// KVMNetSubprocess, which every test (and kvmnet-diag's nft) starts programs with: exit
/// codes and signals, outputs larger than a pipe, stdin, timeouts, the long-running
/// child, and many concurrent children (where Foundation's Process lost exits on Linux).
/// Every wait here has a deadline, so a regression fails instead of hanging the suite.
@Suite struct SubprocessTests {
    static let sh = "/bin/sh"

    @Test func exitCodesAndSignalsAreReported() throws {
        #expect(try Subprocess.run(["/bin/true"]).termination == .exited(0))
        #expect(try Subprocess.run([Self.sh, "-c", "exit 3"]).termination == .exited(3))
        #expect(try Subprocess.run([Self.sh, "-c", "exit 255"]).status == 255)
        let killed = try Subprocess.run([Self.sh, "-c", "kill -TERM $$; sleep 5"], timeout: 30)
        #expect(killed.termination == .signaled(SIGTERM))
        #expect(killed.status == SIGTERM, "as Foundation's terminationStatus")
        #expect(!killed.timedOut)
        // A name without a slash is looked up in PATH.
        #expect(try Subprocess.run(["sh", "-c", "echo found"]).stdoutText == "found\n")
    }

    @Test func aProgramThatCannotStartThrows() {
        #expect {
            try Subprocess.run(["/nonexistent/kvmnet-no-such-program"])
        } throws: { error in
            (error as? Subprocess.SpawnError)?.errno == ENOENT
        }
        #expect(throws: Subprocess.SpawnError.self) { try Subprocess.Child(["/nonexistent/kvmnet-no-such-program"]) }
    }

    /// 1 MiB on each of stdout and stderr, in 64 KiB pieces taking turns: a reader that
    /// drained one pipe to its end before the other would deadlock here (the timeout
    /// turns that into a failure).
    @Test func outputsLargerThanAPipeAreDrainedTogether() throws {
        let script = """
        i=0; while [ $i -lt 16 ]; do
          head -c 65536 /dev/zero | tr '\\0' o; head -c 65536 /dev/zero | tr '\\0' e >&2; i=$((i+1))
        done
        """
        let r = try Subprocess.run([Self.sh, "-c", script], timeout: 120)
        #expect(!r.timedOut)
        #expect(r.termination == .exited(0))
        #expect(r.stdout.count == 1 << 20)
        #expect(r.stderr.count == 1 << 20)
        #expect(r.stdout.allSatisfy { $0 == UInt8(ascii: "o") })
        #expect(r.stderr.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    /// 1 MiB through `cat`: written while its output is read, so neither pipe fills up.
    @Test func stdinIsPassedThrough() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let r = try Subprocess.run(["/bin/cat"], stdin: input, timeout: 120)
        #expect(!r.timedOut)
        #expect(r.termination == .exited(0))
        #expect(r.stdout == input)
        // No stdin: /dev/null, end of file at once.
        #expect(try Subprocess.run(["/bin/cat"], timeout: 30).stdout.isEmpty)
        // A child that exits without reading its stdin: an error for the write, not a
        // SIGPIPE for this process.
        let early = try Subprocess.run([Self.sh, "-c", "exit 4"], stdin: [UInt8](repeating: 1, count: 4 << 20), timeout: 30)
        #expect(early.termination == .exited(4))
    }

    @Test func environmentAndWorkingDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-subprocess-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Subprocess.run([Self.sh, "-c", "echo \"$KVMNET_X|$HOME\"; pwd"], environment: ["KVMNET_X": "x y"], workingDirectory: dir)
        #expect(r.stdoutText == "x y|\n\(dir)\n")
        let inherited = try Subprocess.run([Self.sh, "-c", "echo \"$PATH\""])
        #expect(inherited.stdoutText == (ProcessInfo.processInfo.environment["PATH"] ?? "") + "\n")
    }

    /// A descriptor this process opened without close-on-exec does not reach the child.
    @Test func theChildGetsOnlyStdinStdoutAndStderr() throws {
        let fd = open("/dev/null", O_RDONLY)
        try #require(fd > 2)
        defer { close(fd) }
        let r = try Subprocess.run([Self.sh, "-c", "[ -e /proc/$$/fd/\(fd) ] && echo open || echo closed"])
        #expect(r.stdoutText == "closed\n")
    }

    /// The timeout kills the child's whole process group (here a shell and its sleep,
    /// which holds the output pipe open) and says so.
    @Test func aTimeoutKillsTheChildAndWhatItStarted() throws {
        let start = Date()
        let r = try Subprocess.run([Self.sh, "-c", "sleep 60 & echo $!; wait"], timeout: 1)
        #expect(r.timedOut)
        #expect(r.termination == .signaled(SIGKILL))
        #expect(Date().timeIntervalSince(start) < 10)
        let grandchild = try #require(pid_t(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && Self.isAlive(grandchild) { usleep(20_000) }
        #expect(!Self.isAlive(grandchild), "the sleep the shell started outlived the timeout")
    }

    /// 50 threads, 4 runs each, at once: short children exiting at the same moment,
    /// which is when Foundation's Process lost exits. All must finish, each with its own
    /// exit code and output.
    @Test func fiftyConcurrentRunsAllComplete() throws {
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var ok = 0
            var failures: [String] = []
        }
        let results = Results()
        let done = DispatchGroup()
        for i in 0..<50 {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                for j in 0..<4 {
                    let code = Int32((i + j) % 7)
                    do {
                        let r = try Subprocess.run([Self.sh, "-c", "echo out$0; echo err$0 >&2; exit \(code)", "\(i).\(j)"], timeout: 60)
                        let good = r.termination == .exited(code) && r.stdoutText == "out\(i).\(j)\n" && r.stderrText == "err\(i).\(j)\n"
                        results.lock.withLock { if good { results.ok += 1 } else { results.failures.append("\(i).\(j): \(r)") } }
                    } catch {
                        results.lock.withLock { results.failures.append("\(i).\(j): \(error)") }
                    }
                }
            }
            thread.start()
        }
        #expect(done.wait(timeout: .now() + 240) == .success, "runs still unfinished after 240 s")
        results.lock.withLock {
            #expect(results.failures.isEmpty, "\(results.failures.prefix(3))")
            #expect(results.ok == 200)
        }
    }

    /// The same from Swift concurrency: 50 tasks of a task group.
    @Test func fiftyConcurrentTasksAllComplete() async throws {
        let codes = try await withThrowingTaskGroup(of: (Int, Subprocess.RunResult).self) { group in
            for i in 0..<50 {
                group.addTask { (i, try Subprocess.run([Self.sh, "-c", "echo $0; exit $(($0 % 5))", "\(i)"], timeout: 60)) }
            }
            var seen: [Int: Subprocess.RunResult] = [:]
            for try await (i, r) in group { seen[i] = r }
            return seen
        }
        #expect(codes.count == 50)
        for (i, r) in codes {
            #expect(r.termination == .exited(Int32(i % 5)) && r.stdoutText == "\(i)\n", "\(i): \(r)")
        }
    }

    @Test func aLongRunningChildIsSignalledAndReaped() throws {
        let child = try Subprocess.Child([Self.sh, "-c", "echo started; echo on-stderr >&2; exec sleep 60"], stdout: .capture, stderr: .capture)
        #expect(child.pid > 0)
        #expect(child.processIdentifier == child.pid)
        #expect(child.isRunning)
        #expect(child.wait(timeout: 0.3) == nil, "still running: wait gives up")
        #expect(child.terminationStatus == -1)
        child.terminate()
        #expect(child.wait(timeout: 10) == .signaled(SIGTERM))
        #expect(!child.isRunning)
        #expect(child.termination == .signaled(SIGTERM))
        #expect(child.capturedText(.stdout) == "started\n")
        #expect(child.capturedText(.stderr) == "on-stderr\n")
        // Reaped: the pid is not ours any more (and is not signalled again).
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == -1 && errno == ECHILD)
        child.terminate(SIGKILL)
        #expect(child.termination == .signaled(SIGTERM))
    }

    @Test func aChildThatExitsOnItsOwnAndOneThatIgnoresSIGTERM() throws {
        let quick = try Subprocess.Child([Self.sh, "-c", "exit 7"])
        #expect(quick.wait(timeout: 10) == .exited(7))
        #expect(quick.terminationStatus == 7)

        let interrupted = try Subprocess.Child(["/bin/sleep", "60"])
        interrupted.interrupt()
        interrupted.waitUntilExit()
        #expect(interrupted.termination == .signaled(SIGINT))

        let stubborn = try Subprocess.Child([Self.sh, "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], stdout: .capture)
        let deadline = Date().addingTimeInterval(10)
        while stubborn.capturedText(.stdout).isEmpty && Date() < deadline { usleep(10_000) }
        let start = Date()
        #expect(stubborn.stop(grace: 0.5) == .signaled(SIGKILL))
        #expect(Date().timeIntervalSince(start) < 5)
    }

    /// stdout and stderr to one file, appended (as the Prometheus tests' logs), and a
    /// chatty child that nobody reads while it runs: captured by a thread, it never blocks.
    @Test func fileOutputAndAChattyCapturedChild() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kvmnet-subprocess-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logged = try Subprocess.Child([Self.sh, "-c", "echo one; echo two >&2; echo three"], stdout: .file(path), stderr: .file(path))
        #expect(logged.wait(timeout: 10) == .exited(0))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\ntwo\nthree\n")

        let chatty = try Subprocess.Child([Self.sh, "-c", "head -c 3000000 /dev/zero >&2; echo done"], stdout: .capture, stderr: .capture)
        #expect(chatty.wait(timeout: 60) == .exited(0))
        #expect(chatty.captured(.stderr).count == 3_000_000)
        #expect(chatty.capturedText(.stdout) == "done\n")
    }

    /// A child whose handle goes away while it runs is killed and reaped (no agent left behind).
    @Test func aDroppedChildIsKilled() throws {
        var pid: pid_t = 0
        do {
            let child = try Subprocess.Child(["/bin/sleep", "60"])
            pid = child.pid
            #expect(child.isRunning)
        }
        var status: Int32 = 0
        #expect(waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD, "reaped")
    }

    /// `ip netns exec NS program ...` as callers pass it: the program runs in the
    /// namespace with the helper's pipes (root and iproute2 only).
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")))
    func aProgramInANetworkNamespace() throws {
        let ns = "kvmnet-subproc-\(getpid())"
        try #require(try Subprocess.run(["/usr/sbin/ip", "netns", "add", ns]).status == 0)
        defer { _ = try? Subprocess.run(["/usr/sbin/ip", "netns", "delete", ns]) }
        let r = try Subprocess.run(["/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/ip", "-o", "link", "show"], timeout: 30)
        #expect(r.termination == .exited(0), "\(r.stderrText)")
        #expect(r.stdoutText.contains("lo:") && r.stdoutText.split(separator: "\n").count == 1, "\(r.stdoutText)")
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}
