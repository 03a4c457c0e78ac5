import NIOCore
import NIOPosix
import Synchronization

/// The media of one SIP call: a UDP socket that counts, records and relays what the far end
/// sends and, once started, sends it G.711 every 20 ms on absolute deadlines: what `play` and
/// `send_digits` queue, what a connected call says, and silence in between.
final class RTPSession: Sendable {
    static let packetInterval = TimeAmount.milliseconds(20)
    /// The socket's receive buffer (the kernel may cap it at `net.core.rmem_max`).
    static let receiveBufferBytes: SocketOptionValue = 1 << 21
    /// Sources counted per call; packets of further sources are ignored.
    static let maximumSources = 16
    static let samplesPerPacket = 160
    /// Audio from a connected call waiting to be sent: beyond one second the oldest goes.
    static let relayBufferSamples = AudioClip.sampleRate
    /// What the caller heard, kept when capturing: at most `AudioClip.longestSeconds`.
    static let captureLimit = CallRecorder.sampleLimit

    private struct Playout {
        let controlID: String
        /// `nil` while the audio is still being made (speech synthesis, a file).
        var samples: [Int16]?
        var position = 0
        var gain = 1.0
        var paused = false
        let onDone: @Sendable () -> Void
    }

    /// When silence ends a recording of the caller: `initialTimeout` seconds with no speech at
    /// all, or `endSilenceTimeout` seconds of silence after speech (0 turns either off).
    struct SilenceRule: Sendable {
        var initialTimeout: Double
        var endSilenceTimeout: Double
    }

    /// A frame of the caller louder than this (RMS, about −38 dBFS) is speech.
    static let speechLevel = 400.0

    /// A recording's voice activity, counted in 20 ms ticks of the stream.
    private struct Listener {
        let rule: SilenceRule
        var spoke = false
        var loudSinceTick = false
        var quietTicks = 0
        /// Called once: `true` after speech then silence, `false` when nobody spoke.
        let onSilence: @Sendable (Bool) -> Void
    }

    private struct DigitJob {
        let controlID: String
        var keys: [Character]
        /// Ticks of the current key sent so far, or ticks of pause left after it.
        var tick = 0
        var pause = 0
        var eventTimestamp: UInt32 = 0
        let onDone: @Sendable () -> Void
    }

