import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The gateway's HTTP listener: `/healthz` (200 `ok` while serving) and the Prometheus
/// exposition at `metrics.path`. Plain HTTP/1.1 on loopback by default (`web.listen`).
public struct WebServer: Service, CustomStringConvertible {
    let host: String
    let port: Int
    let metricsPath: String?
    let metrics: GatewayMetrics
    let logger: Logger
    let onListening: (@Sendable (Int) -> Void)?

    public init(listen: String, metricsPath: String?, metrics: GatewayMetrics, logger: Logger, onListening: (@Sendable (Int) -> Void)? = nil) throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ConfigurationError(file: "", line: nil, key: "web.listen", message: "expected HOST:PORT")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
        self.metricsPath = metricsPath
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    public var description: String { "WebServer(\(host):\(port))" }

    public func run() async throws {
        let metrics = self.metrics
        let metricsPath = self.metricsPath
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(HTTPHandler(metrics: metrics, metricsPath: metricsPath))
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        logger.info("web listening", metadata: ["web.listen": "\(host):\(bound)"])
        onListening?(bound)
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Answers GET /healthz and GET /metrics; everything else is 404 (405 for other methods).
private final class HTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: GatewayMetrics
    let metricsPath: String?
    private var request: HTTPRequestHead?

    init(metrics: GatewayMetrics, metricsPath: String?) {
        self.metrics = metrics
        self.metricsPath = metricsPath
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let (status, type, body): (HTTPResponseStatus, String, [UInt8])
            if head.method != .GET && head.method != .HEAD {
                (status, type, body) = (.methodNotAllowed, "text/plain", Array("method not allowed\n".utf8))
            } else if path == "/healthz" {
                (status, type, body) = (.ok, "text/plain", Array("ok\n".utf8))
            } else if let metricsPath, path == metricsPath {
                (status, type, body) = (.ok, "text/plain; version=0.0.4", metrics.exposition())
            } else {
                (status, type, body) = (.notFound, "text/plain", Array("not found\n".utf8))
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            if head.method != .HEAD {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
