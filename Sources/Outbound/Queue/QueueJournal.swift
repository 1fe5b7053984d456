#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// An append-only file of facts the database does not know yet, each a line of numbers written
/// with one `write()` — which a killed process cannot undo — so the moment between an event
/// and its note is a system call, not an `fsync()` or a wait for the database's writer.
///
/// The queue keeps two kinds (docs/outbound.md, "Crashes"):
/// - the **delivery journal** `<database>.delivered`: `entry recipient recipient…`, written by
///   the delivery service the moment a server answers `250` after the final dot, before the
///   commit. A runner killed in between has it replayed at the next start, so what a server
///   accepted is not sent again (RFC 1047's window shrinks to the server's own).
/// - the **release journal** `<database>.released-<instance>`: `entry entry…`, written by the
///   gateway just before it answers the MTA (``OutboundQueue/noteReleased(_:)``). The next start
///   releases held entries it names and drops the other held entries of that instance.
///
/// A line whose outcome is committed is no longer needed: the file is emptied whenever it has
/// grown past 1 MiB and nothing in it is pending. A torn last line is ignored on reading.
final class QueueJournal: Sendable {
    /// The file.
    let path: String
    private struct State {
        var descriptor: CInt = -1
        var size = 0
        /// Lines written whose outcome is not committed yet.
        var pending = 0
    }
    private let state = Mutex(State())
    /// Emptied when larger than this and nothing in it is pending.
    static let truncateAbove = 1 << 20

    init(path: String) {
        self.path = path
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { SystemCalls.close($0.descriptor) } }
    }

    /// Every complete line of the file at `path`, as numbers (unreadable lines skipped).
    static func lines(at path: String) -> [[Int64]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var text = String(decoding: data, as: UTF8.self)
        if !text.hasSuffix("\n"), let last = text.lastIndex(of: "\n") {
            text = String(text[...last])
        } else if !text.hasSuffix("\n") {
            return []
        }
        return text.split(separator: "\n").compactMap { line in
            let numbers = line.split(whereSeparator: { $0 == " " || $0 == "," }).map { Int64($0) }
            guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else { return nil }
            return numbers.compactMap { $0 }
        }
    }

    /// The complete lines of this journal.
    func lines() -> [[Int64]] {
        Self.lines(at: path)
    }

    /// Opens the file for appending, emptied first when `empty` (after a replay, under the
    /// runner lock).
    /// - Throws: ``MessageFileError``.
    func open(empty: Bool) throws {
        let descriptor = SystemCalls.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw MessageFileError(path: path, operation: "open", errno: errno) }
        if empty {
            guard ftruncate(descriptor, 0) == 0, SystemCalls.fsync(descriptor) == 0 else {
                let code = errno
                SystemCalls.close(descriptor)
                throw MessageFileError(path: path, operation: "truncate", errno: code)
            }
        }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
        state.withLock { state in
            if state.descriptor >= 0 { SystemCalls.close(state.descriptor) }
            state = State(descriptor: descriptor, size: size)
        }
    }

    /// Whether the file is open for appending.
    var isOpen: Bool { state.withLock { $0.descriptor >= 0 } }

    /// Appends one line; returns whether it was written whole (when not, nothing but the
    /// database records the fact). Call ``committed()`` once the fact is in the database.
    @discardableResult
    func append(_ numbers: [Int64]) -> Bool {
        guard !numbers.isEmpty else { return false }
        let line = Array((numbers.map(String.init).joined(separator: " ") + "\n").utf8)
        return state.withLock { state in
            guard state.descriptor >= 0 else { return false }
            let written = line.withUnsafeBytes { SystemCalls.write(state.descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else { return false }
            state.size += written
            state.pending += 1
            return true
        }
    }

    /// One noted fact is committed; empties the file when it is large and nothing is pending.
    func committed() {
        state.withLock { state in
            state.pending = max(0, state.pending - 1)
            guard state.pending == 0, state.size > Self.truncateAbove, state.descriptor >= 0 else { return }
            if ftruncate(state.descriptor, 0) == 0 { state.size = 0 }
        }
    }
}