    private struct State {
        /// One stream a source (SSRC): a caller's DTMF events often come from a source of their own.
        var received: [UInt32: RTPReceiveStatistics] = [:]
        var sent = RTPSendStatistics()
        var sending: Scheduled<Void>?
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max / 2)
        var stopped = false
        var codec: AudioCodec?
        /// The far end's payload type for RFC 4733 events, once negotiated.
        var telephoneEvent: UInt8?
        /// The RTP timestamp of the last key reported: an event's end packet comes three times.
        var lastKeyTimestamp: UInt32?
        var onKey: (@Sendable (Character) -> Void)?
        var playouts: [Playout] = []
        var digits: [DigitJob] = []
        var recorders: [String: CallRecorder] = [:]
        var listeners: [String: Listener] = [:]
        var heard: [Int16]?
        var taps: [String: TapFeed] = [:]
        var relayTo: RTPSession?
        var relayed: [Int16] = []
        var packetsRelayed = 0
        /// Audio from the connected call: samples that came, and those dropped from a full buffer.
        var relaySamplesIn = 0
        var relaySamplesDropped = 0
        var relaySamplesSent = 0
    }

    let channel: any Channel
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private let state: Mutex<State>

    private init(channel: any Channel, captureHeard: Bool) {
        self.channel = channel
        var initial = State()
        if captureHeard { initial.heard = [] }
        state = Mutex(initial)
    }

    /// The threads calls' media runs on, apart from the server's loops: a burst of signalling
    /// or JSON on those must not delay a 20 ms tick (it measurably did: 2.5 ms of jitter on a
    /// loaded machine). A call stays on one of them; a tick costs microseconds.
    static let mediaLoops = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    /// Where the next call's port is looked for in a configured range: calls take the range's
    /// even ports in turn (RTP's convention), so a port just freed is not reused at once.
    private static let nextPort = Atomic<Int>(0)

    /// The range has no free even port left (every one is taken by a live call, or by others).
    struct NoFreePort: Error, CustomStringConvertible {
        let ports: ClosedRange<Int>
        var description: String { "no free RTP port in \(ports.lowerBound)-\(ports.upperBound)" }
    }

    /// Opens a socket on `host`: on an even port of `ports` (tried in turn), or one the system
    /// picks. With `captureHeard`, everything sent is kept for ``heardAudio``.
    static func open(host: String, ports: ClosedRange<Int>? = nil, captureHeard: Bool = false) async throws -> RTPSession {
        guard let ports else { return try await open(host: host, port: 0, captureHeard: captureHeard) }
        let first = ports.lowerBound + ports.lowerBound % 2
        let count = max(0, (ports.upperBound - first) / 2 + 1)
        for _ in 0..<count {
            let index = nextPort.wrappingAdd(1, ordering: .relaxed).oldValue % count
            do {
                return try await open(host: host, port: first + 2 * index, captureHeard: captureHeard)
            } catch {
                continue  // Taken: the next one.
            }
        }
        throw NoFreePort(ports: ports)
    }

    private static func open(host: String, port: Int, captureHeard: Bool) async throws -> RTPSession {
        let box = StateBox()
        let channel = try await DatagramBootstrap(group: mediaLoops)
            // About 30 s of a caller's G.711 (packets cost ~2 KiB each in the kernel): a busy
            // event loop delays reading; it does not lose audio.
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: Self.receiveBufferBytes)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Receiver(box: box)) }
            }
            .bind(host: host, port: port).get()
        let session = RTPSession(channel: channel, captureHeard: captureHeard)
        box.session.withLock { $0 = session }
        return session
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    var counters: SIPMediaCounters {
        state.withLock { state in
            let streams = state.received.values
            // Jitter of the main stream: the source that sent the most.
            let main = streams.max { $0.packets < $1.packets }
            var counters = SIPMediaCounters(
                packetsIn: streams.reduce(0) { $0 + $1.packets }, packetsOut: state.sent.packets, lost: streams.reduce(0) { $0 + $1.lost },
                jitterMilliseconds: main?.jitterMilliseconds() ?? 0)
            counters.sendIntervalMilliseconds = state.sent.meanIntervalMilliseconds
            counters.sendIntervalMaxDeviationMilliseconds = state.sent.maxDeviation * 1000
            counters.sendJitterMilliseconds = state.sent.jitter * 1000
            counters.packetsRelayed = state.packetsRelayed
            counters.relaySamplesIn = state.relaySamplesIn
            counters.relaySamplesDropped = state.relaySamplesDropped
            counters.relaySamplesSent = state.relaySamplesSent
            return counters
        }
    }

    // MARK: Receiving

    fileprivate func received(_ packet: RTPPacket) {
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        let (key, relay): ((Character, @Sendable (Character) -> Void)?, (RTPSession, [Int16])?) = state.withLock { state in
            guard state.received[packet.ssrc] != nil || state.received.count < Self.maximumSources else { return (nil, nil) }
            state.received[packet.ssrc, default: RTPReceiveStatistics()].record(packet, arrival: now)
            if let codec = AudioCodec(payloadType: Int(packet.payloadType)) {
                guard !state.recorders.isEmpty || state.relayTo != nil || !state.taps.isEmpty else { return (nil, nil) }
                let samples = packet.payload.map(codec.decode)
                for controlID in state.recorders.keys { state.recorders[controlID]?.received(samples, timestamp: packet.timestamp) }
                if !state.listeners.isEmpty, AudioClip(samples: samples).rms > Self.speechLevel {
                    for controlID in state.listeners.keys { state.listeners[controlID]?.loudSinceTick = true }
                }
                for feed in state.taps.values { feed.said(samples) }
                guard let target = state.relayTo else { return (nil, nil) }
                state.packetsRelayed += 1
                return (nil, (target, samples))
            }
            guard packet.payloadType == state.telephoneEvent, let event = TelephoneEvent(payload: packet.payload), event.isEnd,
                state.lastKeyTimestamp != packet.timestamp, let key = event.key, let onKey = state.onKey
            else { return (nil, nil) }
            state.lastKeyTimestamp = packet.timestamp
            return ((key, onKey), nil)
        }
        // Outside the lock: the key goes to the Relay side, the audio to the other call (whose
        // own lock is taken; two calls relaying to each other must not hold both).
        if let (digit, onKey) = key { onKey(digit) }
        if let (target, samples) = relay { target.relay(samples) }
    }

    private func relay(_ samples: [Int16]) {
        state.withLock { state in
            state.relayed += samples
            state.relaySamplesIn += samples.count
            if state.relayed.count > Self.relayBufferSamples {
                state.relaySamplesDropped += state.relayed.count - Self.relayBufferSamples
                state.relayed.removeFirst(state.relayed.count - Self.relayBufferSamples)
            }
        }
    }

    /// Sends what the far end says to `other` (a connected call), or stops with `nil`.
    func relay(to other: RTPSession?) {
        state.withLock { $0.relayTo = other }
    }

    // MARK: Sending

    /// Starts sending to `remote` in `codec`, one packet every 20 ms on absolute deadlines (a
    /// late tick catches up instead of drifting).
    /// Keys the far end presses (RFC 4733 events of payload type `telephoneEvent`) go to
    /// `onKey`, once each, when the key is released.
    func start(remote: SIPPeer, codec: AudioCodec, telephoneEvent: Int?, onKey: @escaping @Sendable (Character) -> Void) {
        state.withLock { state in
            state.codec = codec
            state.telephoneEvent = telephoneEvent.map(UInt8.init)
            state.onKey = onKey
        }
        guard let address = try? SocketAddress(ipAddress: remote.host, port: remote.port) else { return }
        let silence = [UInt8](repeating: codec.silence, count: Self.samplesPerPacket)
        let first = NIODeadline.now()
        channel.eventLoop.execute { self.tick(first, to: address, codec: codec, silence: silence) }
    }

    private func tick(_ deadline: NIODeadline, to address: SocketAddress, codec: AudioCodec, silence: [UInt8]) {
        var finished: [@Sendable () -> Void] = []
        let packets: [RTPPacket] = state.withLock { state in
            guard !state.stopped else { return [] }
            defer {
                state.timestamp &+= UInt32(Self.samplesPerPacket)
            }
            listen(&state, finished: &finished)
            if let events = digitPackets(&state, finished: &finished) { return events }
            let payload = audioPayload(&state, codec: codec, silence: silence, finished: &finished)
            defer { state.sequence &+= 1 }
            return [RTPPacket(payloadType: codec.payloadType, sequence: state.sequence, timestamp: state.timestamp, ssrc: ssrc, payload: payload)]
        }
        guard !packets.isEmpty else { return }
        let sentAt = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        for packet in packets {
            let bytes = packet.bytes
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        }
        channel.flush()
        let next = deadline + Self.packetInterval
        let scheduled = channel.eventLoop.scheduleTask(deadline: next) { self.tick(next, to: address, codec: codec, silence: silence) }
        state.withLock { state in
            state.sent.record(sentAt: sentAt, nominal: 0.02, count: packets.count)
            if state.stopped { scheduled.cancel() } else { state.sending = scheduled }
        }
        for done in finished { done() }
    }

    /// The next 20 ms of audio: every playing clip and a connected call's voice, mixed.
    private func audioPayload(_ state: inout State, codec: AudioCodec, silence: [UInt8], finished: inout [@Sendable () -> Void]) -> [UInt8] {
        let quiet = !state.playouts.contains { $0.samples != nil && !$0.paused } && state.relayed.isEmpty
        if quiet {
            if state.heard != nil || !state.recorders.isEmpty || !state.taps.isEmpty { keep([Int16](repeating: 0, count: Self.samplesPerPacket), &state) }
            return silence
        }
        var mix = [Double](repeating: 0, count: Self.samplesPerPacket)
        var index = 0
        while index < state.playouts.count {
            guard let samples = state.playouts[index].samples, !state.playouts[index].paused else {
                index += 1
                continue
            }
            let start = state.playouts[index].position
            let end = min(samples.count, start + Self.samplesPerPacket)
            let gain = state.playouts[index].gain
            for offset in start..<end { mix[offset - start] += Double(samples[offset]) * gain }
            state.playouts[index].position = end
            if end >= samples.count {
                finished.append(state.playouts[index].onDone)
                state.playouts.remove(at: index)
            } else {
                index += 1
            }
        }
        let take = min(Self.samplesPerPacket, state.relayed.count)
        for offset in 0..<take { mix[offset] += Double(state.relayed[offset]) }
        state.relayed.removeFirst(take)
        state.relaySamplesSent += take
        let frame = mix.map(AudioClip.clip)
        keep(frame, &state)
        return frame.map(codec.encode)
    }

    /// One tick of each recording's voice activity detection.
    private func listen(_ state: inout State, finished: inout [@Sendable () -> Void]) {
        let tick = Double(Self.samplesPerPacket) / Double(AudioClip.sampleRate)
        for (controlID, var listener) in state.listeners {
            if listener.loudSinceTick {
                listener.spoke = true
                listener.quietTicks = 0
                listener.loudSinceTick = false
            } else {
                listener.quietTicks += 1
            }
            let quiet = Double(listener.quietTicks) * tick
            let limit = listener.spoke ? listener.rule.endSilenceTimeout : listener.rule.initialTimeout
            if limit > 0, quiet >= limit - tick / 2 {
                state.listeners[controlID] = nil
                let (spoke, onSilence) = (listener.spoke, listener.onSilence)
                finished.append { onSilence(spoke) }
            } else {
                state.listeners[controlID] = listener
            }
        }
    }

    private func keep(_ frame: [Int16], _ state: inout State) {
        if state.heard != nil, state.heard!.count < Self.captureLimit { state.heard! += frame }
        for controlID in state.recorders.keys { state.recorders[controlID]?.sent(frame) }
        for feed in state.taps.values { feed.heard(frame) }
    }

    /// RFC 4733 packets of the key being sent, or `nil` when no key is due this tick (a pause
    /// between keys sends audio). A key lasts 100 ms (5 packets; the end packet three times),
    /// then 60 ms of pause; `w` and `W` pause 0.5 s and 1 s.
    private func digitPackets(_ state: inout State, finished: inout [@Sendable () -> Void]) -> [RTPPacket]? {
        guard var job = state.digits.first, let payloadType = state.telephoneEvent else { return nil }
        defer {
            if job.keys.isEmpty && job.pause == 0 {
                finished.append(job.onDone)
                state.digits.removeFirst()
            } else {
                state.digits[0] = job
            }
        }
        if job.pause > 0 {
            job.pause -= 1
            return nil
        }
        guard let key = job.keys.first else { return nil }
        guard let event = TelephoneEvent.event(for: key) else {
            job.keys.removeFirst()
            job.pause = key == "W" ? 50 : key == "w" ? 25 : 0
            return nil
        }
        if job.tick == 0 { job.eventTimestamp = state.timestamp }
        job.tick += 1
        let ticks = 5
        let duration = UInt16(job.tick * Self.samplesPerPacket)
        let copies = job.tick == ticks ? 3 : 1
        var packets: [RTPPacket] = []
        for _ in 0..<copies {
            packets.append(
                RTPPacket(
                    payloadType: payloadType, marker: job.tick == 1, sequence: state.sequence, timestamp: job.eventTimestamp, ssrc: ssrc,
                    payload: TelephoneEvent(event: event, isEnd: job.tick == ticks, duration: duration).payload))
            state.sequence &+= 1
        }
        if job.tick == ticks {
            job.keys.removeFirst()
            job.tick = 0
            job.pause = 3
        }
        return packets
    }

    // MARK: What verbs ask for

    /// Registers a play (or a prompt's play) whose audio is still being made; it is heard once
    /// ``supply(_:clip:volume:)`` brings it. `onDone` runs when it has all been sent.
    func play(_ controlID: String, onDone: @escaping @Sendable () -> Void) {
        state.withLock { $0.playouts.append(Playout(controlID: controlID, onDone: onDone)) }
    }

    /// The audio of a play registered with ``play(_:onDone:)``; dropped when it was stopped meanwhile.
    func supply(_ controlID: String, clip: AudioClip, volume: Double) {
        let empty: (@Sendable () -> Void)? = state.withLock { state in
            guard let index = state.playouts.firstIndex(where: { $0.controlID == controlID && $0.samples == nil }) else { return nil }
            guard !clip.samples.isEmpty else { return state.playouts.remove(at: index).onDone }
            state.playouts[index].samples = clip.samples
            state.playouts[index].gain = AudioClip.gain(decibels: volume)
            return nil
        }
        empty?()
    }

    /// Stops a play without reporting it done (the engine reports the stop itself).
    func stopPlay(_ controlID: String) {
        state.withLock { $0.playouts.removeAll { $0.controlID == controlID } }
    }

    func pausePlay(_ controlID: String, paused: Bool) {
        state.withLock { state in
            for index in state.playouts.indices where state.playouts[index].controlID == controlID { state.playouts[index].paused = paused }
        }
    }

    func setVolume(_ controlID: String, decibels: Double) {
        state.withLock { state in
            for index in state.playouts.indices where state.playouts[index].controlID == controlID {
                state.playouts[index].gain = AudioClip.gain(decibels: decibels)
            }
        }
    }

    /// Sends `keys` as RFC 4733 events when the far end takes them, else as tones in band.
    func sendDigits(_ controlID: String, keys: String, onDone: @escaping @Sendable () -> Void) {
        let inBand = state.withLock { state -> Bool in
            guard state.telephoneEvent != nil else { return true }
            state.digits.append(DigitJob(controlID: controlID, keys: Array(keys), onDone: onDone))
            return false
        }
        if inBand {
            play(controlID, onDone: onDone)
            supply(controlID, clip: ToneGenerator.dtmf(keys), volume: 0)
        }
    }

    func stopDigits(_ controlID: String) {
        state.withLock { $0.digits.removeAll { $0.controlID == controlID } }
        stopPlay(controlID)
    }

    /// Starts recording. When the caller's side is recorded and `silence` is given, their
    /// silence ends it through `onSilence` (`true`: they spoke, then fell silent).
    func startRecording(
        _ controlID: String, direction: CallRecorder.Direction, stereo: Bool, silence: SilenceRule? = nil,
        onSilence: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        state.withLock { state in
            state.recorders[controlID] = CallRecorder(direction: direction, stereo: stereo)
            if let silence, direction != .speak { state.listeners[controlID] = Listener(rule: silence, onSilence: onSilence) }
        }
    }

    /// Ends a recording and hands it over.
    func finishRecording(_ controlID: String) -> CallRecorder? {
        state.withLock { state in
            state.listeners[controlID] = nil
            return state.recorders.removeValue(forKey: controlID)
        }
    }

    /// Copies the call's audio into `feed` until ``removeTap(_:)``.
    func addTap(_ key: String, feed: TapFeed) {
        state.withLock { $0.taps[key] = feed }
    }

    func removeTap(_ key: String) {
        state.withLock { _ = $0.taps.removeValue(forKey: key) }
    }

    /// Everything sent so far, when opened with `captureHeard`.
    func heardAudio() -> [Int16]? { state.withLock { $0.heard } }

    /// Stops sending and closes the socket; returns the final counters.
    @discardableResult
    func stop() -> SIPMediaCounters {
        let sending = state.withLock { state -> Scheduled<Void>? in
            state.stopped = true
            state.relayTo = nil
            state.playouts.removeAll()
            state.digits.removeAll()
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
