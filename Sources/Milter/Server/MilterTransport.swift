import NIOConcurrencyHelpers
import NIOCore

/// The read side of one milter connection as the session driver sees it.
protocol MilterByteSource: AnyObject, Sendable {
    /// Everything received since the last call, waiting if nothing is buffered; `nil` at end of
    /// stream.
    func next() async throws -> ByteBuffer?
}

/// The write side of one milter connection as the session driver sees it: whole reply batches,
/// and `SMFIR_PROGRESS` keep-alives while a slow end-of-message handler runs.
protocol MilterTransport: Sendable {
    /// Writes and flushes one batch of response frames.
    func write(_ buffer: ByteBuffer) async throws
    /// Writes and flushes one batch and returns once it is written to the socket (throws when
    /// it could not be).
    func writeAndWait(_ buffer: ByteBuffer) async throws
    /// An end-of-message handler starts: from now on send `SMFIR_PROGRESS` at the configured
    /// interval until ``endSlowWork()``.
    func beginSlowWork()
    /// The handler finished; no progress frame is written after this returns.
    func endSlowWork()
    /// Called when input produced no reply: acknowledge it now (`TCP_QUICKACK`) rather than
    /// after the delayed-ACK timer, since no reply will carry the ACK.
    func acknowledgeNow()
    /// Releases timers; called once when the session ends.
    func finish()
}

extension MilterTransport {
    func writeAndWait(_ buffer: ByteBuffer) async throws { try await write(buffer) }
}

/// The transport of a NIO channel. A write is handed to the channel without waiting for it to
/// complete, unless the channel is not writable (the MTA is not reading): then it waits, which
/// bounds what a session can queue.
struct ChannelTransport: MilterTransport {
    let channel: any Channel
    /// Whether to force ACKs with `TCP_QUICKACK` (TCP on Linux only).
    let quickAck: Bool
    let progress: ProgressTimer?

    init(channel: any Channel, quickAck: Bool, progressInterval: TimeAmount?) {
        self.channel = channel
        self.quickAck = quickAck
        self.progress = progressInterval.map { ProgressTimer(channel: channel, interval: $0) }
    }

    #if os(Linux)
    /// `TCP_QUICKACK` from `<netinet/tcp.h>`.
    private static let quickAckOption = ChannelOptions.Types.SocketOption(
        level: .tcp,
        name: NIOBSDSocket.Option(rawValue: 12)
    )
    #endif

    func write(_ buffer: ByteBuffer) async throws {
        if channel.isWritable {
            channel.writeAndFlush(buffer, promise: nil)
        } else {
            try await channel.writeAndFlush(buffer).get()
        }
    }

    func writeAndWait(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer).get()
    }

    func beginSlowWork() { progress?.begin() }

    func endSlowWork() { progress?.end() }

    func finish() { progress?.stop() }

    /// Sendmail writes each macro packet and the command after it separately, without
    /// `TCP_NODELAY`. A macro packet gets no reply, so without an immediate ACK Nagle on Sendmail's
    /// side holds the command until our delayed ACK fires (~40 ms, five times per message).
    /// `TCP_QUICKACK` does not stick, hence once per unanswered read.
    func acknowledgeNow() {
        #if os(Linux)
        guard quickAck else { return }
        if channel.eventLoop.inEventLoop {
            try? channel.syncOptions?.setOption(Self.quickAckOption, value: 1)
        } else {
            channel.setOption(Self.quickAckOption, value: 1).whenComplete { _ in }
        }
        #endif
    }
}

/// Sends `SMFIR_PROGRESS` at least every `interval` while end-of-message work is under way.
///
/// One event-loop timer per connection, armed at the first slow phase and re-armed only while a
/// phase is active, so a busy connection schedules about one timer per interval, not one per
/// message. The check and the write happen under the lock on the event loop; ``end()`` takes the
/// same lock, so no progress frame follows the final reply.
final class ProgressTimer: Sendable {
    private struct State {
        var active = false
        var armed = false
        var stopped = false
        var scheduled: Scheduled<Void>?
    }

