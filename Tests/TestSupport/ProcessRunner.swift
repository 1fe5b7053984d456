import Synchronization
import Foundation

/// Runs external programs for tests.
public enum ProcessRunner {
    /// The result of a finished program.
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var error: String
    }

    /// Runs a program to completion, feeding `input`, and returns its status and output.
    ///
    /// Input and output go through temporary files, not pipes: reading pipes needs a blocked
    /// thread, and on Linux Dispatch's global queue (where such reads would run) also runs Swift
    /// concurrency's tasks — the code under test starves while tests wait for programs.
    public static func run(_ path: String, _ arguments: [String], input: Data? = nil, timeout: TimeInterval = 120) async throws -> Result {
        let scratch = NSTemporaryDirectory() + "sekisho-process-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let files = [scratch + ".in", scratch + ".out", scratch + ".err"]
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        _ = FileManager.default.createFile(atPath: files[0], contents: input ?? Data())
        _ = FileManager.default.createFile(atPath: files[1], contents: nil)
        _ = FileManager.default.createFile(atPath: files[2], contents: nil)
        let stdin = try FileHandle(forReadingFrom: URL(fileURLWithPath: files[0]))
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: files[1]))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: files[2]))
        defer {
            try? stdin.close()
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { process.terminate() }
            try await Task.sleep(for: .milliseconds(10))
        }
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOfFile: files[1], encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: files[2], encoding: .utf8)) ?? ""
        )
    }

    /// Runs a program that leaves daemons behind (a rig script's `start`), with `posix_spawn` and
    /// `waitpid`: Foundation's `Process` learns of an exit when a socket it hands the child is
    /// closed by every holder, and a daemon started by the child inherits that socket, so
    /// `isRunning` would stay true as long as the daemon lives.
    public static func runLeavingDaemons(_ path: String, _ arguments: [String], input: Data? = nil, timeout: TimeInterval = 120) async throws -> Result {
        let scratch = NSTemporaryDirectory() + "sekisho-spawn-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let files = [scratch + ".in", scratch + ".out", scratch + ".err"]
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        _ = FileManager.default.createFile(atPath: files[0], contents: input ?? Data())
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, files[0], O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, files[1], O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, files[2], O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Nothing else of this process: NIO's sockets and Foundation's are not close-on-exec,
        // and a daemon holding a test's listener or connection would keep it open.
        // (glibc ≥ 2.34; not in Swift's Glibc module without _GNU_SOURCE, hence looked up.)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw SMTPTestError("posix_spawn_file_actions_addclosefrom_np is missing (glibc < 2.34)")
        }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        // A Dispatch worker thread blocks most signals: the child (and the daemons it starts)
        // would never see the SIGTERM that stops them. Empty mask, default dispositions, and a
        // process group of its own (killed whole on timeout or cancellation).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw SMTPTestError("posix_spawn \(path): \(String(cString: strerror(spawned)))") }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var killed = false
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1, errno != EINTR { throw SMTPTestError("waitpid \(path): \(String(cString: strerror(errno)))") }
            if !killed, Task.isCancelled || Date() > deadline {
                kill(-pid, SIGKILL)
                killed = true
            }
            // Not cancellable: the child is reaped whatever happens.
            try? await Task.sleep(for: .milliseconds(10))
        }
        if killed { throw SMTPTestError("\(path) \(arguments.first ?? "") was killed after \(Int(timeout)) s or on cancellation") }
        // WIFEXITED: the low 7 bits are zero, the code in bits 8–15; else 128 + the signal.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(
            status: code,
            output: (try? String(contentsOfFile: files[1], encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: files[2], encoding: .utf8)) ?? ""
        )
    }

    /// Starts a long-running program with output sent to a log file; stop it with ``Background/stop()``.
    public static func start(_ path: String, _ arguments: [String], log: String) throws -> Background {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Background(process: process, log: log)
    }

    /// A program running in the background.
    public final class Background: @unchecked Sendable {
        public let process: Process
        public let log: String

        init(process: Process, log: String) {
            self.process = process
            self.log = log
        }

        public var pid: Int32 { process.processIdentifier }

        /// SIGTERM, then SIGKILL after `grace` seconds. Waits without blocking a thread of the
        /// concurrency pool (the code under test needs them).
        public func stop(grace: TimeInterval = 5) async {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }

        /// Waits for the program to exit by itself and returns its status.
        public func waitForExit(timeout: TimeInterval = 20) async -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            return process.isRunning ? nil : process.terminationStatus
        }

        /// The log written so far.
        public var output: String {
            (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
    }
}

/// Ports for test listeners.
public enum FreePort {
    /// Ports are handed out from 20000–32767: below Linux's ephemeral range (32768–60999), so no
    /// outgoing connection can take one between handing it out and its bind, and never twice
    /// in one test process (the tests run in parallel and start many listeners).
    private static let range = 20_000..<32_768
    private static let counter = Mutex<Int>(Int(getpid()) * 97 % 12_768)

    /// A TCP port on 127.0.0.1 that was free a moment ago and that no other caller in this
    /// process gets.
    public static func next() -> Int {
        for _ in 0..<range.count {
            let port = counter.withLock { offset -> Int in
                defer { offset = (offset + 1) % range.count }
                return range.lowerBound + offset
            }
            if canBind(port) { return port }
        }
        return 0
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    public static func waitUntilOpen(_ port: Int, timeout: TimeInterval = 60) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isOpen(port) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    public static func isOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
