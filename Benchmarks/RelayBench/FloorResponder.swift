import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import RelayWire

/// The floor: a minimal Blade responder with plain SwiftNIO handlers. It answers the handshake
/// and every `blade.execute` at once with code "200", so a client measured against it pays
/// only for itself, the kernel and this thin loop. For the server-alone benchmark it also plays
/// the least a Relay server can do for a call: `calling.begin` is answered at once (a `created`
/// and an `answered` state event), and `calling.play` finishes at once (`playing`, `finished`).
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
            let events = events(for: request)
            let reply = Self.reply(id: id, method: method, request: request, callID: Self.callID(calls))
            var buffer = context.channel.allocator.buffer(capacity: reply.utf8.count)
            buffer.writeString(reply)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
            for event in events {
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: event))), promise: nil)
            }
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

    private var calls = 0
    private var broadcasts = 0

    /// The events a call command produces at once on the floor.
    private func events(for request: JSONValue) -> [[UInt8]] {
        guard request["method"]?.stringValue == BladeMethod.execute, let execute = request["params"],
            let method = execute["method"]?.stringValue, let params = execute["params"],
            let command = try? RelayCommand(method: method, params: params)
        else { return [] }
        let calling: [CallingEvent]
        switch command {
        case .begin(let begin):
            calls += 1
            let callID = Self.callID(calls)
            calling = ["created", "answered"].map {
                .state(CallStateEvent(callID: callID, nodeID: "floor-node", tag: begin.tag, state: $0, direction: "outbound", device: begin.device))
            }
        case .play(let play):
            let address = ComponentEventAddress(callID: play.component.call.callID ?? "", nodeID: "floor-node", controlID: play.component.controlID)
            calling = [.play(ComponentStateEvent(address: address, state: "playing")), .play(ComponentStateEvent(address: address, state: "finished"))]
        default:
            return []
        }
        return calling.map { event in
            broadcasts += 1
            let notification = RelayNotification.calling(event)
            let params = BroadcastParams(
                protocolName: Self.protocolName, event: notification.event,
                notification: notification.json(protocolName: Self.protocolName, projectID: "bench", spaceID: "bench", timestamp: 0),
                broadcasterNodeID: "floor-node")
            return params.requestBytes(id: "floor-\(broadcasts)")
        }
    }

    static let protocolName = "signalwire_floor_protocol"

    static func callID(_ number: Int) -> String { "floor-call-\(number)" }

    /// `callID`: the id a `calling.begin` reply names (the call `events(for:)` just made).
    static func reply(id: String, method: String, request: JSONValue, callID: String = "") -> String {
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
        case BladeMethod.execute where request["params"]?["method"]?.stringValue == RelayMethod.begin:
            result = #"{"requester_nodeid":"a","responder_nodeid":"b","result":{"code":"200","message":"OK","call_id":"\#(callID)","node_id":"floor-node"}}"#
        default:
            result = #"{"requester_nodeid":"a","responder_nodeid":"b","result":{"code":"200","message":"OK"}}"#
        }
        return #"{"jsonrpc":"2.0","id":"\#(id)","result":\#(result)}"#
    }
}
