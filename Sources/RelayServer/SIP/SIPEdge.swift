import Foundation
import Logging
import NIOCore
import NIOPosix
import RelayWire
import Synchronization

/// The SIP side of `relay serve`: answers INVITEs on a UDP port and offers each one to Relay
/// consumers as an inbound call, then keeps both sides in step (answer → `200 OK`, hang-up
/// either way → `BYE`, caller gives up → the Relay call ends).
///
/// The protocol work is ``SIPUserAgent`` (no I/O); this type carries out its effects: datagrams,
/// RFC 3261 timers on the channel's event loop, and Relay-side actions on the server.
final class SIPEdge: CallMediaDriver {
    struct Configuration: Sendable {
        var host: String
        var port: Int
        /// Where a call goes when the dialled user is not a number the world routes.
        var defaultContext: String?
        /// Where each call's capture of what the caller heard is written (`<call id>-heard.wav`).
        var captureDirectory: String?
        /// Ports calls' RTP sockets take (even ones, in turn); `nil`: any the system gives.
        var rtpPorts: ClosedRange<Int>? = nil
    }

    /// The SIP socket's receive buffer: what waits while the event loop is busy.
    static let receiveBufferBytes: SocketOptionValue = 4 << 20
    /// Relay-side actions waiting; beyond this the newest are dropped and logged.
    static let relayQueueLimit = 4096
    /// Inbound calls being offered to the Relay side at once.
    static let concurrentOffers = 64
    /// Ended calls whose media counters are kept.
    static let finishedMediaLimit = 1024

    private struct State {
        var agent: SIPUserAgent
        var relayCallBySIP: [String: String] = [:]
        var sipCallByRelay: [String: String] = [:]
        /// The SDP answer to send once the Relay call is answered.
        var answers: [String: SessionDescription] = [:]
        var media: [String: RTPSession] = [:]
        var negotiated: [String: SessionDescription.Negotiated] = [:]
        /// Counters of calls whose media ended, by Relay call id (oldest forgotten first).
        var finishedMedia: [String: SIPMediaCounters] = [:]
        /// Media of calls whose SIP side ended before the Relay call did: their recordings are
        /// still to be taken. Dropped when the Relay call ends, or with the oldest counters.
        var finishedSessions: [String: RTPSession] = [:]
        var finishedOrder: [String] = []
        /// Taps on SIP calls, by tap key: the feed and the call's media it copies.
        var taps: [String: (feed: TapFeed, media: RTPSession)] = [:]
        var timers: [Int: Scheduled<Void>] = [:]
        var nextTimer = 0
        var channel: (any Channel)?
    }

    /// Work that needs the server (async), queued by effects that run under the lock.
    private enum RelayWork: Sendable {
        case offer(SIPInboundCall)
        case farEndHangsUp(sipCallID: String)
        case farEndKeys(sipCallID: String, key: Character)
        /// Make the audio of a play and hand it to the call's media.
        case render(callID: String, controlID: String, token: Int, media: [Media], volume: Double, prompt: Bool, session: RTPSession)
        case writeCapture(callID: String, samples: [Int16])
        /// Place a Relay call for real (calls out).
        case dialOut(relayCallID: String, uri: String, from: String, timeout: Double)
        /// Tell the Relay call how its INVITE ended (calls out).
        case resolve(relayCallID: String, DialOutcome)
    }

    let configuration: Configuration
    private let server: RelayServer
    private let logger: Logger
    private let state: Mutex<State>
    private let relayWork: (stream: AsyncStream<RelayWork>, continuation: AsyncStream<RelayWork>.Continuation)
    private let bound = Mutex<Int?>(nil)

    init(server: RelayServer, configuration: Configuration, logger: Logger) {
        self.server = server
        self.configuration = configuration
        self.logger = logger
        state = Mutex(State(agent: SIPUserAgent(host: configuration.host, port: configuration.port, idPrefix: String(newID().prefix(8)) + "-")))
        relayWork = AsyncStream.makeStream(of: RelayWork.self, bufferingPolicy: .bufferingOldest(Self.relayQueueLimit))
    }

