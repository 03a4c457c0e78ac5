import Logging
import NIOCore
import NIOHTTP1

/// First handler of every connection (after TLS): bounds what a client can hold or send before
/// Hummingbird and the WebSocket layer see it.
///
/// Hummingbird's upgrade pipeline has no timer or quiescing until a first request head is
/// complete, so a socket that sends nothing, or half a request, was kept forever and blocked a
/// graceful shutdown. This handler adds:
/// * an idle timeout while no request is in progress (connection just opened, or kept alive);
/// * a head timeout (`408`) and a head-size limit (`431`) counted on raw bytes, so a huge
///   request line is refused as well as huge headers;
/// * the right status for the decoder's errors (`400`, `501`, `431`), reported by
///   ``HTTPRequestTracker``, followed by a lingering close so the client can read the status;
/// * on shutdown (``ChannelShouldQuiesceEvent``), closing idle and half-sent connections at
///   once and every connection after ``TransportLimits/shutdownTimeout``;
/// * for WebSocket connections not yet authenticated, refusing a frame whose header announces
///   more than ``TransportLimits/maximumUnauthenticatedMessageSize`` before its payload is
///   buffered (close code 1009).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// No request in progress: waiting for the first byte of a head.
        case idle
        /// Reading a head; `headComplete` once its blank line went by.
        case head(bytes: Int, headComplete: Bool)
        /// A head was decoded; body and response in progress.
        case request
        /// Upgraded: WebSocket frames.
        case webSocket
        /// An error response was written; input is discarded until the socket closes.
        case lingering
    }

    private let registry: ConnectionRegistry
    private let logger: Logger
    private var limits: TransportLimits { registry.limits }
    private var phase = Phase.idle
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var shutdownTimer: Scheduled<Void>?
    private var shuttingDown = false
    /// Closing on our own initiative: decoder errors caused by that are not answered.
    private var closing = false
    private var registered = false
    /// Consecutive newlines seen while scanning a head (`\r` does not break a run).
    private var newlines = 0
    /// The request line ended (a line feed after some other byte).
    private var requestLineDone = false
    /// The head's first bytes, to tell an unknown method (501) from garbage (400).
    private var firstBytes: [UInt8] = []
    // Requests in flight, counted by ``HTTPRequestTracker``.
    private var heads = 0
    private var requestEnds = 0
    private var responseEnds = 0
    /// The WebSocket session of this connection, attached by ``BladeConnection``.
    private let link = SessionLink()
    private var frameHeader: [UInt8] = []
    private var payloadToSkip: UInt64 = 0

    init(registry: ConnectionRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameActive(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        if registered { registry.remove(context.channel) }
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive(context: context)
        context.fireChannelActive()
    }

    private func becameActive(context: ChannelHandlerContext) {
        guard !registered else { return }
        registered = true
        if !registry.add(context.channel, link: link) {
            context.close(promise: nil)
            return
        }
        startTimer(limits.idleTimeout, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        if registered {
            registry.remove(context.channel)
            registered = false
        }
        context.fireChannelInactive()
    }

    // MARK: Inbound bytes

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .lingering:
            return
        case .idle:
            phase = .head(bytes: 0, headComplete: false)
            newlines = 0
            requestLineDone = false
            firstBytes.removeAll(keepingCapacity: true)
            startTimer(limits.requestHeadTimeout, context: context)
            scanHead(context: context, data: data)
        case .head:
            scanHead(context: context, data: data)
        case .request:
            context.fireChannelRead(data)
        case .webSocket:
            if !link.isAuthenticated {
                guard scanFrames(unwrapInboundIn(data)) else {
                    refuseOversizedFrame(context: context)
                    return
                }
            }
            context.fireChannelRead(data)
        }
    }

    private func scanHead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var count, let complete) = phase else { return }
        if !complete {
            let buffer = unwrapInboundIn(data)
            var headComplete = false
            for byte in buffer.readableBytesView {
                count += 1
                if firstBytes.count < 32 { firstBytes.append(byte) }
                if byte == UInt8(ascii: "\n") {
                    newlines += 1
                    if count > 2 { requestLineDone = true }
                    // A blank line before any request line is allowed (RFC 9112 §2.2).
                    if newlines == 2, count > 2 {
                        headComplete = true
                        break
                    }
                } else if byte != UInt8(ascii: "\r") {
                    newlines = 0
                }
                if count > limits.maximumHeaderSize { break }
            }
            if count > limits.maximumHeaderSize {
                reject(requestLineDone ? .requestHeaderFieldsTooLarge : .uriTooLong, context: context)
                return
            }
            phase = .head(bytes: count, headComplete: headComplete)
        }
        context.fireChannelRead(data)
    }

    // MARK: Events from the HTTP tracker (after the decoder)

    /// The decoder produced a request head.
    func requestHeadDecoded() {
        heads += 1
        guard case .head = phase else { return }
        phase = .request
        cancelTimer()
    }

    /// The decoder produced a request's end.
    func requestEndDecoded() {
        requestEnds += 1
        becomeIdleIfDone()
    }

    /// A response head went out; `101` means the connection is now a WebSocket.
    func responseHeadWritten(status: HTTPResponseStatus) {
        guard status == .switchingProtocols else { return }
        phase = .webSocket
        cancelTimer()
    }

    /// A response's end went out.
    func responseEndWritten() {
        responseEnds += 1
        becomeIdleIfDone()
    }

    private func becomeIdleIfDone() {
        guard case .request = phase, heads == requestEnds, heads == responseEnds, let context else { return }
        if shuttingDown {
            context.close(promise: nil)
            return
        }
        phase = .idle
        startTimer(limits.idleTimeout, context: context)
    }

    /// The HTTP decoder failed: answer with the status that fits, when no response is under way.
    func decoderFailed(_ error: HTTPParserError) {
        guard let context, !closing else { return }
        switch phase {
        case .idle, .head:
            let status: HTTPResponseStatus
            switch error {
            case .headerOverflow: status = .requestHeaderFieldsTooLarge
            case .invalidMethod: status = looksLikeAMethod() ? .notImplemented : .badRequest
            default: status = .badRequest
            }
            reject(status, context: context)
        case .request, .webSocket, .lingering:
            context.close(promise: nil)
        }
    }

    /// `true` when the head starts with a syntactically valid method token and a space.
    private func looksLikeAMethod() -> Bool {
        guard let space = firstBytes.firstIndex(of: UInt8(ascii: " ")), space > 0 else { return false }
        // tchar (RFC 9110 §5.6.2): letters, digits and !#$%&'*+-.^_`|~
        return firstBytes[..<space].allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    // MARK: WebSocket

    /// Walks frame headers; `false` when one announces a payload over the unauthenticated limit.
    /// Starts at the first byte after the `101` (clients send no frame before it, RFC 6455 §4.1);
    /// the message-size check in ``BladeConnection`` backs it up.
    private func scanFrames(_ buffer: ByteBuffer) -> Bool {
        let bytes = buffer.readableBytesView
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if payloadToSkip > 0 {
                let step = min(payloadToSkip, UInt64(bytes.endIndex - index))
                index += Int(step)
                payloadToSkip -= step
                continue
            }
            frameHeader.append(bytes[index])
            index += 1
            guard frameHeader.count >= 2 else { continue }
            let short = frameHeader[1] & 0x7F
            let extra = short == 126 ? 2 : short == 127 ? 8 : 0
            let masked = frameHeader[1] & 0x80 != 0
            guard frameHeader.count >= 2 + extra + (masked ? 4 : 0) else { continue }
            var length = UInt64(short)
            if extra > 0 {
                length = frameHeader[2..<(2 + extra)].reduce(0) { ($0 << 8) | UInt64($1) }
            }
            if length > UInt64(limits.maximumUnauthenticatedMessageSize) { return false }
            payloadToSkip = length
            frameHeader.removeAll(keepingCapacity: true)
        }
        return true
    }

    private func refuseOversizedFrame(context: ChannelHandlerContext) {
        logger.debug(
            "closing an unauthenticated websocket: frame over the limit",
            metadata: ["relay.limit": "\(limits.maximumUnauthenticatedMessageSize)"])
        phase = .lingering
        // Close frame, code 1009 (message too big), written below the WebSocket layer.
        var close = context.channel.allocator.buffer(capacity: 4)
        close.writeBytes([0x88, 0x02, 0x03, 0xF1])
        context.writeAndFlush(wrapOutboundOut(close)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Nothing else may reach the socket after an error response.
        if case .lingering = phase {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    // MARK: Shutdown

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { beginShutdown(context: context) }
        if let event = event as? ChannelEvent, event == .inputClosed, case .lingering = phase {
            closeQuietly(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func beginShutdown(context: ChannelHandlerContext) {
        guard !shuttingDown else { return }
        shuttingDown = true
        shutdownTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.shutdownTimeout) { [self] in
            closeQuietly(context: context)
            context.close(promise: nil)
        }
        switch phase {
        case .idle, .head, .lingering: closeQuietly(context: context)
        case .request, .webSocket: break  // closes after its response / the hub's disconnect, or by the timer
        }
    }

    // MARK: Errors and timers

    private func reject(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        phase = .lingering
        cancelTimer()
        logger.debug("refused an HTTP request", metadata: ["relay.status": "\(status.code)"])
        let text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        // Lingering close: keep reading (and discarding) a little while, so the client's unread
        // request does not turn our close into a reset that loses the status. (No half-close:
        // NIO turns a later end of input into a full close that bypasses `closeQuietly`.)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in closeQuietly(context: context) }
    }

    /// Closes a connection that has not been upgraded. Announcing end of input first lets the
    /// upgrade handler finish its pending result as "input closed" (logged at trace) rather than
    /// failing it on removal, which Hummingbird logs as an error per connection.
    private func closeQuietly(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }

    private func startTimer(_ delay: TimeAmount, context: ChannelHandlerContext) {
        cancelTimer()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timer = nil
            switch phase {
            case .idle:
                closeQuietly(context: context)
            case .head:
                reject(.requestTimeout, context: context)
            case .request, .webSocket, .lingering:
                break
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func cancelTimers() {
        cancelTimer()
        shutdownTimer?.cancel()
        shutdownTimer = nil
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}

/// Sits right after the HTTP decoder and tells ``ConnectionGuard`` where requests begin and
/// end and what the decoder failed on. Once the connection is upgraded it passes everything on.
final class HTTPRequestTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connectionGuard: ConnectionGuard
    private var upgraded = false

    init(connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After the upgrade the frames are not HTTP parts: never unwrap them.
        if !upgraded {
            switch unwrapInboundIn(data) {
            case .head: connectionGuard.requestHeadDecoded()
            case .body: break
            case .end: connectionGuard.requestEndDecoded()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !upgraded {
            switch unwrapOutboundIn(data) {
            case .head(let head):
                if head.status == .switchingProtocols { upgraded = true }
                connectionGuard.responseHeadWritten(status: head.status)
            case .body: break
            case .end: connectionGuard.responseEndWritten()
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !upgraded, let error = error as? HTTPParserError {
            // Answered (or closed) by the guard; the layers above would only close.
            connectionGuard.decoderFailed(error)
            return
        }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension HTTPRequestTracker: Sendable {}
