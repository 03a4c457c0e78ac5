import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOWebSocket
import RelayWire

/// Where to connect, parsed from the Relay host the way the official SDKs do: a bare host
/// becomes `wss://host`; `ws://` and `wss://` URLs are used as given.
struct RelayEndpoint: Sendable, Hashable, CustomStringConvertible {
    var secure: Bool
    var host: String
    var port: Int
    var path: String

    init(host raw: String) throws(RelayError) {
        var rest = raw
        if rest.hasPrefix("wss://") {
            secure = true
            rest.removeFirst(6)
        } else if rest.hasPrefix("ws://") {
            secure = false
            rest.removeFirst(5)
        } else {
            secure = true
        }
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = String(rest[..<slash])
        } else {
            path = "/"
        }
        // `[::1]:8080`, `host:8080` or `host`.
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : (secure ? 443 : 80)
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = rest
            port = secure ? 443 : 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidHost(raw) }
    }

    /// `host:port`, with IPv6 addresses in brackets.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var description: String { "\(secure ? "wss" : "ws")://\(authority)\(path == "/" ? "" : path)" }
}

/// What the transport reports to its owner, always on the connection's event loop.
protocol TransportDelegate: AnyObject, Sendable {
    func transport(didReceive text: ByteBuffer)
    func transportDidClose(error: (any Error)?)
}

/// Opens one WebSocket connection with SwiftNIO. Frames are decoded on the event loop and
/// handed to the delegate synchronously, so a response completes its promise without a
/// thread hop (ws-latency.md, design c/d).
enum WebSocketTransport {
    /// Largest inbound message; bigger ones close the connection.
    static let maximumMessageSize = 1 << 22

    static func connect(
        to endpoint: RelayEndpoint,
        on eventLoop: any EventLoop,
        tls: TLSConfiguration?,
        connectTimeout: TimeAmount,
        delegate: any TransportDelegate
    ) -> EventLoopFuture<any Channel> {
        let upgraded = eventLoop.makePromise(of: (any Channel).self)
        let sslContext: NIOSSLContext?
        do {
            sslContext = endpoint.secure ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil
        } catch {
            return eventLoop.makeFailedFuture(RelayError.connectionFailed("\(endpoint): TLS setup failed: \(error)", host: endpoint.description, underlying: error))
        }
        // One budget for TCP, TLS and the upgrade: whichever stage is still running when it
        // ends is named in the error, with the likely fix.
        let progress = NIOLoopBoundBox.makeBoxSendingValue(ConnectProgress(endpoint: endpoint, timeout: connectTimeout), eventLoop: eventLoop)
        let deadline = eventLoop.scheduleTask(in: connectTimeout) {
            upgraded.fail(progress.value.diagnose(nil, timedOut: true))
            progress.value.channel?.close(promise: nil)
        }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        let serverName = endpoint.host.first?.isNumber == true || endpoint.host.contains(":") ? nil : endpoint.host
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    let requestHandler = UpgradeRequestHandler(endpoint: endpoint, upgraded: upgraded, progress: progress)
                    let upgrader = NIOWebSocketClientUpgrader(
                        maxFrameSize: maximumMessageSize,
                        automaticErrorHandling: true,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(RelayFrameHandler(delegate: delegate))
                                upgraded.succeed(channel)
                            }
                        })
                    // Bytes that follow the 101 response in the same read are WebSocket frames.
                    let encoder = HTTPRequestEncoder()
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    try sync.addHandlers(encoder, decoder)
                    try sync.addHandler(requestHandler)
                    let upgradeHandler = NIOHTTPClientUpgradeHandler(
                        upgraders: [upgrader],
                        httpHandlers: [encoder, decoder],
                        upgradeCompletionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(requestHandler, promise: nil)
                        })
                    try sync.addHandler(upgradeHandler, position: .before(requestHandler))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).hop(to: eventLoop).whenComplete { result in
            switch result {
            case .success(let channel):
                progress.value.channel = channel
                if progress.value.stage == .tcp { progress.value.stage = endpoint.secure ? .tls : .upgrade }
                // The budget may have run out while TCP connected.
                upgraded.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case .failure(let error):
                upgraded.fail(progress.value.diagnose(error, timedOut: false))
            }
        }
        return upgraded.futureResult
    }

    /// Writes one text frame. Must run on the channel's event loop.
    static func writeText(_ bytes: [UInt8], to channel: any Channel, mask: WebSocketMaskingKey, flush: Bool = true) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: mask, data: buffer)
        if flush {
            channel.writeAndFlush(frame, promise: nil)
        } else {
            channel.write(frame, promise: nil)
        }
    }
}

/// Sends the HTTP upgrade request, follows the TLS handshake and reports a failed upgrade.
private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let endpoint: RelayEndpoint
    let upgraded: EventLoopPromise<any Channel>
    let progress: NIOLoopBoundBox<ConnectProgress>

    init(endpoint: RelayEndpoint, upgraded: EventLoopPromise<any Channel>, progress: NIOLoopBoundBox<ConnectProgress>) {
        self.endpoint = endpoint
        self.upgraded = upgraded
        self.progress = progress
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        let defaultPort = endpoint.secure ? 443 : 80
        headers.add(name: "Host", value: endpoint.port == defaultPort ? endpoint.host : "\(endpoint.host):\(endpoint.port)")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { progress.value.stage = .upgrade }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only reached when the server answered without upgrading.
        if case .head(let head) = unwrapInboundIn(data) {
            upgraded.fail(progress.value.refused(status: Int(head.status.code)))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(progress.value.diagnose(error, timedOut: false))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(progress.value.diagnose(nil, timedOut: false))
        context.fireChannelInactive()
    }
}

/// Reassembles text messages, answers pings and reports the close.
final class RelayFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let delegate: any TransportDelegate
    private var fragments: ByteBuffer?
    private var closeError: (any Error)?

    init(delegate: any TransportDelegate) { self.delegate = delegate }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if frame.fin {
                delegate.transport(didReceive: frame.unmaskedData)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var partial = fragments else { return }
            var data = frame.unmaskedData
            guard partial.readableBytes + data.readableBytes <= WebSocketTransport.maximumMessageSize else {
                fragments = nil
                closeError = RelayError.protocolViolation("message larger than \(WebSocketTransport.maximumMessageSize) bytes")
                context.close(promise: nil)
                return
            }
            partial.writeBuffer(&data)
            if frame.fin {
                fragments = nil
                delegate.transport(didReceive: partial)
            } else {
                fragments = partial
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: context.channel.allocator.buffer(capacity: 0))
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in loopBound.value.close(promise: nil) }
        default:
            break  // Binary and pong frames carry nothing for Relay.
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeError = error
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        delegate.transportDidClose(error: closeError)
        context.fireChannelInactive()
    }
}

/// Client frame masks from a block of system entropy: one `getrandom` per 1024 frames instead
/// of one per frame (ws-latency.md, "c+mask"). Masks stay unpredictable to intermediaries.
struct MaskEntropy {
    private var block = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096

    mutating func next() -> WebSocketMaskingKey {
        if offset + 4 > block.count {
            var generator = SystemRandomNumberGenerator()
            block.withUnsafeMutableBytes { raw in
                for index in stride(from: 0, to: raw.count, by: 8) {
                    raw.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
                }
            }
            offset = 0
        }
        defer { offset += 4 }
        // Four bytes always make a key; `.random()` is the never-taken fallback.
        return WebSocketMaskingKey(block[offset..<offset + 4]) ?? .random()
    }
}
