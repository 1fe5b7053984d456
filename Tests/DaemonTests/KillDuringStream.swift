import Foundation
import Synchronization
import TestSupport

/// Messages streamed through Postfix by several clients while a process is killed once a given
/// number were accepted, whatever the speed of the machine (the crash suites).
enum KillDuringStream {
    /// Sends `perClient` messages from each of `clients` clients (`message(id)` for the id
    /// `<run>-<client>-<index>`) to `port`, and kills `pid` with SIGKILL once `killAfter` were
    /// accepted (or after a minute). Returns every id with the final reply code (-1: no reply).
    static func run(
        port: Int, run: String, clients: Int, perClient: Int, killAfter: Int, pid: pid_t, from: String, to: String, message: @escaping @Sendable (String) -> [UInt8]
    ) async throws -> [(String, Int)] {
        let acceptedSoFar = ManagedAtomicCounter()
        return try await withThrowingTaskGroup(of: [(String, Int)].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var outcomes = [(String, Int)]()
                    for index in 0..<perClient {
                        let id = "\(run)-\(client)-\(index)"
                        let code = (try? await SMTPTestClient.send(port: port, from: from, to: [to], message: message(id))) ?? -1
                        if code == 250 { acceptedSoFar.increment() }
                        outcomes.append((id, code))
                    }
                    return outcomes
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(60)
                while acceptedSoFar.value < killAfter, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                kill(pid, SIGKILL)
                return []
            }
            var all = [(String, Int)]()
            for try await outcomes in group { all += outcomes }
            return all
        }
    }
}

/// A counter the sending tasks share.
final class ManagedAtomicCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
