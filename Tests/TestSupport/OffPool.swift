import Foundation

/// Runs blocking work (fsync-heavy writes, key derivation, parsing a corpus) on a thread of its
/// own, so the two threads of Swift's cooperative pool on this machine keep serving the other
/// suites: timing tests elsewhere starve when a synchronous test body holds one for seconds.
/// Keep `#expect` out of `body` (it runs outside the test's task).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
