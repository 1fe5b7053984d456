#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls ``SpoolDirectory`` makes to write, move and remove message files.
///
/// Injected through the spool's initialiser so tests can make one step fail the way a disk does
/// (a full disk, a failed rename, a directory `fsync` that reports an I/O error) and check what
/// the spool does then. Each call returns what the POSIX call returns and leaves `errno` set on
/// failure.
struct SpoolFileOperations: Sendable {
    var open: @Sendable (_ path: String, _ flags: CInt, _ mode: mode_t) -> CInt
    var read: @Sendable (_ descriptor: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int
    var write: @Sendable (_ descriptor: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int
    var fsync: @Sendable (_ descriptor: CInt) -> CInt
    var close: @Sendable (_ descriptor: CInt) -> CInt
    var rename: @Sendable (_ from: String, _ to: String) -> CInt
    var unlink: @Sendable (_ path: String) -> CInt

    /// The real system calls.
    static let posix = SpoolFileOperations(
        open: { SystemCalls.open($0, $1, $2) },
        read: { SystemCalls.read($0, $1, $2) },
        write: { SystemCalls.write($0, $1, $2) },
        fsync: { SystemCalls.fsync($0) },
        close: { SystemCalls.close($0) },
        rename: { SystemCalls.rename($0, $1) },
        unlink: { SystemCalls.unlink($0) }
    )
}