    private let state = NIOLockedValueBox(State())
    private let channel: any Channel
    private let interval: TimeAmount
    private let frame: ByteBuffer

    init(channel: any Channel, interval: TimeAmount) {
        self.channel = channel
        self.interval = interval
        var frame = channel.allocator.buffer(capacity: 5)
        frame.writeMilterResponse(.progress)
        self.frame = frame
    }

    func begin() {
        let arm = state.withLockedValue { state -> Bool in
            state.active = true
            guard !state.armed, !state.stopped else { return false }
            state.armed = true
            return true
        }
        if arm { schedule() }
    }

    func end() {
        state.withLockedValue { $0.active = false }
    }

    func stop() {
        let scheduled = state.withLockedValue { state -> Scheduled<Void>? in
            state.stopped = true
            defer { state.scheduled = nil }
            return state.scheduled
        }
        scheduled?.cancel()
    }

    private func schedule() {
        let scheduled = channel.eventLoop.scheduleTask(in: interval) { [self] in self.fire() }
        state.withLockedValue { $0.scheduled = scheduled }
    }

    private func fire() {
        let rearm = state.withLockedValue { state -> Bool in
            guard state.active, !state.stopped else {
                state.armed = false
                return false
            }
            channel.writeAndFlush(frame, promise: nil)
            return true
        }
        if rearm { schedule() }
    }
}

/// Hands a channel's reads to the session task: bytes received while the task is busy are
/// appended to one buffer and taken in one piece by the next ``next()``.
///
/// Above ``highWatermark`` buffered bytes the channel stops reading until the task catches up.
final class ChannelByteSource: ChannelInboundHandler, MilterByteSource, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    static let highWatermark = 4 << 20

    private let lock = NIOLock()
    // Guarded by `lock`.
    private var buffered: ByteBuffer?
    private var waiter: UnsafeContinuation<ByteBuffer?, any Error>?
    private var end: Result<Void, any Error>?
    private var paused = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        let resume: UnsafeContinuation<ByteBuffer?, any Error>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            if buffered == nil {
                buffered = chunk
            } else {
                buffered!.writeBuffer(&chunk)
            }
            if buffered!.readableBytes > Self.highWatermark, !paused {
                paused = true
                context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
            }
            return nil
        }
        resume?.resume(returning: chunk)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.success(()))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<Void, any Error>) {
        let resume: UnsafeContinuation<ByteBuffer?, any Error>? = lock.withLock {
            if end == nil { end = result }
            defer { waiter = nil }
            return waiter
        }
        switch result {
        case .success: resume?.resume(returning: nil)
        case .failure(let error): resume?.resume(throwing: error)
        }
    }

    func next() async throws -> ByteBuffer? {
        enum Immediate { case bytes(ByteBuffer, resumeReading: Bool), end(Result<Void, any Error>), wait }
        let immediate: Immediate = lock.withLock {
            if let buffered {
                self.buffered = nil
                let resume = paused
                paused = false
                return .bytes(buffered, resumeReading: resume)
            }
            if let end { return .end(end) }
            return .wait
        }
        switch immediate {
        case .bytes(let bytes, let resumeReading):
            if resumeReading, let channel = context?.channel {
                channel.setOption(.autoRead, value: true).whenComplete { _ in }
            }
            return bytes
        case .end(.success):
            return nil
        case .end(.failure(let error)):
            throw error
        case .wait:
            return try await withUnsafeThrowingContinuation { continuation in
                let (now, resumeReading): (Result<ByteBuffer?, any Error>?, Bool) = lock.withLock {
                    if let buffered {
                        self.buffered = nil
                        let resume = paused
                        paused = false
                        return (.success(buffered), resume)
                    }
                    if let end {
                        return (end.map { nil }, false)
                    }
                    waiter = continuation
                    return (nil, false)
                }
                if resumeReading, let channel = context?.channel {
                    channel.setOption(.autoRead, value: true).whenComplete { _ in }
                }
                if let now { continuation.resume(with: now) }
            }
        }
    }
}
