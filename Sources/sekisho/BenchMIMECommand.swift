import ArgumentParser
import Crypto
import Foundation
import MailMessage

/// `sekisho bench mime`: MIME parse + attachment extraction throughput over .eml files, the
/// same work and output format as Benchmarks/gmime/gmime-bench.c (scripts/bench-mime runs both).
///
/// Per iteration and message: parse from memory, walk every part (into message/rfc822), and for
/// every leaf whose type is not text/plain or text/html, or that has a file name or an
/// `attachment` disposition, decode the name, decode the content and hash it with SHA-256.
struct BenchMIMECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mime",
        abstract: "MIME parse + attachment extraction throughput (compare with scripts/bench-mime)."
    )

    @Option(help: "Timed iterations.")
    var iterations = 10

    @Option(help: "Untimed warm-up iterations.")
    var warmup = 1

    @Flag(help: "List every extracted part (file, path, name, size, sha256) once and exit.")
    var list = false

    @Argument(help: "Message files.")
    var files: [String]

    func run() throws {
        let messages = try files.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let totalBytes = messages.reduce(0) { $0 + $1.count }
        if list {
            for (file, bytes) in zip(files, messages) {
                _ = try Self.extract(bytes) { path, name, size, digest in
                    print("\((file as NSString).lastPathComponent)\t\(path)\t\(name ?? "-")\t\(size)\t\(digest)")
                }
            }
            return
        }
        var work: (Int, Int)?
        var times = [Double]()
        for iteration in 0..<(warmup + max(1, iterations)) {
            let clock = ContinuousClock()
            let start = clock.now
            var parts = 0
            var decoded = 0
            for bytes in messages {
                let (count, size) = try Self.extract(bytes, report: nil)
                parts += count
                decoded += size
            }
            let elapsed = clock.now - start
            if iteration >= warmup {
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            if let work, work != (parts, decoded) { throw ValidationError("iteration \(iteration) did different work") }
            work = (parts, decoded)
        }
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        print("engine sekisho-mailmessage")
        print("files \(messages.count) bytes \(totalBytes)")
        print("work attachments \(work?.0 ?? 0) decoded_bytes \(work?.1 ?? 0)")
        print("iteration_ms " + times.map { String(format: "%.3f", $0) }.joined(separator: " "))
        print(String(format: "median_ms %.3f messages_per_s %.1f mib_per_s %.2f", median, Double(messages.count) * 1000 / median, Double(totalBytes) / 1_048_576 / (median / 1000)))
    }

    /// Parses one message and extracts its parts; returns (parts, decoded bytes).
    static func extract(_ bytes: [UInt8], report: ((String, String?, Int, String) -> Void)?) throws -> (Int, Int) {
        let message = try MailMessage.parse(bytes)
        var parts = 0
        var decodedBytes = 0
        for located in message.entities {
            guard case .leaf = located.entity.body else { continue }
            let entity = located.entity
            let type = entity.contentType
            let name = entity.filename
            guard !type.isBodyText || name != nil || entity.contentDisposition?.type == "attachment" else { continue }
            var hasher = SHA256()
            var size = 0
            try entity.forEachDecodedChunk { chunk in
                hasher.update(bufferPointer: chunk)
                size += chunk.count
            }
            let digest = hasher.finalize()
            parts += 1
            decodedBytes += size
            if let report {
                report(located.path, name, size, digest.map { String(format: "%02x", $0) }.joined())
            }
        }
        return (parts, decodedBytes)
    }
}
