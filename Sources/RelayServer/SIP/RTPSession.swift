import NIOCore
import NIOPosix
import Synchronization

/// The media of one SIP call: a UDP socket that counts what the caller sends and, once
/// started, sends G.711 to the caller every 20 ms (silence until a verb has audio to play).
final class RTPSession: Sendable {
    static let packetInterval = TimeAmount.milliseconds(20)
    /// The socket's receive buffer (the kernel may cap it at `net.core.rmem_max`).
    static let receiveBufferBytes: SocketOptionValue = 1 << 21
    /// Sources counted per call; packets of further sources are ignored.
    static let maximumSources = 16
    static let samplesPerPacket = 160

    private struct State {
        /// One stream a source (SSRC): a caller's DTMF events often come from a source of their own.
        var received: [UInt32: RTPReceiveStatistics] = [:]
        var packetsOut = 0
        var sending: Scheduled<Void>?
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max / 2)
        var stopped = false
        /// The caller's payload type for RFC 4733 events, once negotiated.
        var telephoneEvent: UInt8?
        /// The RTP timestamp of the last key reported: an event's end packet comes three times.
        var lastKeyTimestamp: UInt32?
        var onKey: (@Sendable (Character) -> Void)?
    }

    let channel: any Channel
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private let state: Mutex<State>

    private init(channel: any Channel) {
        self.channel = channel
        state = Mutex(State())
    }

    /// Opens a socket on `host` (port chosen by the system).
    static func open(host: String) async throws -> RTPSession {
        let box = StateBox()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // About 30 s of a caller's G.711 (packets cost ~2 KiB each in the kernel): a busy
            // event loop delays reading; it does not lose audio.
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: Self.receiveBufferBytes)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Receiver(box: box)) }
            }
            .bind(host: host, port: 0).get()
        let session = RTPSession(channel: channel)
        box.session.withLock { $0 = session }
        return session
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    var counters: SIPMediaCounters {
        state.withLock { state in
            let streams = state.received.values
            // Jitter of the main stream: the source that sent the most.
            let main = streams.max { $0.packets < $1.packets }
            return SIPMediaCounters(
                packetsIn: streams.reduce(0) { $0 + $1.packets }, packetsOut: state.packetsOut, lost: streams.reduce(0) { $0 + $1.lost },
                jitterMilliseconds: main?.jitterMilliseconds() ?? 0)
        }
    }

    fileprivate func received(_ packet: RTPPacket) {
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        let key: (Character, @Sendable (Character) -> Void)? = state.withLock { state in
            guard state.received[packet.ssrc] != nil || state.received.count < Self.maximumSources else { return nil }
            state.received[packet.ssrc, default: RTPReceiveStatistics()].record(packet, arrival: now)
            guard packet.payloadType == state.telephoneEvent, let event = TelephoneEvent(payload: packet.payload), event.isEnd,
                state.lastKeyTimestamp != packet.timestamp, let key = event.key, let onKey = state.onKey
            else { return nil }
            state.lastKeyTimestamp = packet.timestamp
            return (key, onKey)
        }
        // Outside the lock: the callback hands the key to the Relay side.
        if let (digit, onKey) = key { onKey(digit) }
    }

    /// Starts sending to `remote` in `codec`, one packet every 20 ms on absolute deadlines (a
    /// late tick catches up instead of drifting).
    /// Keys the caller presses (RFC 4733 events of payload type `telephoneEvent`) go to `onKey`,
    /// once each, when the key is released.
    func start(remote: SIPPeer, codec: AudioCodec, telephoneEvent: Int?, onKey: @escaping @Sendable (Character) -> Void) {
        state.withLock { state in
            state.telephoneEvent = telephoneEvent.map(UInt8.init)
            state.onKey = onKey
        }
        guard let address = try? SocketAddress(ipAddress: remote.host, port: remote.port) else { return }
        let payload = [UInt8](repeating: codec.silence, count: Self.samplesPerPacket)
        let first = NIODeadline.now()
        channel.eventLoop.execute { self.tick(first, to: address, codec: codec, payload: payload) }
    }

    private func tick(_ deadline: NIODeadline, to address: SocketAddress, codec: AudioCodec, payload: [UInt8]) {
        let packet: RTPPacket? = state.withLock { state in
            guard !state.stopped else { return nil }
            defer {
                state.sequence &+= 1
                state.timestamp &+= UInt32(Self.samplesPerPacket)
                state.packetsOut += 1
            }
            return RTPPacket(payloadType: codec.payloadType, sequence: state.sequence, timestamp: state.timestamp, ssrc: ssrc, payload: payload)
        }
        guard let packet else { return }
        let bytes = packet.bytes
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        let next = deadline + Self.packetInterval
        let scheduled = channel.eventLoop.scheduleTask(deadline: next) { self.tick(next, to: address, codec: codec, payload: payload) }
        state.withLock { state in
            if state.stopped { scheduled.cancel() } else { state.sending = scheduled }
        }
    }

    /// Stops sending and closes the socket; returns the final counters.
    @discardableResult
    func stop() -> SIPMediaCounters {
        let sending = state.withLock { state -> Scheduled<Void>? in
            state.stopped = true
            return state.sending
        }
        sending?.cancel()
        channel.close(promise: nil)
        return counters
    }

    private final class StateBox: Sendable {
        let session = Mutex<RTPSession?>(nil)
    }

    private final class Receiver: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: StateBox
        init(box: StateBox) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let packet = RTPPacket(envelope.data.readableBytesView), let session = box.session.withLock({ $0 }) else { return }
            session.received(packet)
        }
    }
}
