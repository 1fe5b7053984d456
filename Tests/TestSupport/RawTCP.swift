import NIOCore
import NIOPosix

/// One request over a fresh TCP connection, reading until the server closes it (HTTP with
/// `Connection: close`, simple line protocols).
public enum RawTCP {
    public static func exchange(host: String = "127.0.0.1", port: Int, send request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var text = ""
            for try await buffer in inbound {
                text += String(buffer: buffer)
                if text.utf8.count > 16 << 20 { break }
            }
            return text
        }
    }
}
