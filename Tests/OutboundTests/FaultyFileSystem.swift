import Foundation
import Synchronization
@testable import Outbound

/// Spool system calls that fail on demand (a full disk, a failed rename, a directory `fsync` that
/// reports an I/O error) and that check every `close` is of a descriptor they opened and have not
/// closed yet, so a double close is seen whatever number the kernel hands out next.
final class FaultyFileSystem: Sendable {
    /// A step to make fail.
    enum Fault: Hashable, Sendable {
        /// `rename` fails with EIO.
        case rename
        /// `fsync` of a directory whose path ends with this fails with EIO.
        case directorySync(suffix: String)
        /// `write` to a file under `tmp/` fails with ENOSPC.
        case writeNoSpace
    }

    private let faults = Mutex<Set<Fault>>([])
    private let open = Mutex<[CInt: String]>([:])
    private let closesOfUnknownDescriptors = Mutex<[CInt]>([])

    /// Makes `fault` happen (until ``clear(_:)``).
    func inject(_ fault: Fault) { _ = faults.withLock { $0.insert(fault) } }
    /// Stops `fault`.
    func clear(_ fault: Fault) { _ = faults.withLock { $0.remove(fault) } }

    /// Descriptors closed although they were not open (double closes).
    var badCloses: [CInt] { closesOfUnknownDescriptors.withLock { $0 } }
    /// Descriptors still open.
    var openDescriptors: [CInt: String] { open.withLock { $0 } }

    private func has(_ fault: Fault) -> Bool { faults.withLock { $0.contains(fault) } }

    var operations: SpoolFileOperations {
        let posix = SpoolFileOperations.posix
        return SpoolFileOperations(
            open: { [self] path, flags, mode in
                let descriptor = posix.open(path, flags, mode)
                if descriptor >= 0 { open.withLock { $0[descriptor] = path } }
                return descriptor
            },
            read: posix.read,
            write: { [self] descriptor, buffer, count in
                let path = open.withLock { $0[descriptor] } ?? ""
                if has(.writeNoSpace), path.contains("/tmp/") {
                    errno = ENOSPC
                    return -1
                }
                return posix.write(descriptor, buffer, count)
            },
            fsync: { [self] descriptor in
                let path = open.withLock { $0[descriptor] } ?? ""
                let failing = faults.withLock { $0 }.contains { fault in
                    if case .directorySync(let suffix) = fault { return path.hasSuffix(suffix) }
                    return false
                }
                if failing {
                    errno = EIO
                    return -1
                }
                return posix.fsync(descriptor)
            },
            close: { [self] descriptor in
                let known = open.withLock { $0.removeValue(forKey: descriptor) != nil }
                if !known { closesOfUnknownDescriptors.withLock { $0.append(descriptor) } }
                return posix.close(descriptor)
            },
            rename: { [self] from, to in
                if has(.rename) {
                    errno = EIO
                    return -1
                }
                return posix.rename(from, to)
            },
            unlink: posix.unlink
        )
    }
}
