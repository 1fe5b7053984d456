import Logging
import NIOCore
import NIOPosix

/// The MTA side of the milter protocol: connects to a filter and drives it as Postfix or Sendmail
/// would. Used by tests, `sekisho milter-test` and `sekisho bench milter`.
///
/// ```swift
/// try await MilterClient.withSession(to: .inet(host: "127.0.0.1", port: 10029)) { session in
///     _ = try await session.connect(hostname: "mx.example.net", address: .inet(address: "203.0.113.7", port: 50000))
///     let result = try await session.send(transaction)
///     print(result.final, result.modifications)
/// }
/// ```
public enum MilterClient {
    /// How the client connects and what it offers.
    public struct Configuration: Sendable {
        /// The option negotiation the client sends (Postfix's by default: v6, 0x1FF, 0x1FFFFF).
        public var offer: OptionNegotiation
        /// How long to wait for the connection and for each reply.
        public var timeout: TimeAmount
        /// Largest frame accepted from the filter.
        public var maximumFrameLength: Int
        /// Refuse negotiation replies with protocol options that were not offered (Postfix only
        /// logs them).
        public var strict: Bool
        /// The event loops to use.
        public var eventLoopGroup: MultiThreadedEventLoopGroup

        public init(
            offer: OptionNegotiation = .postfix,
            timeout: TimeAmount = .seconds(30),
            maximumFrameLength: Int = MilterFrameDecoder.defaultMaximumFrameLength,
            strict: Bool = true,
            eventLoopGroup: MultiThreadedEventLoopGroup = .singleton
        ) {
            self.offer = offer
            self.timeout = timeout
            self.maximumFrameLength = maximumFrameLength
            self.strict = strict
            self.eventLoopGroup = eventLoopGroup
        }
    }

    /// Connects, negotiates, runs `body` with the session, then sends `SMFIC_QUIT` (unless the
    /// body already quit) and closes.
    /// - Throws: connection errors, ``MilterProtocolError`` when the filter breaks the protocol,
    ///   ``MilterClientError`` on timeouts, and whatever `body` throws.
    public static func withSession<Result>(
        to address: MilterSocketAddress,
        configuration: Configuration = Configuration(),
        _ body: (MilterClientSession) async throws -> Result
    ) async throws -> Result {
        let channel = try await connect(to: address, configuration: configuration)
        return try await channel.executeThenClose { inbound, outbound in
            let session = MilterClientSession(
                inbound: inbound.makeAsyncIterator(),
                outbound: outbound,
                channel: channel.channel,
                configuration: configuration
            )
            try await session.negotiate()
            let result = try await body(session)
            if !session.isClosed {
                // The filter may already have closed; the result stands either way.
                try? await session.quit()
            }
            return result
        }
    }

    static func connect(
        to address: MilterSocketAddress,
        configuration: Configuration
    ) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let bootstrap = ClientBootstrap(group: configuration.eventLoopGroup)
            .connectTimeout(configuration.timeout)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        switch address {
        case .inet(let host, let port):
            return try await bootstrap.connect(host: host.isEmpty ? "127.0.0.1" : host, port: port, channelInitializer: initializer)
        case .unix(let path):
            return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
    }
}

/// A client-side failure that is not the filter's protocol error.
public struct MilterClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
