// Every program a test runs goes through KVMNetSubprocess (posix_spawn, poll, waitpid),
// never Foundation's Process: on Linux, swift-corelibs-foundation's Process can miss the
// exit of a child when several run concurrently under load, and waitUntilExit() then
// blocks forever on a zombie (docs/reliability.md, "Child processes"). Importing
// KVMNetTestSupport is enough to use it:
//
//     let r = try Subprocess.run(["/usr/sbin/ip", "netns", "exec", ns, "ip", "-j", "link"], timeout: 30)
//     let agent = try Subprocess.Child([path] + args, stderr: .capture)
@_exported import KVMNetSubprocess
