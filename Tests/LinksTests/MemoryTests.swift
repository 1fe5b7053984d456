import Crypto
import Foundation
import TestSupport
import Synchronization
import Testing

@testable import Links

/// A large file streams through `create` and the server byte for byte. The resident size of the
/// test process is sampled and printed, not asserted: other suites run in the same process at
/// the same time, so a memory target belongs in a benchmark (docs/links.md has the figures of a
/// run alone: 10–40 MiB of growth for 512 MiB).
@Suite("Memory")
struct MemoryTests {
    static let size = 128 << 20

    /// Resident bytes of this process (`/proc/self/statm`).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Runs `body` while sampling the resident size; returns the growth over the size before.
    static func growth(during body: () async throws -> Void) async throws -> Int {
        let before = residentBytes()
        let peak = ResidentPeak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    peak.record(residentBytes())
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            try await body()
            group.cancelAll()
        }
        peak.record(residentBytes())
        return peak.value - before
    }

    @Test("a 128 MiB attachment is stored and downloaded byte for byte, streamed")
    func flat() async throws {
        let rig = try await LinkRig.make()
        defer { rig.remove() }
        // 1 MiB of random bytes, sent 256 times with the piece index mixed in.
        let block = randomBytes(1 << 20)
        var digest = SHA256()
        for index in 0..<(Self.size >> 20) {
            var piece = block
            piece[0] = UInt8(index & 0xff)
            digest.update(data: piece)
        }
        let expected = digest.finalize().map { String(format: "%02x", $0) }.joined()
        let content: NewLink.Content = { sink in
            for index in 0..<(Self.size >> 20) {
                var piece = block
                piece[0] = UInt8(index & 0xff)
                try piece.withUnsafeBytes { try sink($0) }
            }
        }
        var link: CreatedLink?
        let storing = try await Self.growth {
            link = try await rig.store.create(
                NewLink(
                    files: [(name: "large.bin", contentType: "application/octet-stream", content: content)],
                    expires: rig.clock.now.addingTimeInterval(3_600), sender: "s@example.co.jp",
                    recipients: ["r@example.com"],
                    subject: "large"))
        }
        let created = try #require(link)
        #expect(created.files[0].size == Int64(Self.size) && created.files[0].sha256 == expected)
        let downloading = try await rig.withServer { base async throws in
            try await Self.growth {
                let result = try await Tool.run(
                    "/usr/bin/curl",
                    [
                        "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                        base + "/l/" + created.token + "/0",
                    ])
                #expect(result.output == "200 \(Self.size)")
            }
        }
        print(
            "resident growth: storing \(storing >> 20) MiB, downloading \(downloading >> 20) MiB of a \(Self.size >> 20) MiB file"
        )
        let audit = try await rig.waitForAudit(created.id, outcome: .ok)
        #expect(audit.last?.outcome == .ok && audit.last?.bytes == Int64(Self.size))
    }
}

/// The highest value recorded, from any thread.
final class ResidentPeak: Sendable {
    private let peak = Mutex(0)

    func record(_ value: Int) { peak.withLock { $0 = max($0, value) } }

    var value: Int { peak.withLock { $0 } }
}
