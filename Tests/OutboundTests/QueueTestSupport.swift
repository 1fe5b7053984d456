import Foundation
import Synchronization
@testable import Outbound

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init(_ prefix: String = "sekisho-outbound") throws {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw OutboundQueueError("mkdtemp failed") }
        path = String(cString: pointer)
        chmod(path, 0o755)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var queueClock: QueueClock { QueueClock { [self] in self.now } }
}

/// Opens a queue in a temporary directory, runs `body`, and removes the directory.
/// Messages go into spool files (`inlineLimit` 0) unless asked otherwise: most suites check the
/// files.
func withTemporaryQueue<Result>(
    clock: QueueClock = .system,
    inlineLimit: Int = 0,
    _ body: (OutboundQueue, TemporaryDirectory) async throws -> Result
) async throws -> Result {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let queue = try await OutboundQueue.open(databasePath: "\(directory.path)/queue.sqlite", spoolPath: "\(directory.path)/spool", clock: clock, inlineLimit: inlineLimit)
    return try await body(queue, directory)
}

func address(_ text: String) -> SMTPAddress {
    (try? SMTPAddress(text)) ?? .null
}

/// A small message with a unique marker header.
func testMessage(marker: String, subject: String = "test", body: String = "Hello.\n") -> [UInt8] {
    Array("From: <a@example.com>\nTo: <b@example.org>\nSubject: \(subject)\nX-Test-Marker: \(marker)\nMessage-ID: <\(marker)@sekisho.test>\n\n\(body)".utf8)
}
