#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<database>.runner-lock`, held while a ``DeliveryService`` runs.
///
/// The kernel drops the lock when the process dies, however it dies (`kill -9` included), so a
/// new runner that gets the lock knows no other runner is alive and may release every lease.
final class RunnerLock: Sendable {
    private let descriptor: CInt
    /// The lock file.
    let path: String

    private init(descriptor: CInt, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock without waiting.
    /// - Throws: ``OutboundQueueError`` when another runner holds it; ``MessageFileError`` when the
    ///   file cannot be opened.
    static func acquire(forDatabase databasePath: String) throws -> RunnerLock {
        let path = databasePath + ".runner-lock"
        let descriptor = SystemCalls.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw MessageFileError(path: path, operation: "open", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            SystemCalls.close(descriptor)
            if code == EWOULDBLOCK { throw OutboundQueueError("another delivery service is running on \(databasePath)") }
            throw MessageFileError(path: path, operation: "flock", errno: code)
        }
        return RunnerLock(descriptor: descriptor, path: path)
    }

    /// Drops the lock.
    func release() {
        flock(descriptor, LOCK_UN)
        SystemCalls.close(descriptor)
    }
}
