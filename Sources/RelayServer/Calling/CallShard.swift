import Logging
import NIOCore
import RelayWire
import Synchronization

/// Drives one ``CallEngine`` behind a lock of its own. A command runs on the thread that read
/// it, with no hop to another thread: the reply and then the command's events are written in
/// order while the lock is held. Timers run on an event loop and take the same lock. Calls are
/// spread over shards by the first hex digit of their id, and connect legs are minted on their
/// parent's shard, so shards never need each other and run in parallel.
final class CallShard: Sendable {
    let index: Int
    /// Where this shard's timers run.
    let loop: any EventLoop
    private let state: Mutex<ShardState>
    private let clock: SimulationClock
    private let registry: SessionRegistry
    private let context: ShardContext
    private let logger: Logger
    /// Runs long-lived work (tap senders) as a child task of the server.
    private let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void

    /// What every shard shares: the world, the base URL and the sequence of calls.
    final class ShardContext: Sendable {
        let world: Mutex<SimulatedWorld>
        let baseURL = Mutex("http://127.0.0.1")
        let sequence = Atomic<Int>(0)
        let shardCount: Int
        /// The console's event feed: every shard publishes its calls' timelines to it.
        let feed = EventFeed()
        /// Where calls with real media (SIP legs) play and record: the SIP edge, while it runs.
        let media = Mutex<(any CallMediaDriver)?>(nil)
        /// The SIP edge while it runs: outbound calls to SIP devices it can reach go through it.
        let sipEdge = Mutex<SIPEdge?>(nil)

        init(world: SimulatedWorld, shardCount: Int) {
            self.world = Mutex(world)
            self.shardCount = shardCount
        }

        /// The shard of a call id minted by ``CallShard/newCallID()``.
        func shard(of callID: String) -> Int {
            guard let first = callID.utf8.first, let nibble = Self.hexValue(first) else { return 0 }
            return nibble % shardCount
        }