    /// The UDP port once bound (useful with port 0).
    var port: Int? { bound.withLock { $0 } }

    /// Binds the port and runs until cancelled; then stops every timer and closes the socket.
    func run() async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Datagrams wait in the kernel while the loop is busy: the default 208 KiB lost ACKs
            // and BYEs above ~750 calls/s (Benchmarks/run.sh); the kernel may cap this lower.
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: Self.receiveBufferBytes)
            .channelInitializer { channel in
                // Handled on the channel's event loop, where the RFC 3261 timers fire too: a
                // response is never queued behind a busy task pool while its retransmit timer runs.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramReader { [self] bytes, peer in handle(bytes, from: peer) })
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        let port = channel.localAddress?.port ?? configuration.port
        bound.withLock { $0 = port }
        state.withLock {
            $0.channel = channel
            $0.agent = SIPUserAgent(host: configuration.host, port: port, idPrefix: String(newID().prefix(8)) + "-")
        }
        logger.info("SIP edge listening", metadata: ["relay.sip": "\(SIPPeer(host: configuration.host, port: port))"])
        // From now on the call engine sends calls to reachable SIP devices here.
        server.hub.shardContext.sipEdge.withLock { $0 = self }
        defer { server.hub.shardContext.sipEdge.withLock { $0 = nil } }
        let feed = server.events(bufferLimit: 4096)
        server.hub.shardContext.media.withLock { $0 = self }
        defer { server.hub.shardContext.media.withLock { $0 = nil } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Offers and calls out wait on an RTP socket and the server: up to `concurrentOffers`
                // at once, so one slow call does not hold up those behind it. The rest is quick and in order.
                await withTaskGroup(of: Void.self) { offers in
                    var inFlight = 0
                    for await work in self.relayWork.stream {
                        switch work {
                        case .offer, .dialOut: break
                        default:
                            await self.perform(work)
                            continue
                        }
                        if inFlight >= Self.concurrentOffers, await offers.next() != nil { inFlight -= 1 }
                        offers.addTask { await self.perform(work) }
                        inFlight += 1
                    }
                }
            }
            if let feed {
                group.addTask {
                    for await event in feed where event.kind == .call { self.relayCallChanged(event) }
                }
            }
            // Runs until the surrounding task is cancelled (server shutdown).
            await withTaskCancellationHandler {
                await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
                    channel.closeFuture.whenComplete { _ in resume.resume() }
                }
            } onCancel: {
                channel.close(promise: nil)
            }
            self.relayWork.continuation.finish()
            group.cancelAll()
        }
        state.withLock { state in
            for timer in state.timers.values { timer.cancel() }
            state.timers.removeAll()
            for sipCallID in Array(state.media.keys) { stopMedia(sipCallID, in: &state) }
            state.channel = nil
        }
    }

    // MARK: SIP side

    private func handle(_ bytes: [UInt8], from peer: SIPPeer) {
        state.withLock { state in
            let effects = state.agent.receive(bytes, from: peer)
            carryOut(effects, in: &state)
        }
    }

    private func fire(_ timer: SIPTimer, id: Int) {
        state.withLock { state in
            state.timers[id] = nil
            carryOut(state.agent.fire(timer), in: &state)
        }
    }

    private func carryOut(_ effects: [SIPUserAgent.Effect], in state: inout State) {
        for effect in effects {
            switch effect {
            case .send(let message, let peer):
                guard let channel = state.channel, let address = try? SocketAddress(ipAddress: peer.host, port: peer.port) else { continue }
                let bytes = message.serialized()
                var buffer = channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
            case .schedule(let timer, let seconds):
                guard let channel = state.channel else { continue }
                state.nextTimer += 1
                let id = state.nextTimer
                state.timers[id] = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { [self] in fire(timer, id: id) }
            case .incoming(let call):
                queue(.offer(call))
            case .established:
                break
            case .cancelled(let callID), .ended(let callID, _):
                stopMedia(callID, in: &state)
                if state.relayCallBySIP[callID] != nil { queue(.farEndHangsUp(sipCallID: callID)) }
            case .dropped(let reason, let peer):
                logger.debug("SIP datagram dropped", metadata: ["relay.sip.peer": "\(peer)", "relay.reason": "\(LogText.clip(reason))"])
            case .outboundRinging, .outboundAnswered, .outboundFailed:
                carryOutOutbound(effect, in: &state)
            }
        }
    }

    /// Stops a call's media and keeps its counters under the Relay call's id.
    private func stopMedia(_ sipCallID: String, in state: inout State) {
        state.negotiated[sipCallID] = nil
        guard let media = state.media.removeValue(forKey: sipCallID) else { return }
        let counters = media.stop()
        let relayCallID = state.relayCallBySIP[sipCallID] ?? sipCallID
        state.finishedMedia[relayCallID] = counters
        state.finishedSessions[relayCallID] = media
        state.finishedOrder.append(relayCallID)
        if state.finishedOrder.count > Self.finishedMediaLimit {
            let oldest = state.finishedOrder.removeFirst()
            state.finishedMedia[oldest] = nil
            state.finishedSessions[oldest] = nil
        }
        if configuration.captureDirectory != nil, let heard = media.heardAudio() { queue(.writeCapture(callID: relayCallID, samples: heard)) }
        logger.info(
            "SIP media ended",
            metadata: [
                "relay.call": "\(relayCallID)", "relay.rtp.in": "\(counters.packetsIn)", "relay.rtp.out": "\(counters.packetsOut)",
                "relay.rtp.lost": "\(counters.lost)", "relay.rtp.jitter_ms": "\(counters.jitterMilliseconds)",
            ])
    }

    /// The media counters of the SIP call behind Relay call `relayCallID`: live, or as they
    /// ended (the last ``finishedMediaLimit`` calls).
    func mediaCounters(relayCallID: String) -> SIPMediaCounters? {
        state.withLock { state in
            if let sipCallID = state.sipCallByRelay[relayCallID], let media = state.media[sipCallID] { return media.counters }
            return state.finishedMedia[relayCallID]
        }
    }

    private func queue(_ work: RelayWork) {
        if case .dropped = relayWork.continuation.yield(work) {
            logger.warning("SIP edge: too much Relay work queued; dropping an action")
        }
    }

    // MARK: Relay side

    private func perform(_ work: RelayWork) async {
        switch work {
        case .offer(let call):
            let context = server.hub.world.routes[call.dialled] ?? configuration.defaultContext ?? call.dialled
            let media: RTPSession
            do {
                media = try await RTPSession.open(host: configuration.host, ports: configuration.rtpPorts, captureHeard: configuration.captureDirectory != nil)
            } catch {
                logger.warning("SIP call refused: no RTP socket", metadata: ["relay.error": "\(error)"])
                state.withLock { state in carryOut(state.agent.reject(call.callID, status: 503, reason: "Service Unavailable"), in: &state) }
                return
            }
            guard let (answer, negotiated) = call.offer.answer(address: configuration.host, port: media.port, sessionID: UInt64.random(in: 1...UInt64(Int64.max))) else {
                media.stop()
                return
            }
            state.withLock { state in
                state.media[call.callID] = media
                state.answers[call.callID] = answer
                state.negotiated[call.callID] = negotiated
            }
            do {
                // A real caller keys nothing scripted and never hangs up on its own.
                let snapshot = try await server.injectCall(
                    from: call.fromNumber, to: call.dialled, context: context, script: PartyBehavior(answer: .never), project: nil, ringTimeout: 30,
                    realMedia: true)
                state.withLock { state in
                    state.relayCallBySIP[call.callID] = snapshot.id
                    state.sipCallByRelay[snapshot.id] = call.callID
                    carryOut(state.agent.ring(call.callID), in: &state)
                }
                // A consumer can answer (or the call end) before the lines above ran: those events
                // found no SIP call, so follow the call's state as it is now (each step is idempotent).
                if let current = await server.call(id: snapshot.id), current.state != .created, current.state != .ringing {
                    follow(relayCallID: snapshot.id, status: current.state.rawValue, endReason: current.endReason)
                }
                logger.info("SIP call offered", metadata: ["relay.call": "\(snapshot.id)", "relay.context": "\(context)", "relay.sip.from": "\(call.fromNumber)"])
            } catch {
                logger.notice("SIP call refused", metadata: ["relay.error": "\(error)"])
                state.withLock { state in
                    stopMedia(call.callID, in: &state)
                    carryOut(state.agent.reject(call.callID, status: 404, reason: "Not Found"), in: &state)
                }
            }
        case .farEndHangsUp(let sipCallID):
            guard let relayCallID = state.withLock({ $0.relayCallBySIP[sipCallID] }) else { return }
            await server.farEnd(.hangsUp, callID: relayCallID)
        case .farEndKeys(let sipCallID, let key):
            // The caller's key reaches prompts and digit detectors as a far end's keys do.
            guard let relayCallID = state.withLock({ $0.relayCallBySIP[sipCallID] }) else { return }
            await server.farEnd(.keys(String(key)), callID: relayCallID)
        case .render(let callID, let controlID, let token, let media, let volume, let prompt, let session):
            let server = self.server
            let renderer = MediaRenderer(serverFile: { name in await server.hub.file(named: name) })
            do {
                let clip = try await renderer.render(media)
                session.supply(controlID, clip: clip, volume: volume)
            } catch {
                session.stopPlay(controlID)
                logger.notice("SIP play failed", metadata: ["relay.call": "\(callID)", "relay.reason": "\(LogText.clip(error.description))"])
                server.hub.shard(of: callID).mediaFinished(
                    callID: callID, controlID: controlID, token: token, prompt ? .promptFailed(reason: error.description) : .playFailed(reason: error.description))
            }
        case .writeCapture(let callID, let samples):
            guard let directory = configuration.captureDirectory else { return }
            let path = URL(fileURLWithPath: directory).appendingPathComponent("\(URLPath.encode(callID))-heard.wav")
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try Data(WAVFile.bytes(samples)).write(to: path)
                logger.info("SIP capture written", metadata: ["relay.call": "\(callID)", "relay.path": "\(path.path)"])
            } catch {
                logger.warning("SIP capture not written", metadata: ["relay.call": "\(callID)", "relay.error": "\(error)"])
            }
        case .dialOut(let relayCallID, let uri, let from, let timeout):
            await placeCall(relayCallID: relayCallID, uri: uri, from: from, timeout: timeout)
        case .resolve(let relayCallID, let outcome):
            server.hub.shard(of: relayCallID).sipDialResolved(callID: relayCallID, outcome)
        }
    }

    /// Where the capture of what the caller of `callID` heard is written, when capturing.
    func capturePath(callID: String) -> String? {
        configuration.captureDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("\(URLPath.encode(callID))-heard.wav").path }
    }

    // MARK: Media of calls (CallMediaDriver)

    /// The media of Relay call `callID`: live, or stopped with recordings still to take.
    private func session(of callID: String, in state: State) -> RTPSession? {
        if let sipCallID = state.sipCallByRelay[callID], let media = state.media[sipCallID] { return media }
        return state.finishedSessions[callID]
    }

    func perform(_ action: MediaAction, callID: String) {
        state.withLock { state in
            guard let media = session(of: callID, in: state) else { return }
            switch action {
            case .play(let controlID, let token, let items, let volume, let prompt):
                let shard = server.hub.shard(of: callID)
                media.play(controlID) {
                    shard.mediaFinished(callID: callID, controlID: controlID, token: token, prompt ? .promptPlayed : .playFinished)
                }
                queue(.render(callID: callID, controlID: controlID, token: token, media: items, volume: volume, prompt: prompt, session: media))
            case .stopPlay(let controlID):
                media.stopPlay(controlID)
            case .pausePlay(let controlID, let paused):
                media.pausePlay(controlID, paused: paused)
            case .volume(let controlID, let decibels):
                media.setVolume(controlID, decibels: decibels)
            case .startRecording(let controlID, let token, let direction, let stereo, let initialTimeout, let endSilenceTimeout):
                let shard = server.hub.shard(of: callID)
                media.startRecording(
                    controlID, direction: CallRecorder.Direction(direction), stereo: stereo,
                    silence: RTPSession.SilenceRule(initialTimeout: initialTimeout, endSilenceTimeout: endSilenceTimeout)
                ) { spoke in
                    shard.mediaFinished(callID: callID, controlID: controlID, token: token, spoke ? .recordFinished : .recordNoInput)
                }
            case .discardRecording(let controlID):
                _ = media.finishRecording(controlID)
            case .sendDigits(let controlID, let token, let digits):
                let shard = server.hub.shard(of: callID)
                media.sendDigits(controlID, keys: digits) {
                    shard.mediaFinished(callID: callID, controlID: controlID, token: token, .digitsSent)
                }
            case .stopDigits(let controlID):
                media.stopDigits(controlID)
            case .startTap(let key, let direction):
                let feed = TapFeed(direction: CallRecorder.Direction(direction))
                state.taps[key] = (feed, media)
                media.addTap(key, feed: feed)
            case .bridge(let peer):
                media.relay(to: peer.flatMap { session(of: $0, in: state) })
            }
        }
    }

    func tapFeed(key: String) -> TapFeed? { state.withLock { $0.taps[key]?.feed } }

    func removeTap(key: String) {
        state.withLock { state in
            guard let tap = state.taps.removeValue(forKey: key) else { return }
            tap.media.removeTap(key)
        }
    }

    func takeRecording(callID: String, controlID: String) -> CallRecorder? {
        state.withLock { state in session(of: callID, in: state)?.finishRecording(controlID) }
    }

    /// Follows the Relay call of each SIP call: answered → `200 OK`; over → `BYE` or a refusal.
    private func relayCallChanged(_ event: ConsoleEvent) {
        guard let relayCallID = event.subjectID, let status = event.subject["state"]?.stringValue else { return }
        follow(relayCallID: relayCallID, status: status, endReason: event.subject["end_reason"]?.stringValue)
    }

    /// Applies the Relay call's state `status` to its SIP call (idempotent: each step happens once).
    private func follow(relayCallID: String, status: String, endReason reason: String?) {
        state.withLock { state in
            guard let sipCallID = state.sipCallByRelay[relayCallID] else { return }
            switch status {
            case CallState.answered.rawValue:
                if let answer = state.answers.removeValue(forKey: sipCallID) {
                    carryOut(state.agent.answer(sipCallID, sdp: answer), in: &state)
                    if let negotiated = state.negotiated[sipCallID], let remote = negotiated.remote {
                        state.media[sipCallID]?.start(
                            remote: SIPPeer(host: remote.address, port: remote.port), codec: negotiated.codec,
                            telephoneEvent: negotiated.telephoneEventPayloadType
                        ) { [self] key in queue(.farEndKeys(sipCallID: sipCallID, key: key)) }
                    }
                }
            case CallState.ending.rawValue, CallState.ended.rawValue:
                let effects =
                    state.answers[sipCallID] != nil
                    ? state.agent.reject(sipCallID, status: reason == "busy" ? 486 : 480, reason: reason == "busy" ? "Busy Here" : "Temporarily Unavailable")
                    : state.agent.hangUp(sipCallID)
                carryOut(effects, in: &state)
                if status == CallState.ended.rawValue {
                    stopMedia(sipCallID, in: &state)
                    state.finishedSessions[relayCallID] = nil
                    state.sipCallByRelay[relayCallID] = nil
                    state.relayCallBySIP[sipCallID] = nil
                    state.answers[sipCallID] = nil
                }
            default:
                break
            }
        }
    }
}

