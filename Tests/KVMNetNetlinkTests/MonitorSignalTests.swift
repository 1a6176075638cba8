import Foundation
import KVMNetModel
import KVMNetTestSupport
import Testing
@testable import KVMNetNetlink

/// Signals interrupt the monitor's `poll` and `recvmsg` with `EINTR`; it goes on.
@Suite(.enabled(if: LiveTests.enabled(KernelAccess.available), KernelAccess.reason))
struct MonitorSignalTests {
    init() throws { try LiveTests.require(KernelAccess.available, "needs root and iproute2 (ip, bridge)") }

    @Test func eintrIsRetried() throws {
        // A handler without SA_RESTART, so that blocking calls fail with EINTR.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        sigaction(SIGUSR2, &action, &previous)
        defer { sigaction(SIGUSR2, &previous, nil) }

        try withTestNamespace { ns in
            try ns.ipBatch(["link add sig0 type veth peer name sig0p", "link set sig0 up"])
            let recorder = MonitorRecorder()
            let monitor = NetlinkMonitor(onChange: { recorder.record($0) }, onOverrun: { recorder.recordOverrun() })
            defer { monitor.stop() }
            try ns.run { try monitor.start() }
            let thread = try #require(monitor.threadID)
            for _ in 0..<20 {
                pthread_kill(thread, SIGUSR2)
                usleep(5_000)
            }
            try ns.ip("link", "set", "sig0p", "up")
            #expect(waitUntil(timeout: 5) { recorder.lastUpdate(of: "sig0")?.link.operState == .up })
            for _ in 0..<20 {
                pthread_kill(thread, SIGUSR2)
                usleep(1_000)
            }
            try ns.ip("link", "set", "sig0p", "down")
            #expect(waitUntil(timeout: 5) { recorder.lastUpdate(of: "sig0")?.link.operState == .lowerlayerdown })
            #expect(monitor.isRunning)
            #expect(recorder.snapshot.overruns == 0)
        }
    }
}
