import NIOCore
import NIOPosix

extension MilterServer {
    /// How a ``MilterServer`` listens and how it treats each connection.
    public struct Configuration: Sendable {
        /// Sockets to listen on (one server may listen on several).
        public var listeners: [MilterSocketAddress]
        /// Connections served at once; further connections are closed at once with a log line
        /// (the MTA then applies its `milter_default_action`).
        public var maximumConnections: Int
        /// How long to wait for the MTA's next command between frames (libmilter: 7210 s).
        public var idleTimeout: TimeAmount
        /// How long a frame the MTA has started may take to arrive completely.
        public var readTimeout: TimeAmount
        /// After graceful shutdown begins, how long open connections keep being served as usual.
        /// One milter connection is one SMTP session: closing it early makes Postfix answer the
        /// rest of that session with its default action. After this time a connection is closed
        /// as soon as it is between messages.
        public var shutdownDrainTimeout: TimeAmount
        /// Largest inbound frame (length field) accepted; 1 MiB by default.
        public var maximumFrameLength: Int
        /// While an end-of-message handler runs, send `SMFIR_PROGRESS` this often (`nil`: never).
        /// Keep it below the MTA's read timeout (Sendmail `T=R:` defaults to 10 s).
        public var progressInterval: TimeAmount?
        /// The verdict sent when a handler throws (tempfail by default: the MTA keeps the mail).
        public var failureVerdict: MilterVerdict
        /// File mode of unix sockets the server creates (the MTA's user must be able to write).
        public var unixSocketPermissions: Int
        /// Acknowledge input that gets no reply (a lone macro packet) at once with `TCP_QUICKACK`
        /// (Linux). Removes Sendmail's ~40 ms stall per macro packet; see docs/performance.md.
        public var quickAck: Bool
        /// Run handler code on the connection's event loop thread (fewer thread hops). Handlers
        /// must then never block; set `false` to run them on the global concurrent executor.
        public var handlersOnEventLoop: Bool
        /// Listen backlog.
        public var backlog: Int32
        /// The event loops serving connections: ``MilterServer/sharedEventLoopGroup`` (one
        /// thread) unless set.
        public var eventLoopGroup: MultiThreadedEventLoopGroup
        /// Called once per listener with the address actually bound (port 0 resolved).
        public var onListening: (@Sendable (MilterSocketAddress) -> Void)?

        public init(
            listeners: [MilterSocketAddress],
            maximumConnections: Int = 10_000,
            idleTimeout: TimeAmount = .seconds(7210),
            readTimeout: TimeAmount = .seconds(60),
            shutdownDrainTimeout: TimeAmount = .seconds(30),
            maximumFrameLength: Int = MilterFrameDecoder.defaultMaximumFrameLength,
            progressInterval: TimeAmount? = .seconds(5),
            failureVerdict: MilterVerdict = .tempfail,
            unixSocketPermissions: Int = 0o666,
            quickAck: Bool = true,
            handlersOnEventLoop: Bool = true,
            backlog: Int32 = 256,
            eventLoopGroup: MultiThreadedEventLoopGroup = MilterServerEventLoops.shared,
            onListening: (@Sendable (MilterSocketAddress) -> Void)? = nil
        ) {
            self.listeners = listeners
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.readTimeout = readTimeout
            self.shutdownDrainTimeout = shutdownDrainTimeout
            self.maximumFrameLength = maximumFrameLength
            self.progressInterval = progressInterval
            self.failureVerdict = failureVerdict
            self.unixSocketPermissions = unixSocketPermissions
            self.quickAck = quickAck
            self.handlersOnEventLoop = handlersOnEventLoop
            self.backlog = backlog
            self.eventLoopGroup = eventLoopGroup
            self.onListening = onListening
        }

        /// The same configuration listening on one socket.
        public init(listen: MilterSocketAddress) {
            self.init(listeners: [listen])
        }
    }
}

/// The event loop group milter servers use unless configured otherwise.
public enum MilterServerEventLoops {
    /// One event-loop thread, shared by every server in the process.
    ///
    /// A milter session is a ping-pong of small packets; one thread serves thousands of
    /// connections, and a second thread mostly adds cross-thread wake-ups (measured here: one
    /// thread 206 µs CPU per message, two threads 272 µs, at the same load; docs/performance.md).
    /// One thread saturates at roughly 4,800 messages/s on this machine. Give the server a larger
    /// group when handlers do heavy work on the event loop.
    public static let shared = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}
