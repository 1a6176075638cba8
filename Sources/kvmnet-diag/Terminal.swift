import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the process's terminal allows.
enum Terminal {
    /// Colour only when stdout is a terminal and NO_COLOR is unset.
    static var stdoutWantsColour: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    /// A report's JSON on stdout, with the newline JSONOutput leaves off.
    static func printJSON(_ bytes: [UInt8]) {
        var data = Data(bytes)
        data.append(0x0A)
        FileHandle.standardOutput.write(data)
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
