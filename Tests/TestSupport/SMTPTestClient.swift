import NIOCore
import NIOPosix

/// One SMTP reply: the code and the text of every line.
public struct SMTPTestReply: Sendable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    /// All lines as the client received them, joined by `\n`.
    public var description: String { lines.joined(separator: "\n") }
}

/// A small SMTP client for end-to-end tests (no TLS, no AUTH): enough to talk to Postfix on
/// loopback, pipelining nothing, reading multi-line replies.
public final class SMTPTestClient {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()
    /// The greeting read on connect.
    public private(set) var greeting: SMTPTestReply?

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, reads the greeting, runs `body`, and closes. `from` binds the client's end to a
    /// loopback address of the test's choosing (all of 127/8 is local on Linux): the MTA, and
    /// the milter behind it, see that client address (Sendmail has no XCLIENT).
    public static func withConnection<Result>(
        host: String = "127.0.0.1",
        port: Int,
        from localAddress: String? = nil,
        _ body: (SMTPTestClient) async throws -> Result
    ) async throws -> Result {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(10))
        if let localAddress { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0)) }
        let channel = try await bootstrap
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let client = SMTPTestClient(inbound: inbound, outbound: outbound)
            client.greeting = try await client.readReply()
            return try await body(client)
        }
    }

    /// One whole transaction on a new connection: EHLO, MAIL, RCPT for each recipient, DATA.
    /// Returns the reply code after the final dot (or the first refusal's code).
    public static func send(port: Int, from: String, to recipients: [String], message: some Collection<UInt8>) async throws -> Int {
        try await withConnection(port: port) { client in
            _ = try await client.command("EHLO client.example.net")
            let mail = try await client.command("MAIL FROM:<\(from)>")
            guard mail.code == 250 else { return mail.code }
            for recipient in recipients {
                let reply = try await client.command("RCPT TO:<\(recipient)>")
                guard reply.code == 250 else { return reply.code }
            }
            let (data, end) = try await client.data(message)
            await client.quit()
            return end?.code ?? data.code
        }
    }

    /// Sends one command line and reads the reply.
    @discardableResult
    public func command(_ line: String) async throws -> SMTPTestReply {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await readReply()
    }

    /// DATA, then the message (dot-stuffed, CRLF line ends), then the final dot.
    /// Returns the reply to DATA and, when DATA was accepted, the reply after the dot.
    public func data(_ message: some Collection<UInt8>) async throws -> (data: SMTPTestReply, end: SMTPTestReply?) {
        let data = try await command("DATA")
        guard data.code == 354 else { return (data, nil) }
        var out = ByteBuffer()
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            if byte == 10 && previous != 13 { out.writeInteger(UInt8(13)) }
            out.writeInteger(byte)
            atLineStart = byte == 10
            previous = byte
        }
        if !atLineStart { out.writeString("\r\n") }
        out.writeString(".\r\n")
        try await outbound.write(out)
        return (data, try await readReply())
    }

    /// Sends QUIT and reads the reply.
    public func quit() async {
        _ = try? await command("QUIT")
    }

    /// Reads one (possibly multi-line) reply.
    public func readReply() async throws -> SMTPTestReply {
        var lines: [String] = []
        while true {
            let line = try await readLine()
            lines.append(line)
            let bytes = Array(line.utf8)
            if bytes.count < 4 || bytes[3] != UInt8(ascii: "-") {
                return SMTPTestReply(code: Int(line.prefix(3)) ?? 0, lines: lines)
            }
        }
    }

    private func readLine() async throws -> String {
        while true {
            if let newline = buffer.readableBytesView.firstIndex(of: 10) {
                var line = buffer.readString(length: newline - buffer.readerIndex)!
                buffer.moveReaderIndex(forwardBy: 1)
                if line.hasSuffix("\r") { line.removeLast() }
                return line
            }
            guard var chunk = try await inbound.next() else {
                throw SMTPTestError("connection closed by the server")
            }
            buffer.writeBuffer(&chunk)
        }
    }
}

/// An SMTP client failure.
public struct SMTPTestError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
