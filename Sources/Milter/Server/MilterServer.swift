import EventLoopExecutors
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A milter: listens on TCP or unix sockets and serves each MTA connection with a fresh
/// ``MilterHandler``.
///
/// It is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`. On graceful shutdown it
/// stops accepting, lets each open connection finish its current message, and closes connections
/// that sit between messages. Each accepted TCP socket has `TCP_NODELAY` set and `TCP_QUICKACK`
/// re-armed after every read that produced no reply (a reply carries the ACK itself); replies to
/// one read are written at once.
///
/// ```swift
/// let server = MilterServer(
///     configuration: .init(listen: try MilterSocketAddress(parsing: "inet:10029@127.0.0.1")),
///     logger: logger
/// ) { _ in MyFilter() }
/// try await server.run()
/// ```
public struct MilterServer<Handler: MilterHandler>: Service, CustomStringConvertible {
    /// Listening and per-connection settings.
    public let configuration: Configuration
    private let logger: Logger
    private let makeHandler: @Sendable (MilterSessionContext) -> Handler

    /// Creates a server; `makeHandler` is called once per connection (and after each `SMFIC_QUIT_NC`).
    public init(
        configuration: Configuration,
        logger: Logger,
        makeHandler: @escaping @Sendable (MilterSessionContext) -> Handler
    ) {
        self.configuration = configuration
        self.logger = logger
        self.makeHandler = makeHandler
    }

    /// `MilterServer(inet:10029@127.0.0.1)`.
    public var description: String {
        "MilterServer(\(configuration.listeners.map(\.description).joined(separator: ", ")))"
    }

    private typealias Listener = NIOAsyncChannel<AcceptedConnection, Never>