        static func hexValue(_ byte: UInt8) -> Int? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
            default: nil
            }
        }
    }

    struct ShardState {
        var engine: CallEngine
        var taps: [String: TapSwitch] = [:]
        var stopped = false
        var feedCursor = CallFeedCursor()
    }

    init(
        index: Int, loop: any EventLoop, clock: SimulationClock, registry: SessionRegistry, context: ShardContext, historyLimit: Int,
        logger: Logger, spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void
    ) {
        self.index = index
        self.loop = loop
        self.clock = clock
        self.registry = registry
        self.context = context
        self.logger = logger
        self.spawn = spawn
        self.state = Mutex(ShardState(engine: CallEngine(historyLimit: historyLimit, environment: Self.placeholderEnvironment)))
    }

    private static var placeholderEnvironment: EngineEnvironment {
        EngineEnvironment(
            now: 0, world: .standard, baseURL: "", pickSession: { _, _, _ in nil }, newCallID: { newID() }, newNodeID: { newID() },
            nextSequence: { 0 })
    }

    private func environment() -> EngineEnvironment {
        let registry = self.registry
        let context = self.context
        let index = self.index
        return EngineEnvironment(
            now: clock.now, world: context.world.withLock { $0 }, baseURL: context.baseURL.withLock { $0 },
            sipEdgeRunning: context.sipEdge.withLock { $0 != nil },
            pickSession: { project, callContext, excluding in
                registry.pickSession(project: project, context: callContext, excluding: excluding)
            },
            newCallID: { Self.newCallID(shard: index, of: context.shardCount) }, newNodeID: { newID() },
            nextSequence: { context.sequence.wrappingAdd(1, ordering: .relaxed).newValue },
            takeRecording: { callID, controlID in context.media.withLock { $0 }?.takeRecording(callID: callID, controlID: controlID) })
    }

    /// A UUID whose first hex digit names the shard.
    static func newCallID(shard: Int, of count: Int) -> String {
        var id = Array(newID().utf8)
        let choices = stride(from: shard, to: 16, by: count).map { $0 }
        let nibble = choices.randomElement() ?? shard
        id[0] = Array("0123456789abcdef".utf8)[nibble]
        return String(decoding: id, as: UTF8.self)
    }

    // MARK: - Entry points (any thread)

    /// Runs a calling command. `reply` gets the result before any of the command's events are
    /// delivered, so events always follow their reply.
    func execute(_ command: RelayCommand, session: String, project: RelayProject, reply: (CommandResult) -> Void) {
        state.withLock { state in
            let (result, effects) = state.engine.execute(command, session: session, project: project, environment())
            reply(result)
            carryOut(effects, &state)
        }
    }

    func injectCall(
        project: RelayProject, from: String, to: String, context callContext: String, behavior: PartyBehavior, ringTimeout: Double,
        realMedia: Bool = false
    ) -> CallSnapshot {
        state.withLock { state in
            let (snapshot, effects) = state.engine.injectCall(
                project: project, from: from, to: to, context: callContext, behavior: behavior, ringTimeout: ringTimeout, realMedia: realMedia,
                environment())
            carryOut(effects, &state, touching: snapshot.id)
            return snapshot
        }
    }

    func sessionExpired(_ sessionID: String) {
        state.withLock { state in
            let effects = state.engine.sessionExpired(sessionID, environment())
            carryOut(effects, &state)
        }
    }

    /// The far end of a live call acts (the console's phone): keys digits, speaks or hangs up.
    /// `false` when the call is unknown or over.
    func farEnd(_ action: FarEndAction, callID: String) -> Bool {
        state.withLock { state in
            let (done, effects) = state.engine.farEnd(action, callID: callID, environment())
            carryOut(effects, &state, touching: callID)
            return done
        }
    }

    /// The media edge finished what a ``MediaAction`` asked (audio heard, digits sent, or a
    /// failure): the component takes its next step, unless it was stopped meanwhile.
    func mediaFinished(callID: String, controlID: String, token: Int, _ step: ComponentStep) {
        fire(.component(callID: callID, controlID: controlID, token: token, step))
    }

    /// The SIP edge's outcome of a real outbound call (``EngineEffect/sipInvite(callID:uri:from:timeout:)``):
    /// the call is answered or ends busy, noAnswer or with an error, as a simulated one would.
    func sipDialResolved(callID: String, _ outcome: DialOutcome) {
        fire(.dialOutcome(callID: callID, outcome))
    }

    /// Stops every tap and ignores timers from now on.
    func stop() {
        state.withLock { state in
            state.stopped = true
            for tap in state.taps.values { tap.stop() }
            state.taps.removeAll()
        }
    }

    func snapshot(of id: String) -> CallSnapshot? { state.withLock { $0.engine.snapshot(of: id) } }

    func snapshots(project: String?) -> [(Int, CallSnapshot)] { state.withLock { $0.engine.snapshots(project: project) } }

    func file(named name: String) -> GeneratedFile? { state.withLock { $0.engine.file(named: name) } }

    // MARK: - Under the lock

    private func fire(_ timer: EngineTimer) {
        state.withLock { state in
            guard !state.stopped else { return }
            let effects = state.engine.fire(timer, environment())
            carryOut(effects, &state, touching: timer.callID)
        }
    }

    private func carryOut(_ effects: [EngineEffect], _ state: inout ShardState, touching callID: String? = nil) {
        state.feedCursor.publish(effects, touching: callID, engine: state.engine, feed: context.feed)
        for effect in effects {
            switch effect {
            case .event(let session, let event):
                registry.deliver(.calling(event), to: session)
            case .timer(let after, let timer):
                // A SIP leg lives on real time: its caller hears and keys at 1×.
                let span = state.engine.hasRealMedia(timer.callID) ? clock.simulated(realSeconds: after) : after
                clock.schedule(after: span, on: loop) { [self] in fire(timer) }
            case .startTap(let key, let target):
                let tapSwitch = TapSwitch()
                state.taps[key] = tapSwitch
                startTap(target, feed: context.media.withLock { $0 }?.tapFeed(key: key), tapSwitch)
            case .stopTap(let key):
                state.taps.removeValue(forKey: key)?.stop()
                context.media.withLock { $0 }?.removeTap(key: key)
            case .media(let callID, let action):
                context.media.withLock { $0 }?.perform(action, callID: callID)
            case .sipInvite(let callID, let uri, let from, let timeout):
                let edge = context.sipEdge.withLock { $0 }
                if edge?.dial(relayCallID: callID, uri: uri, from: from, timeout: timeout) != true {
                    // The edge stopped or is overloaded: the call fails (after this step: the lock is held).
                    loop.execute { [self] in sipDialResolved(callID: callID, .failure) }
                }
            }
        }
    }

    private func startTap(_ target: TapTarget, feed: TapFeed?, _ tapSwitch: TapSwitch) {
        let logger = self.logger
        // The senders run until the switch stops them (component done, call over, shutdown).
        switch target {
        case .rtp(let host, let port, let format):
            spawn { await RTPTapSender.run(host: host, port: port, format: format, feed: feed, tapSwitch: tapSwitch, logger: logger) }
        case .webSocket(let uri, let format):
            spawn { await WebSocketTapSender.run(uri: uri, format: format, feed: feed, tapSwitch: tapSwitch, logger: logger) }
        }
    }
}
