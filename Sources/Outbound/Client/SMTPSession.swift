import Logging
import NIOCore

/// An open SMTP session, ready for mail; obtained from ``SMTPClient/withSession(to:_:)`` and only
/// valid inside it.
///
/// Messages are sent one after another; from the second on, the session sends RSET first. After
/// an error that leaves the connection in an unknown state (timeout, lost connection, protocol
/// violation, unreadable message file) the session is broken and every further ``send(_:)`` throws.
public final class SMTPSession {
    /// What the server announced (after TLS, the second EHLO's answer).
    public let capabilities: SMTPCapabilities
    /// Whether the session runs over TLS.
    public let isEncrypted: Bool
    /// The relay (with `tls.mode == .none` after an opportunistic fallback).
    public let relay: SMTPRelay
    /// Messages sent on this session so far.
    public private(set) var transactionCount = 0

    private let connection: SMTPConnection
    private let chunkSize: Int
    private var brokenBy: SMTPClientError?
    /// Runs each message on the channel's event loop (replies resume it there).
    private let executor: (any TaskExecutor)?

    init(connection: SMTPConnection, relay: SMTPRelay, capabilities: SMTPCapabilities, isEncrypted: Bool, chunkSize: Int, executor: (any TaskExecutor)? = nil) {
        self.connection = connection
        self.relay = relay
        self.capabilities = capabilities
        self.isEncrypted = isEncrypted
        self.chunkSize = chunkSize
        self.executor = executor
    }

    /// Sends one message and returns what happened to each recipient.
    ///
    /// Refusals (of the sender, of some recipients, of the data) are in the result, each marked
    /// transient or permanent. The message is streamed in chunks of the configured size. A message
    /// in a file is opened before anything is sent: when it cannot be, the call throws
    /// ``SMTPClientError/Code/messageUnreadable`` in ``SMTPPhase/mail`` and the session stays
    /// usable.
    /// - Throws: ``SMTPClientError`` when the message file cannot be opened, or the session broke
    ///   (then nothing about this message is known to have been accepted), or was already broken.
    ///   A failed RSET (phase ``SMTPPhase/reset``) breaks the session before anything of this
    ///   message was sent.
    public func send(_ message: OutboundMessage) async throws(SMTPClientError) -> TransactionResult {
        try await withTaskExecutorPreference(executor) { () async throws(SMTPClientError) -> TransactionResult in
            try await self.sendHere(message)
        }
    }

    private func sendHere(_ message: OutboundMessage) async throws(SMTPClientError) -> TransactionResult {
        if let brokenBy { throw brokenBy }
        let body = try await MessageBody.open(message.body)
        do {
            // With PIPELINING the RSET goes out with MAIL, RCPT and DATA: one round trip less.
            let resetFirst = transactionCount > 0 && capabilities.pipelining
            if transactionCount > 0, !resetFirst { try await reset() }
            transactionCount += 1
            let result = try await transaction(message, body: body, resetFirst: resetFirst)
            await body.close()
            return result
        } catch {
            await body.close()
            brokenBy = error
            connection.abort()
            throw error
        }
    }

    /// RSET between messages. A refusal is of the session, not of the next message: transient
    /// whatever its code.
    private func reset() async throws(SMTPClientError) {
        try await connection.send([.reset], in: .reset)
        try Self.checkReset(try await connection.read(in: .reset))
    }

    private static func checkReset(_ reply: SMTPResponse) throws(SMTPClientError) {
        guard reply.isPositiveCompletion else {
            throw reply.code >= 400 ? .refusedSession(reply, in: .reset) : .unexpected(reply, in: .reset, expected: "250")
        }
    }