    /// Binds every listener, then serves until cancelled or shut down gracefully.
    /// - Throws: the bind error when a socket cannot be opened.
    public func run() async throws {
        var listeners: [(Listener, MilterSocketAddress)] = []
        do {
            for address in configuration.listeners {
                listeners.append((try await bind(address), address))
            }
        } catch {
            for (listener, _) in listeners { try? await listener.channel.close() }
            throw error
        }
        if let files = OpenFileLimit.current, files < configuration.maximumConnections + 64 {
            // Running out of descriptors does not stop the server (NIO backs off accepting for a
            // second), but connections beyond the limit wait in the backlog or fail.
            logger.warning(
                "open-file limit \(files) is below the connection limit \(configuration.maximumConnections); raise it (ulimit -n, LimitNOFILE=)"
            )
        }
        let executors = EventLoopTaskExecutor.executors(for: configuration.eventLoopGroup)
        let counters = NIOLockedValueBox((nextID: UInt64(1), open: 0))
        let channels = listeners.map { $0.0.channel }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for (listener, address) in listeners {
                    group.addTask {
                        try await self.accept(on: listener, address: address, executors: executors, counters: counters)
                    }
                }
            }
        } onGracefulShutdown: {
            for channel in channels { channel.close(promise: nil) }
        }
    }

    private func bind(_ address: MilterSocketAddress) async throws -> Listener {
        // Reads of up to 256 KiB let a whole 64 KiB body packet (65,540 bytes with its header)
        // arrive in one read, so its payload is a slice of the receive buffer, not a copy.
        let bootstrap = ServerBootstrap(group: configuration.eventLoopGroup)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024))
        switch address {
        case .inet(let host, let port):
            let listener = try await bootstrap.bind(host: host.isEmpty ? "0.0.0.0" : host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    let source = ChannelByteSource()
                    try channel.pipeline.syncOperations.addHandler(source)
                    return AcceptedConnection(channel: channel, source: source, remoteAddress: channel.remoteAddress)
                }
            }
            let bound = listener.channel.localAddress
            let actual = MilterSocketAddress.inet(host: host, port: bound?.port ?? port)
            logger.info("milter listening", metadata: ["milter.listen": "\(actual)"])
            configuration.onListening?(actual)
            return listener
        case .unix(let path):
            let listener = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let source = ChannelByteSource()
                    try channel.pipeline.syncOperations.addHandler(source)
                    return AcceptedConnection(channel: channel, source: source, remoteAddress: channel.remoteAddress)
                }
            }
            _ = chmod(path, mode_t(configuration.unixSocketPermissions))
            logger.info("milter listening", metadata: ["milter.listen": "\(address)"])
            configuration.onListening?(address)
            return listener
        }
    }

    private func accept(
        on listener: Listener,
        address: MilterSocketAddress,
        executors: [ObjectIdentifier: EventLoopTaskExecutor],
        counters: NIOLockedValueBox<(nextID: UInt64, open: Int)>
    ) async throws {
        let limit = configuration.maximumConnections
        try await withThrowingDiscardingTaskGroup { sessions in
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    let (id, admitted) = counters.withLockedValue { counters -> (UInt64, Bool) in
                        let id = counters.nextID
                        counters.nextID += 1
                        guard counters.open < limit else { return (id, false) }
                        counters.open += 1
                        return (id, true)
                    }
                    let peer = Self.peerDescription(connection.remoteAddress, listener: address)
                    guard admitted else {
                        logger.warning(
                            "refusing milter connection: \(limit) connections open",
                            metadata: ["milter.peer": "\(peer)"]
                        )
                        connection.channel.close(promise: nil)
                        continue
                    }
                    let executor =
                        configuration.handlersOnEventLoop
                        ? executors[ObjectIdentifier(connection.channel.eventLoop)] : nil
                    sessions.addTask(executorPreference: executor) {
                        await self.serve(connection, id: id, peer: peer, tcp: address.isTCP)
                        counters.withLockedValue { $0.open -= 1 }
                    }
                }
            }
        }
    }

    private func serve(_ connection: AcceptedConnection, id: UInt64, peer: String, tcp: Bool) async {
        let channel = connection.channel
        var logger = self.logger
        logger[metadataKey: "milter.session"] = "\(id)"
        logger[metadataKey: "milter.peer"] = "\(peer)"
        let context = MilterSessionContext(sessionID: id, peer: peer, logger: logger)
        let watchdog = SessionWatchdog(
            idleTimeout: configuration.idleTimeout,
            readTimeout: configuration.readTimeout,
            drainTimeout: configuration.shutdownDrainTimeout,
            eventLoop: channel.eventLoop,
            closeConnection: { channel.close(promise: nil) }
        )
        let makeHandler = self.makeHandler
        let driver = MilterSessionDriver(
            settings: .init(
                maximumFrameLength: configuration.maximumFrameLength,
                failureVerdict: configuration.failureVerdict
            ),
            context: context,
            makeHandler: { makeHandler($0) }
        )
        logger.debug("milter connection opened")
        watchdog.start()
        let transport = ChannelTransport(
            channel: channel,
            quickAck: tcp && configuration.quickAck,
            progressInterval: configuration.progressInterval
        )
        // Graceful shutdown closes the connection at the next safe point; cancellation (the
        // service group giving up) closes it at once, which ends the driver's wait for input.
        _ = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await driver.run(inbound: connection.source, transport: transport, watchdog: watchdog)
            } onGracefulShutdown: {
                watchdog.requestShutdown()
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        watchdog.stop()
        channel.close(promise: nil)
    }

    private static func peerDescription(_ remoteAddress: SocketAddress?, listener: MilterSocketAddress) -> String {
        if let remote = remoteAddress, let ip = remote.ipAddress, let port = remote.port {
            return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        if case .unix(let path) = listener {
            return "unix:\(path)"
        }
        return "unknown"
    }
}

/// A connection as the listener hands it over: the channel and its byte source.
struct AcceptedConnection: Sendable {
    let channel: any Channel
    let source: ChannelByteSource
    /// Read when the channel is set up: a peer that closes at once has none by the time the
    /// accept loop sees the connection.
    let remoteAddress: SocketAddress?
}

extension MilterSocketAddress {
    var isTCP: Bool {
        if case .inet = self { return true }
        return false
    }
}
