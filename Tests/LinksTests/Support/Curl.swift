import Foundation
import TestSupport

/// HTTP through the real `curl` (scripts/test installs it): status, headers, body bytes.
enum Curl {
    struct Result {
        /// The HTTP status (0 when there was no response).
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        var body: [UInt8]
        /// curl's exit status (18: the body was shorter than Content-Length).
        var exitStatus: Int32
        var error: String

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func get(_ url: String, headers: [String] = [], extra: [String] = []) async throws -> Result {
        try await request(url, arguments: extra + headers.flatMap { ["-H", $0] })
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    static func post(_ url: String, form: [String: String] = [:], headers: [String] = []) async throws -> Result {
        var arguments = ["-X", "POST"]
        if form.isEmpty { arguments += ["--data", ""] }
        for (name, value) in form.sorted(by: { $0.key < $1.key }) {
            arguments += ["--data-urlencode", "\(name)=\(value)"]
        }
        return try await request(url, arguments: arguments + headers.flatMap { ["-H", $0] })
    }

    static func request(_ url: String, arguments: [String]) async throws -> Result {
        let curl = try Tool.require("/usr/bin/curl")
        let scratch = NSTemporaryDirectory() + "links-curl-\(UInt64.random(in: 0...UInt64.max))"
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".body")
            try? FileManager.default.removeItem(atPath: scratch + ".head")
        }
        let result = try await Tool.run(
            curl,
            [
                "-s", "-S", "-k", "--max-time", "60", "-o", scratch + ".body", "-D", scratch + ".head", "-w",
                "%{http_code}",
            ] + arguments + [url])
        let body = (try? Data(contentsOf: URL(fileURLWithPath: scratch + ".body"))).map { [UInt8]($0) } ?? []
        let head = (try? String(contentsOfFile: scratch + ".head", encoding: .utf8)) ?? ""
        var headers = [String: String]()
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return Result(
            status: Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, headers: headers,
            body: body, exitStatus: result.status, error: result.error)
    }

    /// Runs all `transfers` (each: its own options and URL) at once in one curl process and
    /// returns their HTTP statuses, in completion order.
    static func parallel(_ transfers: [[String]]) async throws -> [Int] {
        let curl = try Tool.require("/usr/bin/curl")
        var arguments = ["--parallel", "--parallel-immediate", "--parallel-max", "\(max(1, transfers.count))"]
        for (index, transfer) in transfers.enumerated() {
            if index > 0 { arguments.append("--next") }
            arguments += ["-s", "-k", "-w", "%{http_code}\n", "-o", "/dev/null"] + transfer
        }
        let result = try await Tool.run(curl, arguments)
        return result.output.split(separator: "\n").compactMap { Int($0) }
    }
}