    /// One transaction. With `resetFirst` the RSET leads the first group of commands (pipelined)
    /// and its reply is read first; a refused RSET breaks the session before the message's
    /// content is sent (the commands after it are dropped with the connection).
    private func transaction(_ message: OutboundMessage, body: MessageBody, resetFirst: Bool) async throws(SMTPClientError) -> TransactionResult {
        var machine = SMTPTransactionStateMachine(
            sender: message.sender,
            recipients: message.recipients,
            message: message.properties,
            capabilities: capabilities
        )
        var action = machine.start()
        var resetPending = resetFirst
        while true {
            switch action {
            case .send(let commands) where resetPending:
                resetPending = false
                try await connection.send([.reset] + commands, in: .reset)
                try Self.checkReset(try await connection.read(in: .reset))
            case .send(let commands):
                try await connection.send(commands, in: machine.phase)
            case .sendMessage:
                try await sendBody(body)
            case .sendEmptyMessage:
                try await connection.write(ByteBuffer(string: ".\r\n"), in: .dataBlock)
            case .finished(let result):
                return result
            case .fail(let error):
                throw error
            }
            action = machine.receive(try await connection.read(in: machine.phase))
        }
    }

    /// Streams the message through the dot-stuffer, one chunk at a time, then the final dot.
    private func sendBody(_ body: MessageBody) async throws(SMTPClientError) {
        var encoder = SMTPDataEncoder()
        switch body {
        case .bytes(let bytes):
            // The last chunk carries the final dot: a small message is one write.
            var offset = 0
            while offset < bytes.readableBytes {
                let length = min(chunkSize, bytes.readableBytes - offset)
                var out = ByteBuffer()
                if let slice = bytes.getSlice(at: bytes.readerIndex + offset, length: length) { encoder.encode(slice, into: &out) }
                offset += length
                if offset >= bytes.readableBytes { encoder.finish(into: &out) }
                try await connection.write(out, in: .dataBlock)
            }
            if bytes.readableBytes == 0 {
                var end = ByteBuffer()
                encoder.finish(into: &end)
                try await connection.write(end, in: .dataBlock)
            }
            return
        case .file(let reader):
            while let chunk = try await readChunk(reader) {
                var out = ByteBuffer()
                encoder.encode(chunk, into: &out)
                try await connection.write(out, in: .dataBlock)
            }
        }
        var end = ByteBuffer()
        encoder.finish(into: &end)
        try await connection.write(end, in: .dataBlock)
    }

    /// A read error in the middle of DATA must not end with the final dot (that would deliver a
    /// truncated message): it breaks the session, which closes the connection.
    private func readChunk(_ reader: MessageFileReader) async throws(SMTPClientError) -> ByteBuffer? {
        do {
            return try await reader.next(maximum: chunkSize)
        } catch {
            throw SMTPClientError(.messageUnreadable, phase: .dataBlock, isTransient: true, detail: "\(error)")
        }
    }

    /// Sends QUIT and waits briefly (``SMTPTimeouts/quit``) for the reply; errors are ignored.
    func quit() async {
        guard brokenBy == nil else { return }
        await Self.sendQuit(connection)
    }

    static func sendQuit(_ connection: SMTPConnection) async {
        do {
            try await connection.send([.quit], in: .quit)
            _ = try await connection.read(in: .quit)
        } catch {
            connection.logger.debug("QUIT failed", metadata: ["error": "\(error)"])
        }
    }
}

/// A message's bytes ready to send: in memory, or a file already open.
private enum MessageBody {
    case bytes(ByteBuffer)
    case file(MessageFileReader)

    /// Opens a file body (before MAIL, so a missing file costs no transaction).
    static func open(_ body: OutboundMessage.Body) async throws(SMTPClientError) -> MessageBody {
        switch body {
        case .bytes(let bytes):
            return .bytes(bytes)
        case .file(let path):
            do {
                return .file(try await MessageFileReader.open(path))
            } catch {
                throw SMTPClientError(.messageUnreadable, phase: .mail, isTransient: true, detail: "\(error)")
            }
        }
    }

    func close() async {
        if case .file(let reader) = self { await reader.close() }
    }
}
