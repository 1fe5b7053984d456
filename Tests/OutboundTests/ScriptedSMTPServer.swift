import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A small SMTP server on loopback whose replies come from a closure, for what Postfix cannot
/// easily show: AUTH, HELO-only servers, odd limits, silence, injected data.
///
/// It greets, then hands every command line to `respond` and writes back what it returns (raw;
/// CRLF is added; `nil` writes nothing); then `followUp` may write more, separately and a little
/// later, or close the connection. After a reply starting with `354` it collects the data up
/// to the `.` line and hands it over as one ``Event/message(_:)`` (still dot-stuffed, CRLF). It
/// closes the connection after answering QUIT (and keeps it open when QUIT gets no answer).
final class ScriptedSMTPServer: Sendable {
    /// What the client sent.
    enum Event: Hashable, Sendable {
        /// A command line without CRLF.
        case command(String)
        /// The data between DATA's 354 and the final dot, as received.
        case message(String)
    }

    /// What the server does after it has written its replies to a command.
    enum FollowUp: Hashable, Sendable {
        /// Waits a little (50 ms), then writes this (CRLF added) in a separate write.
        case writeLater(String)
        /// Writes these bytes as they are once the client sends anything more (a TLS ClientHello,
        /// say), before looking at what it sent.
        case writeOnNextData([UInt8])
        /// Closes the connection.
        case close
        /// Reads and ignores whatever the client sends from now on (a TLS ClientHello, say).
        case ignoreRest
    }

    let port: Int
    private let recorded = Mutex<[Event]>([])
    private let connectionCount = Mutex(0)

    private init(port: Int) {
        self.port = port
    }

    /// Everything clients sent so far.
    var events: [Event] { recorded.withLock { $0 } }
    /// The command lines so far.
    var commands: [String] {
        events.compactMap { if case .command(let line) = $0 { line } else { nil } }
    }
    /// The messages so far.
    var messages: [String] {
        events.compactMap { if case .message(let text) = $0 { text } else { nil } }
    }
    /// Connections accepted so far.
    var connections: Int { connectionCount.withLock { $0 } }

    /// Runs a server for the duration of `body`.
    static func withServer<Result>(
        greeting: String? = "220 scripted.test ESMTP",
        respond: @escaping @Sendable (Event) -> String?,
        followUp: @escaping @Sendable (Event) -> [FollowUp] = { _ in [] },
        _ body: (ScriptedSMTPServer) async throws -> Result
    ) async throws -> Result {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = listener.channel.localAddress?.port else { throw SMTPTestServerError.noPort }
        let server = ScriptedSMTPServer(port: port)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            server.connectionCount.withLock { $0 += 1 }
                            connections.addTask {
                                try? await server.serve(connection, greeting: greeting, respond: respond, followUp: followUp)
                            }
                        }
                    }
                }
            }
            do {
                let result = try await body(server)
                group.cancelAll()
                try? await listener.channel.close()
                return result
            } catch {
                group.cancelAll()
                try? await listener.channel.close()
                throw error
            }
        }
    }

    private func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>,
        greeting: String?,
        respond: @Sendable (Event) -> String?,
        followUp: @Sendable (Event) -> [FollowUp]
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            if let greeting { try await outbound.write(ByteBuffer(string: greeting + "\r\n")) }
            var pending: [UInt8] = []
            var inData = false
            var data: [UInt8] = []
            var onNextData: [UInt8]?
            var ignoring = false
            for try await chunk in inbound {
                if let bytes = onNextData {
                    onNextData = nil
                    try await outbound.write(ByteBuffer(bytes: bytes))
                }
                if ignoring { continue }
                pending += chunk.readableBytesView
                var replies = ""
                var afterReplies: [FollowUp] = []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[...newline])
                    pending.removeSubrange(...newline)
                    if inData {
                        if line == Array(".\r\n".utf8) {
                            inData = false
                            let event = Event.message(String(decoding: data, as: UTF8.self))
                            recorded.withLock { $0.append(event) }
                            data = []
                            if let reply = respond(event) { replies += reply + "\r\n" }
                        } else {
                            data += line
                        }
                        continue
                    }
                    var bytes = line[...]
                    while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
                    let text = String(decoding: bytes, as: UTF8.self)
                    let event = Event.command(text)
                    recorded.withLock { $0.append(event) }
                    let reply = respond(event)
                    if let reply { replies += reply + "\r\n" }
                    afterReplies += followUp(event)
                    if reply?.components(separatedBy: "\r\n").last?.hasPrefix("354") == true { inData = true }
                    if text.uppercased() == "QUIT", reply != nil {
                        try await outbound.write(ByteBuffer(string: replies))
                        return
                    }
                }
                if !replies.isEmpty { try await outbound.write(ByteBuffer(string: replies)) }
                for next in afterReplies {
                    switch next {
                    case .writeLater(let text):
                        try await Task.sleep(for: .milliseconds(50))
                        try await outbound.write(ByteBuffer(string: text + "\r\n"))
                    case .writeOnNextData(let bytes):
                        onNextData = bytes
                    case .close:
                        return
                    case .ignoreRest:
                        ignoring = true
                        pending = []
                    }
                }
            }
        }
    }
}

enum SMTPTestServerError: Error {
    case noPort
}

/// Replies of a plain, well-behaved server with the given EHLO keywords.
func standardReply(_ event: ScriptedSMTPServer.Event, keywords: [String] = ["PIPELINING", "8BITMIME", "SIZE 10000000"]) -> String? {
    switch event {
    case .message: return "250 2.0.0 Ok: queued as SCRIPTED"
    case .command(let line):
        let verb = line.prefix { $0 != " " && $0 != ":" }.uppercased()
        switch verb {
        case "EHLO": return (["250-scripted.test"] + keywords.dropLast().map { "250-\($0)" } + ["250 \(keywords.last ?? "OK")"]).joined(separator: "\r\n")
        case "HELO": return "250 scripted.test"
        case "MAIL", "RCPT", "RSET", "NOOP": return "250 2.0.0 Ok"
        case "DATA": return "354 End data with <CR><LF>.<CR><LF>"
        case "QUIT": return "221 2.0.0 Bye"
        default: return "502 5.5.2 Error: command not recognized"
        }
    }
}
