import ArgumentParser
import Foundation
import ZipArchive

/// `sekisho bench zip`: whole-command throughput of `sekisho zip` against 7-Zip (AES-256) and
/// Info-ZIP zip (ZipCrypto), each run as a child process on the same deterministic input, with
/// the peak RSS of our runs (docs/zip.md, docs/performance.md).
struct BenchZipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zip",
        abstract: "sekisho zip vs 7z (AES-256) and zip (ZipCrypto): median MB/s, ratios, peak RSS."
    )

    @Option(help: "Input sizes in MB (10^6 bytes), comma-separated.")
    var sizes = "1,10,100"

    @Option(help: "Timed runs per tool and size.")
    var iterations = 5

    @Option(help: "Untimed runs per tool and size first (warm caches).")
    var warmup = 1

    @Option(help: "Deflate level for every tool.")
    var level = 5

    @Option(help: "Where inputs and archives go (inputs are kept and reused).")
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-bench-zip").path

    /// One contender: a label, the reference it is compared with, and its command line.
    struct Contender {
        var label: String
        var reference: String?
        var path: String
        var arguments: (_ input: String, _ output: String) -> [String]
    }

    static let password = "bench-Passw0rd-2026"

    func run() throws {
        let megabytes = try sizes.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("--sizes: \(part) is not a positive number")
            }
            return value
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let passwordFile = directory + "/password"
        try Data((Self.password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
        let contenders = makeContenders(passwordFile: passwordFile)
        for contender in contenders where !FileManager.default.isExecutableFile(atPath: contender.path) {
            throw BenchZipError("\(contender.label): \(contender.path) not found")
        }
        print("sekisho bench zip: level \(level), \(iterations) timed runs (+\(warmup) warm-up) per tool and size, medians")
        print(String(repeating: "-", count: 96))
        print(Self.row(["size", "tool", "median s", "MB/s", "ratio", "archive", "peak RSS"]))
        var summary = [String]()
        var peakIsUpperBound = false
        var inProcessLines = [String]()
        for size in megabytes {
            let input = directory + "/input-\(size)MB-\(BenchZipInput.version).bin"
            try BenchZipInput.write(size: size * 1_000_000, to: input)
            var times = [String: [Double]]()
            var peaks = [String: Int]()
            var archiveSizes = [String: Int]()
            for round in 0..<(warmup + iterations) {
                for contender in contenders {
                    let output = directory + "/out-\(contender.label.replacingOccurrences(of: " ", with: "-")).zip"
                    unlink(output)  // 7z a and zip would otherwise update an existing archive
                    let result = try TimedChild.run(contender.path, contender.arguments(input, output), scratch: directory)
                    peakIsUpperBound = peakIsUpperBound || result.peakIsUpperBound
                    guard result.exitStatus == 0 else {
                        throw BenchZipError("\(contender.label) exited with \(result.exitStatus) on \(size) MB")
                    }
                    guard round >= warmup else { continue }
                    times[contender.label, default: []].append(result.seconds)
                    peaks[contender.label] = max(peaks[contender.label] ?? 0, result.peakRSS)
                    archiveSizes[contender.label] = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
                }
            }
            for encryption in [ZipEncryption.aes256, .zipCrypto] {
                var seconds = [Double]()
                for round in 0..<(warmup + iterations) {
                    let elapsed = try inProcess(input: input, encryption: encryption)
                    if round >= warmup { seconds.append(elapsed) }
                }
                inProcessLines.append(String(format: "%4d MB  %-10@ in-process %.3f s  %.1f MB/s", size, encryption.rawValue as NSString,
                                        Self.median(seconds), Double(size) / Self.median(seconds)))
            }
            let medians = times.mapValues(Self.median)
            for contender in contenders {
                let seconds = medians[contender.label] ?? .nan
                let throughput = Double(size) / seconds
                var ratio = ""
                if let reference = contender.reference, let theirs = medians[reference] {
                    ratio = String(format: "%.2f×", theirs / seconds)
                    summary.append(String(format: "%4d MB  %-18@ vs %-14@ %.2f×  (%.1f vs %.1f MB/s)", size, contender.label as NSString,
                                          reference as NSString, theirs / seconds, throughput, Double(size) / theirs))
                }
                print(Self.row([
                    "\(size) MB", contender.label, String(format: "%.3f", seconds), String(format: "%.1f", throughput), ratio,
                    String(format: "%.1f %%", Double(archiveSizes[contender.label] ?? 0) * 100 / Double(size * 1_000_000)),
                    String(format: "%.1f MB", Double(peaks[contender.label] ?? 0) / 1_000_000),
                ]))
            }
        }
        print(String(repeating: "-", count: 96))
        print("ratio = their median time / ours (above 1.00× we are faster); archive = archive size / input size")
        print(peakIsUpperBound
            ? "peak RSS: wait4 of the child, an upper bound (no GNU time: includes this process's own peak)"
            : "peak RSS: the child's ru_maxrss, measured through GNU time (/usr/bin/time -f %M)")
        summary.forEach { print($0) }
        print("the same work in this process (ZipWriter on the file, no process start-up or argument parsing):")
        inProcessLines.forEach { print($0) }
    }

    /// `sekisho zip`'s work without a new process: the file through ``ZipCommand/add``.
    private func inProcess(input: String, encryption: ZipEncryption) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let output = try ZipFileOutput(path: directory + "/out-in-process.zip")
        let writer = try ZipWriter(output: output, password: Array(Self.password.utf8),
                                   options: ZipWriterOptions(encryption: encryption, compressionLevel: Int32(level)))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ZipCommand.readSize, alignment: 16)
        defer { buffer.deallocate() }
        try ZipCommand.add(input, as: ZipEntryName(utf8: (input as NSString).lastPathComponent), to: writer, buffer: buffer)
        try writer.finish()
        try output.close()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func makeContenders(passwordFile: String) -> [Contender] {
        let ours = Self.executablePath()
        let level = String(level)
        return [
            Contender(label: "sekisho aes256", reference: "7z aes256", path: ours) { input, output in
                ["zip", "--output", output, "--encryption", "aes256", "--level", level, "--password-file", passwordFile, input]
            },
            Contender(label: "7z aes256", reference: nil, path: Self.find("7z")) { input, output in
                ["a", "-tzip", "-mem=AES256", "-mmt=1", "-mx=\(level)", "-p\(Self.password)", "-bso0", "-bsp0", output, input]
            },
            Contender(label: "sekisho zipcrypto", reference: "zip zipcrypto", path: ours) { input, output in
                ["zip", "--output", output, "--encryption", "zipcrypto", "--level", level, "--password-file", passwordFile, input]
            },
            Contender(label: "zip zipcrypto", reference: nil, path: Self.find("zip")) { input, output in
                ["-q", "-j", "-\(level)", "-P", Self.password, output, input]
            },
        ]
    }

    /// This executable: /proc/self/exe, else argv[0].
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The first `name` on PATH (or /usr/bin/name).
    static func find(_ name: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        return "/usr/bin/\(name)"
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func row(_ cells: [String]) -> String {
        let widths = [8, 20, 10, 9, 8, 9, 10]
        return zip(cells, widths).map { cell, width in cell.padding(toLength: max(width, cell.count), withPad: " ", startingAt: 0) }
            .joined(separator: " ")
    }
}
