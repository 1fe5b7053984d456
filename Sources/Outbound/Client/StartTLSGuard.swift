import NIOCore
import Synchronization

/// The first handler of every connection's pipeline: it keeps plaintext from being taken as part
/// of the encrypted session after STARTTLS (a response-injection attack, cf. CVE-2011-0411).
///
/// Until STARTTLS it passes bytes on and counts the replies in them (a reply ends with a line
/// whose code is followed by a space or nothing, as in ``SMTPResponseParser``). Then, all on the
/// event loop:
///
/// 1. ``armForReply(repliesRead:context:)``, before STARTTLS is written: every reply the server sent so far
///    must have been read by the session (nothing unsolicited waiting), and no partial line may be
///    pending. The next reply is STARTTLS's.
/// 2. Once that reply's last byte has passed, the guard is *sealed*: any further byte, in the same
///    read or a later one, is fatal. It is not passed on: the connection is closed with
///    ``SMTPClientError/Code/protocolViolation`` in ``SMTPPhase/startTLS``.
/// 3. ``startTLS(repliesRead:context:)`` is called in the same event-loop task that then puts
///    `NIOSSLClientHandler` right behind the guard, so no read can come between the seal and the
///    TLS handler. From then on the first byte must start a TLS record (handshake `0x16` or alert
///    `0x15`); plaintext such as `250 …` that arrives after the handler was added is fatal in the
///    same way. After that first byte the guard only passes bytes on.
///
/// Not `Sendable`: it lives on its channel's event loop.
final class StartTLSGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        /// Plaintext before STARTTLS: pass and count replies.
        case counting
        /// STARTTLS was sent: pass bytes up to the end of reply number `target`.
        case awaitingReply(target: Int)
        /// The STARTTLS reply is complete; no byte may follow before the TLS handler is added.
        case sealed
        /// The TLS handler is in place; the next byte must start a TLS record.
        case expectingTLSRecord
        /// TLS is running (or the guard has nothing left to do).
        case passing
        /// Plaintext followed the STARTTLS reply: everything is dropped.
        case tripped
    }

    private var state = State.counting
    private let verdict: StartTLSVerdict
    /// Complete replies seen in the byte stream.
    private var completedReplies = 0
    /// Bytes of the current line so far (CR included, LF not).
    private var lineLength = 0
    /// The current line's fourth byte (space, `-`, …), once seen.
    private var separator: UInt8?
    /// Whether the last byte was CR.
    private var lastWasCR = false
    /// Whether a reply's continuation line (`250-…`) was seen and its last line not yet.
    private var midReply = false

    /// A guard that records why it stopped the connection in `verdict`.
    init(verdict: StartTLSVerdict) {
        self.verdict = verdict
    }

    /// Whether the guard stopped the connection.
    var hasTripped: Bool {
        if case .tripped = state { return true }
        return false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        switch state {
        case .passing:
            context.fireChannelRead(data)
        case .counting:
            _ = count(buffer, until: nil)
            context.fireChannelRead(data)
        case .awaitingReply(let target):
            guard let end = count(buffer, until: target) else {
                context.fireChannelRead(data)
                return
            }
            state = .sealed
            let reply = buffer.readSlice(length: end) ?? ByteBuffer()
            context.fireChannelRead(wrapInboundOut(reply))
            if buffer.readableBytes > 0 { trip(context, "data followed the STARTTLS reply before the TLS handshake") }
        case .sealed:
            if buffer.readableBytes > 0 { trip(context, "data followed the STARTTLS reply before the TLS handshake") }
        case .expectingTLSRecord:
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
            guard first == 0x16 || first == 0x15 else {
                trip(context, "plaintext instead of a TLS handshake after the STARTTLS reply")
                return
            }
            state = .passing
            context.fireChannelRead(data)
        case .tripped:
            break
        }
    }

    /// STARTTLS is about to be written. Fails (and closes the connection) when a reply the session
    /// has not read, or a part of one, is already waiting.
    /// - Parameter repliesRead: the replies the session has read so far.
    func armForReply(repliesRead: Int, context: ChannelHandlerContext) throws(SMTPClientError) {
        guard case .counting = state else { throw fail(context, "STARTTLS prepared twice") }
        guard completedReplies == repliesRead, lineLength == 0, !midReply else {
            throw fail(context, "the server sent data nobody asked for before STARTTLS")
        }
        state = .awaitingReply(target: repliesRead + 1)
    }

    /// The TLS handler is about to be added behind the guard, in this event-loop task. Fails when
    /// the STARTTLS reply is not the last thing received and read.
    func startTLS(repliesRead: Int, context: ChannelHandlerContext) throws(SMTPClientError) {
        guard case .sealed = state, completedReplies == repliesRead else {
            throw fail(context, hasTripped ? "data followed the STARTTLS reply before the TLS handshake" : "TLS started out of order")
        }
        state = .expectingTLSRecord
    }

    /// Counts replies in `buffer`; with a `target`, returns the number of bytes up to and
    /// including the end of reply number `target` when it ends in this buffer.
    private func count(_ buffer: ByteBuffer, until target: Int?) -> Int? {
        var offset = 0
        for byte in buffer.readableBytesView {
            offset += 1
            guard byte == UInt8(ascii: "\n") else {
                if lineLength == 3 { separator = byte }
                lineLength += 1
                lastWasCR = byte == UInt8(ascii: "\r")
                continue
            }
            let length = lastWasCR ? lineLength - 1 : lineLength
            let isLast = length <= 3 || separator != UInt8(ascii: "-")
            lineLength = 0
            separator = nil
            lastWasCR = false
            midReply = !isLast
            if isLast {
                completedReplies += 1
                if let target, completedReplies == target { return offset }
            }
        }
        return nil
    }

    /// Stops the connection; the caller throws the error.
    private func fail(_ context: ChannelHandlerContext, _ detail: String) -> SMTPClientError {
        state = .tripped
        let error = Self.violation(detail)
        verdict.record(error)
        context.close(promise: nil)
        return error
    }

    /// Stops the connection from inside the pipeline: the error goes to whoever waits on it (the
    /// reply stream, the TLS handshake), then the connection is closed.
    private func trip(_ context: ChannelHandlerContext, _ detail: String) {
        state = .tripped
        let error = Self.violation(detail)
        verdict.record(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private static func violation(_ detail: String) -> SMTPClientError {
        SMTPClientError(.protocolViolation, phase: .startTLS, isTransient: true, detail: detail)
    }
}

/// Why a ``StartTLSGuard`` stopped its connection, readable from the session's task after the
/// channel (and the guard with it) is gone.
final class StartTLSVerdict: Sendable {
    private let error = Mutex<SMTPClientError?>(nil)

    /// No verdict yet.
    init() {}

    /// The first violation recorded.
    var violation: SMTPClientError? { error.withLock { $0 } }

    func record(_ violation: SMTPClientError) {
        error.withLock { if $0 == nil { $0 = violation } }
    }
}