// MARK: - Calls out

extension SIPEdge {
    /// Places Relay call `relayCallID` as a real SIP call to `uri` (called by a call shard under
    /// its lock, so it only queues). `false` when the queue is full: the call should fail.
    func dial(relayCallID: String, uri: String, from: String, timeout: Double) -> Bool {
        if case .dropped = relayWork.continuation.yield(.dialOut(relayCallID: relayCallID, uri: uri, from: from, timeout: timeout)) {
            logger.warning("SIP edge: too much Relay work queued; an outbound call fails", metadata: ["relay.call": "\(relayCallID)"])
            return false
        }
        return true
    }

    /// Opens the call's RTP socket, offers it in an INVITE and maps the two call ids, exactly as
    /// inbound calls are mapped (``mediaCounters(relayCallID:)`` works for both directions).
    private func placeCall(relayCallID: String, uri: String, from: String, timeout: Double) async {
        let shard = server.hub.shard(of: relayCallID)
        guard let target = SIPURI(uri) else {
            shard.sipDialResolved(callID: relayCallID, .failure)
            return
        }
        let media: RTPSession
        do {
            media = try await RTPSession.open(host: configuration.host, ports: configuration.rtpPorts, captureHeard: configuration.captureDirectory != nil)
        } catch {
            logger.warning("SIP call out failed: no RTP socket", metadata: ["relay.call": "\(relayCallID)", "relay.error": "\(error)"])
            shard.sipDialResolved(callID: relayCallID, .failure)
            return
        }
        let offer = SessionDescription.offer(address: configuration.host, port: media.port, sessionID: UInt64.random(in: 1...UInt64(Int64.max)))
        let sipCallID: String? = state.withLock { state in
            guard state.channel != nil, let (sipCallID, effects) = state.agent.invite(to: target, from: from, sdp: offer, ringTimeout: timeout) else {
                return nil
            }
            state.media[sipCallID] = media
            state.relayCallBySIP[sipCallID] = relayCallID
            state.sipCallByRelay[relayCallID] = sipCallID
            carryOut(effects, in: &state)
            return sipCallID
        }
        guard let sipCallID else {
            media.stop()
            logger.notice("SIP call out refused: the edge is stopping or full", metadata: ["relay.call": "\(relayCallID)"])
            shard.sipDialResolved(callID: relayCallID, .failure)
            return
        }
        logger.info("SIP call out", metadata: ["relay.call": "\(relayCallID)", "relay.sip.to": "\(LogText.clip(uri))"])
        // The Relay call may have ended while the socket opened, before the maps knew it (its
        // events went by unmatched): then cancel at once.
        if shard.snapshot(of: relayCallID)?.state.isOver ?? true {
            state.withLock { state in
                carryOut(state.agent.hangUp(sipCallID), in: &state)
                stopMedia(sipCallID, in: &state)
                state.sipCallByRelay[relayCallID] = nil
                state.relayCallBySIP[sipCallID] = nil
            }
        }
    }

