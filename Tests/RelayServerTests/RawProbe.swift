import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A raw TCP client on 127.0.0.1 for HTTP- and WebSocket-level probes: records every byte it
/// receives and whether the server ended the connection. Waits poll with an upper bound.
final class RawProbe: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var eof = false
        var closed = false
    }

    let channel: any Channel
    private let box: StateBox

    private final class StateBox: Sendable {
        let state = Mutex(State())
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let box: StateBox
        init(box: StateBox) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            box.state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed { box.state.withLock { $0.eof = true } }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            box.state.withLock {
                $0.eof = true
                $0.closed = true
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private init(channel: any Channel, box: StateBox) {
        self.channel = channel
        self.box = box
    }

    /// Connects to `127.0.0.1:port`. A small `receiveBuffer` limits what the kernel buffers for us.
    static func connect(port: Int, receiveBuffer: Int? = nil) async throws -> RawProbe {
        let box = StateBox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(box: box)) }
            }
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawProbe(channel: channel, box: box)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer).get()
    }

    /// Stops reading from the socket (the server's writes then back up).
    func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    var received: [UInt8] { box.state.withLock { $0.bytes } }
    var receivedText: String { String(decoding: received, as: UTF8.self) }
    /// The server ended the connection (EOF or reset).
    var sawEOF: Bool { box.state.withLock { $0.eof } }
    var isClosed: Bool { box.state.withLock { $0.closed } }

    /// Waits until the server ends the connection; returns the seconds it took.
    @discardableResult
    func waitForEOF(timeout: Double = 10) async throws -> Double {
        let start = ContinuousClock.now
        while !sawEOF {
            if ContinuousClock.now - start > .seconds(timeout) { throw TestFailure("no EOF within \(timeout) s; got \(receivedText.prefix(200))") }
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Waits until the received bytes contain `text`.
    func waitFor(_ text: String, timeout: Double = 10) async throws {
        let start = ContinuousClock.now
        while !receivedText.contains(text) {
            if ContinuousClock.now - start > .seconds(timeout) { throw TestFailure("did not receive \(text) within \(timeout) s; got \(receivedText.prefix(200))") }
            if sawEOF { throw TestFailure("connection ended before \(text) arrived; got \(receivedText.prefix(200))") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until `pattern` has been received at least `count` times.
    func waitFor(bytes pattern: [UInt8], count: Int, timeout: Double = 10) async throws {
        let start = ContinuousClock.now
        func occurrences() -> Int {
            let bytes = received
            guard bytes.count >= pattern.count else { return 0 }
            return (0...(bytes.count - pattern.count)).count { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
        }
        while occurrences() < count {
            if ContinuousClock.now - start > .seconds(timeout) { throw TestFailure("received \(occurrences()) of \(count) \(pattern) within \(timeout) s") }
            if sawEOF { throw TestFailure("connection ended after \(occurrences()) of \(count) \(pattern)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func close() async {
        try? await channel.close().get()
    }

    // MARK: WebSocket

    /// Sends a WebSocket upgrade request for `/` and waits for `101`.
    func upgradeToWebSocket() async throws {
        try await send(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        try await waitFor("\r\n\r\n")
        guard receivedText.hasPrefix("HTTP/1.1 101") else { throw TestFailure("no upgrade: \(receivedText.prefix(200))") }
    }

    /// A masked client text frame (`opcode` 1) or close frame (8).
    static func frame(_ payload: [UInt8], opcode: UInt8 = 1) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        switch payload.count {
        case ..<126: bytes.append(0x80 | UInt8(payload.count))
        case ..<65536: bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: bytes += [0x80 | 127] + (0..<8).reversed().map { UInt8((UInt64(payload.count) >> (UInt64($0) * 8)) & 0xFF) }
        }
        bytes += mask
        bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return bytes
    }

    func sendText(_ text: String) async throws {
        try await send(Self.frame(Array(text.utf8)))
    }
}

/// A flag set from one task and read from another.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Collects log lines of a server, for counting what it logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        var logger = Logger(label: "relay.test.capture") { _ in CaptureHandler(capture: self) }
        logger.logLevel = .info
        return logger
    }

    func count(where predicate: (Logger.Level, String) -> Bool) -> Int {
        lines.withLock { $0.filter { predicate($0.level, $0.message) }.count }
    }

    var all: [(level: Logger.Level, message: String)] { lines.withLock { $0 } }

    fileprivate func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    private struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(event.level, "\(event.message) \(event.metadata ?? [:])")
        }
    }
}
