import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import RelayWire

/// The floor: a minimal Blade responder with plain SwiftNIO handlers. It answers the handshake
/// and every `blade.execute` at once with code "200", so a client measured against it pays
/// only for itself, the kernel and this thin loop.
enum FloorResponder {
    static func run(host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 22,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FloorHandler()) }
            })
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: host, port: port).get()
        onListening(channel.localAddress?.port ?? port)
        try await channel.closeFuture.get()
    }
}

private final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var pendingFlush = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            guard let request = payload.withUnsafeReadableBytes({ try? JSONCodec.parse($0) }),
                let id = request["id"]?.stringValue, let method = request["method"]?.stringValue
            else { return }
            let reply = Self.reply(id: id, method: method, request: request)
            var buffer = context.channel.allocator.buffer(capacity: reply.utf8.count)
            buffer.writeString(reply)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
            pendingFlush = true
        case .connectionClose:
            context.close(promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    static func reply(id: String, method: String, request: JSONValue) -> String {
        let result: String
        switch method {
        case BladeMethod.connect:
            result = #"{"session_restored":false,"sessionid":"floor-session","nodeid":"floor-node","master_nodeid":"floor-master","authorization":{"project":"bench","expires_at":null,"scopes":["calling","messaging","tasking"],"signature":"floor"}}"#
        case BladeMethod.execute where request["params"]?["method"]?.stringValue == RelayMethod.setup:
            result = #"{"result":{"protocol":"signalwire_floor_protocol"}}"#
        case BladeMethod.subscription:
            result = #"{"command":"add","protocol":"signalwire_floor_protocol","subscribe_channels":["notifications"],"failed_channels":[]}"#
        case BladeMethod.ping:
            result = "{}"
        default:
            result = #"{"requester_nodeid":"a","responder_nodeid":"b","result":{"code":"200","message":"OK"}}"#
        }
        return #"{"jsonrpc":"2.0","id":"\#(id)","result":\#(result)}"#
    }
}