    /// The outbound effects of ``SIPUserAgent``: media starts on the answer, exactly as for an
    /// inbound call; the outcome goes back to the Relay call.
    private func carryOutOutbound(_ effect: SIPUserAgent.Effect, in state: inout State) {
        switch effect {
        case .outboundRinging(let sipCallID):
            logger.debug("SIP call out ringing", metadata: ["relay.sip.call": "\(sipCallID)"])
        case .outboundAnswered(let sipCallID, let negotiated):
            state.negotiated[sipCallID] = negotiated
            if let remote = negotiated.remote {
                state.media[sipCallID]?.start(
                    remote: SIPPeer(host: remote.address, port: remote.port), codec: negotiated.codec, telephoneEvent: negotiated.telephoneEventPayloadType
                ) { [self] key in queue(.farEndKeys(sipCallID: sipCallID, key: key)) }
            }
            if let relayCallID = state.relayCallBySIP[sipCallID] { queue(.resolve(relayCallID: relayCallID, .answer)) }
        case .outboundFailed(let sipCallID, let status, let outcome):
            stopMedia(sipCallID, in: &state)
            logger.info("SIP call out ended unanswered", metadata: ["relay.sip.call": "\(sipCallID)", "relay.sip.status": "\(status)"])
            if let relayCallID = state.relayCallBySIP[sipCallID] { queue(.resolve(relayCallID: relayCallID, outcome)) }
        default:
            break
        }
    }
}

/// Hands each datagram to the edge, on the event loop (the socket's receive buffer bounds what waits).
private final class DatagramReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let onDatagram: @Sendable ([UInt8], SIPPeer) -> Void

    init(onDatagram: @escaping @Sendable ([UInt8], SIPPeer) -> Void) { self.onDatagram = onDatagram }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
        onDatagram(Array(envelope.data.readableBytesView), SIPPeer(host: host, port: port))
    }
}
