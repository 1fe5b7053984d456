#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// An append-only note of deliveries the database does not know yet: `<database>.delivered`.
///
/// Between a server's `250` after the final dot and the commit that records it, the queue does
/// not know the message arrived; a runner killed then sends it again and the server gets it
/// twice (RFC 1047). The delivery service closes most of that window with this file: the first
/// thing it does with a `250` is append one line (`entry recipient,recipient…`) with a single
/// `write()` — which a killed process cannot undo — and only then commit. A runner that starts
/// replays the file into the database (those recipients are delivered) before releasing any
/// lease, then empties it. The file is emptied whenever it has grown past 1 MiB and every line
/// in it has been committed.
final class DeliveryJournal: Sendable {
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

    init(databasePath: String) {
        path = databasePath + ".delivered"
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { SystemCalls.close($0.descriptor) } }
    }

    /// The entries and recipients the file says were delivered (a torn last line is ignored).
    func recorded() throws -> [(entry: Int64, recipients: [Int64])] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var result = [(entry: Int64, recipients: [Int64])]()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let entry = Int64(fields[0]) else { continue }
            let recipients = fields[1].split(separator: ",").compactMap { Int64($0) }
            guard !recipients.isEmpty else { continue }
            result.append((entry, recipients))
        }
        return result
    }

    /// Opens the file for appending, emptied (after a replay, under the runner lock).
    /// - Throws: ``MessageFileError``.
    func openEmpty() throws {
        let descriptor = SystemCalls.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw MessageFileError(path: path, operation: "open", errno: errno) }
        guard ftruncate(descriptor, 0) == 0, SystemCalls.fsync(descriptor) == 0 else {
            let code = errno
            SystemCalls.close(descriptor)
            throw MessageFileError(path: path, operation: "truncate", errno: code)
        }
        state.withLock { state in
            if state.descriptor >= 0 { SystemCalls.close(state.descriptor) }
            state = State(descriptor: descriptor)
        }
    }

    /// Notes that `recipients` of `entry` were delivered; returns whether the line was written
    /// (when not, the commit that follows is the only record, as without a journal). Call
    /// ``committed()`` once the outcome is in the database.
    @discardableResult
    func noteDelivered(entry: Int64, recipients: [Int64]) -> Bool {
        guard !recipients.isEmpty else { return false }
        let line = Array("\(entry) \(recipients.map(String.init).joined(separator: ","))\n".utf8)
        return state.withLock { state in
            guard state.descriptor >= 0 else { return false }
            let written = line.withUnsafeBytes { SystemCalls.write(state.descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else { return false }
            state.size += written
            state.pending += 1
            return true
        }
    }

    /// One noted outcome is committed; empties the file when it is large and nothing is pending.
    func committed() {
        state.withLock { state in
            state.pending = max(0, state.pending - 1)
            guard state.pending == 0, state.size > Self.truncateAbove, state.descriptor >= 0 else { return }
            if ftruncate(state.descriptor, 0) == 0 { state.size = 0 }
        }
    }
}
