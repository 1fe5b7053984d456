import Logging
import Milter
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import TestSupport

/// Runs a ``MilterServer`` for the duration of `body`, listening where asked (port 0 by default).
func withMilterServer<Handler: MilterHandler, Result>(
    listen: MilterSocketAddress = .inet(host: "127.0.0.1", port: 0),
    logs: LogCapture = LogCapture(),
    configure: (inout MilterServer<Handler>.Configuration) -> Void = { _ in },
    makeHandler: @escaping @Sendable (MilterSessionContext) -> Handler,
    _ body: (MilterSocketAddress) async throws -> Result
) async throws -> Result {
    let (addresses, continuation) = AsyncStream<MilterSocketAddress>.makeStream()
    var configuration = MilterServer<Handler>.Configuration(listen: listen)
    configuration.onListening = { continuation.yield($0) }
    configure(&configuration)
    let server = MilterServer(configuration: configuration, logger: logs.logger(level: .debug), makeHandler: makeHandler)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = addresses.makeAsyncIterator()
        guard let address = await iterator.next() else { throw TestFailure("server did not listen") }
        defer { group.cancelAll() }
        return try await body(address)
    }
}

/// A filter like the example milter, plus a per-connection message counter.
struct CountingFilter: MilterHandler {
    var messages = 0

    func envelopeFrom(_ sender: EnvelopeAddress, macros: MilterMacros) async throws -> MilterVerdict {
        sender.address == "reject@example.com" ? .reply(try SMTPReply("550 5.7.1 rejected by example")) : .continue
    }

    mutating func endOfMessage(_ modifier: MessageModifier, macros: MilterMacros) async throws -> MilterVerdict {
        messages += 1
        try modifier.addHeader("X-Count", value: "\(messages)")
        return .continue
    }
}

/// A short message for loopback tests.
func sampleTransaction(from sender: String = "a@example.com", marker: String = "hello") -> MilterTransaction {
    MilterTransaction(
        message: Array("From: <\(sender)>\r\nTo: <b@example.org>\r\nSubject: \(marker)\r\n\r\nBody of \(marker).\r\n".utf8),
        sender: EnvelopeAddress(raw: "<\(sender)>"),
        recipients: [EnvelopeAddress(raw: "<b@example.org>")],
        macros: [.endOfMessage: [MilterMacro(name: "i", value: "Q1")]]
    )
}

/// Opens a plain TCP or unix connection, writes `bytes`, and waits until the peer closes it
/// (returning what it sent) or `timeout` passes (returning nil).
func sendRawAndAwaitClose(_ bytes: [UInt8], to address: MilterSocketAddress, closeAfterWrite: Bool = false, timeout: TimeAmount = .seconds(10)) async throws -> [UInt8]? {
    try await sendRawAndAwaitClose(steps: [(.zero, bytes)], to: address, closeAfterWrite: closeAfterWrite, timeout: timeout)
}

/// Like ``sendRawAndAwaitClose(_:to:closeAfterWrite:timeout:)`` with pauses between writes.
func sendRawAndAwaitClose(steps: [(pause: Duration, bytes: [UInt8])], to address: MilterSocketAddress, closeAfterWrite: Bool = false, timeout: TimeAmount = .seconds(10)) async throws -> [UInt8]? {
    let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)) }
    }
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    switch address {
    case .inet(let host, let port): channel = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
    case .unix(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
    }
    let timer = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
    let closedByPeer = NIOLockedValueBox(true)
    timer.futureResult.whenSuccess { closedByPeer.withLockedValue { $0 = false } }
    return try await channel.executeThenClose { inbound, outbound in
        for step in steps {
            if step.pause > .zero { try await Task.sleep(for: step.pause) }
            if !step.bytes.isEmpty { try await outbound.write(ByteBuffer(bytes: step.bytes)) }
        }
        if closeAfterWrite { outbound.finish() }
        var received: [UInt8] = []
        do {
            for try await chunk in inbound { received += Array(chunk.readableBytesView) }
        } catch {}
        timer.cancel()
        return closedByPeer.withLockedValue { $0 } ? received : nil
    }
}
