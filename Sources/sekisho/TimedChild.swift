import Foundation

/// Runs a program as a child process with stdout and stderr sent to /dev/null, and measures
/// its wall-clock time and peak RSS, for `sekisho bench zip`.
///
/// Peak RSS: Linux's `ru_maxrss` of a process that `exec`s is at least the high-water mark of
/// the address space it replaced — with `posix_spawn` (vfork) that is *this* process's peak, so
/// `wait4` alone would report ~30 MB for any child of a Swift program. The child is therefore
/// started through GNU time (`/usr/bin/time -f %M`), a small C program whose own child starts from
/// a ~2 MB address space; its `%M` is that child's `ru_maxrss` from `wait4`. Without GNU time, the
/// figure comes from our own `wait4` and is flagged as an upper bound.
enum TimedChild {
    struct Result {
        var seconds: Double
        /// Peak resident set size of the child, in bytes.
        var peakRSS: Int
        /// Whether ``peakRSS`` came from our own `wait4` and may include this process's peak.
        var peakIsUpperBound: Bool
        var exitStatus: Int32
    }

    static let gnuTime = "/usr/bin/time"

    static func run(_ path: String, _ arguments: [String], scratch: String) throws -> Result {
        let useTime = FileManager.default.isExecutableFile(atPath: gnuTime)
        let rssFile = scratch + "/peak-rss"
        let commandLine = useTime ? [gnuTime, "-f", "%M", "-o", rssFile, path] + arguments : [path] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = commandLine.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let clock = ContinuousClock()
        let start = clock.now
        var pid = pid_t()
        let spawned = posix_spawn(&pid, commandLine[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchZipError("posix_spawn \(commandLine[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchZipError("wait4: \(String(cString: strerror(errno)))") }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // Exited normally: low 7 bits zero, exit code in bits 8–15; else report the signal.
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        var peak = Int(usage.ru_maxrss) * 1024
        if useTime {
            // GNU time writes "Command exited with non-zero status N" first when the child failed.
            let text = (try? String(contentsOfFile: rssFile, encoding: .utf8)) ?? ""
            guard let kilobytes = text.split(separator: "\n").last.flatMap({ Int($0) }) else {
                throw BenchZipError("no peak RSS from GNU time for \(path): \(text)")
            }
            peak = kilobytes * 1024
        }
        return Result(seconds: seconds, peakRSS: peak, peakIsUpperBound: !useTime, exitStatus: exitStatus)
    }
}
