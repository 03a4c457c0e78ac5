import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Turned off when a tap stops or its call ends; the media sender polls it.
final class TapSwitch: Sendable {
    private let on = Mutex(true)
    func stop() { on.withLock { $0 = false } }
    var isOn: Bool { on.withLock { $0 } }
}

/// Streams RTP packets (a quiet 440 Hz tone in the tap's codec, rate and ptime) to a loopback
/// address for as long as a tap lives. Non-loopback destinations are never sent to (a local simulator must not spray
/// packets at real networks).
enum RTPTapSender {
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// One packet of a 440 Hz tone in `format` (G.711 μ-law or A-law at its rate), from sample `offset`.
    static func payload(_ format: TapFormat, offset: Int) -> [UInt8] {
        (0..<format.samplesPerPacket).map { index in
            let value = Int16(sin(Double(offset + index) * 2 * Double.pi * 440 / Double(format.rate)) * 3000)
            return format.codec == .pcma ? G711.aLaw(value) : G711.muLaw(value)
        }
    }

    /// With `feed`, the call's real audio (a SIP call) instead of the tone.
    static func run(host: String, port: Int, format: TapFormat, feed: TapFeed? = nil, tapSwitch: TapSwitch, logger: Logger) async {
        let address = host == "localhost" ? "127.0.0.1" : host
        let target: SocketAddress
        do {
            target = try SocketAddress(ipAddress: address, port: port)
        } catch {
            logger.debug("tap: bad RTP address", metadata: ["relay.tap.addr": "\(host)"])
            return
        }
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: address.contains(":") ? "::1" : "127.0.0.1", port: 0).get()
        } catch {
            logger.debug("tap: cannot open a UDP socket", metadata: ["relay.error": "\(error)"])
            return
        }
        let samples = format.samplesPerPacket
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max / 2)
        let ssrc = UInt32.random(in: 1...UInt32.max)
        var offset = 0
        while tapSwitch.isOn && !Task.isCancelled {
            var buffer = channel.allocator.buffer(capacity: 12 + samples)
            buffer.writeInteger(UInt8(0x80))
            buffer.writeInteger(format.payloadType)
            buffer.writeInteger(sequence)
            buffer.writeInteger(timestamp)
            buffer.writeInteger(ssrc)
            buffer.writeBytes(feed?.payload(format) ?? payload(format, offset: offset))
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer), promise: nil)
            sequence &+= 1
            timestamp &+= UInt32(samples)
            offset += samples
            try? await Task.sleep(for: .milliseconds(max(10, format.ptime)))
        }
        try? await channel.close()
    }
}

/// Streams a tap to a loopback `ws://` URI: a WebSocket client that sends one binary frame of
/// G.711 in the tap's codec and rate (`rate × ptime / 1000` bytes; 160 for PCMU 8 kHz 20 ms)
/// every `ptime` ms for the tap's life. Other URIs are accepted
/// but not connected to.
enum WebSocketTapSender {
    static func loopbackTarget(_ uri: String) -> (host: String, port: Int, path: String)? {
        guard uri.hasPrefix("ws://") else { return nil }
        let rest = uri.dropFirst(5)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" }
        let host: String
        let port: Int
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
            guard let parsed = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = parsed
        } else {
            host = String(authority)
            port = 80
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard RTPTapSender.isLoopback(bare) else { return nil }
        return (bare == "localhost" ? "127.0.0.1" : bare, port, path)
    }

    /// With `feed`, the call's real audio (a SIP call) instead of the tone.
    static func run(uri: String, format: TapFormat, feed: TapFeed? = nil, tapSwitch: TapSwitch, logger: Logger) async {
        guard let target = loopbackTarget(uri) else { return }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, outbound in
                let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                let request =
                    "GET \(target.path) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
                try await outbound.write(ByteBuffer(string: request))
                var iterator = inbound.makeAsyncIterator()
                var head = ""
                while !head.contains("\r\n\r\n") {
                    guard let chunk = try await iterator.next() else { return }
                    head += String(buffer: chunk)
                    if head.utf8.count > 16384 { return }
                }
                guard head.hasPrefix("HTTP/1.1 101") else {
                    logger.debug("tap: ws target refused the upgrade", metadata: ["relay.tap.uri": "\(uri)"])
                    return
                }
                var offset = 0
                while tapSwitch.isOn && !Task.isCancelled {
                    let payload = feed?.payload(format) ?? RTPTapSender.payload(format, offset: offset)
                    offset += payload.count
                    var frame = ByteBuffer()
                    frame.writeInteger(UInt8(0x82))
                    frame.writeInteger(UInt8(0x80 | 126))
                    frame.writeInteger(UInt16(payload.count))
                    let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
                    frame.writeBytes(mask)
                    frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
                    try await outbound.write(frame)
                    try? await Task.sleep(for: .milliseconds(max(10, format.ptime)))
                }
                // Close frame (masked, empty).
                var close = ByteBuffer()
                close.writeBytes([0x88, 0x80, 0, 0, 0, 0])
                try? await outbound.write(close)
            }
        } catch {
            logger.debug("tap: ws stream ended", metadata: ["relay.error": "\(error)"])
        }
    }
}
