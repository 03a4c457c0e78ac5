import Logging
import NIOCore

/// First handler of a plain-text connection: a client that opens with a TLS ClientHello is
/// using `wss://` (or `https://`) against this `ws://` port. Says so in one log line and closes,
/// so the client fails at once instead of waiting for an HTTP answer it cannot read. After the
/// first bytes it removes itself. Behind TLS it only ever sees HTTP and removes itself too.
final class TLSOnPlainPortDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        // A TLS record: content type 22 (handshake), version 3.x, then a ClientHello (1).
        if bytes.readableBytes >= 6, bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 0x16,
            bytes.getInteger(at: bytes.readerIndex + 1, as: UInt8.self) == 0x03,
            bytes.getInteger(at: bytes.readerIndex + 5, as: UInt8.self) == 0x01
        {
            let remote = context.channel.remoteAddress.map { "\($0)" } ?? "unknown"
            logger.warning(
                "a client sent a TLS ClientHello to this plain-text port: it uses wss:// or https://; tell it ws:// or http://, or serve TLS (--tls-cert/--tls-key)",
                metadata: ["remote": "\(remote)"])
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}
