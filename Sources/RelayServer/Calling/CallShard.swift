import Logging
import NIOCore
import RelayWire
import Synchronization

/// Drives one ``CallEngine`` on one event loop: commands, timers and the engine's effects all
/// run on that loop, so the engine needs no lock and shards run in parallel. Calls are spread
/// over shards by the first hex digit of their id; connect legs are minted on their parent's
/// shard.
final class CallShard: Sendable {
    let index: Int
    let loop: any EventLoop
    private let box: NIOLoopBoundBox<ShardState>
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
    }

    init(
        index: Int, loop: any EventLoop, clock: SimulationClock, registry: SessionRegistry, context: ShardContext, historyLimit: Int,
        logger: Logger, spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void
    ) {
        self.spawn = spawn
        self.index = index
        self.loop = loop
        self.clock = clock
        self.registry = registry
        self.context = context
        self.logger = logger
        // The box is created off the loop; its value is only touched on the loop.
        self.box = NIOLoopBoundBox.makeBoxSendingValue(
            ShardState(engine: CallEngine(historyLimit: historyLimit, environment: Self.placeholderEnvironment)), eventLoop: loop)
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
            pickSession: { project, callContext, excluding in registry.pickSession(project: project, context: callContext, excluding: excluding) },
            newCallID: { Self.newCallID(shard: index, of: context.shardCount) }, newNodeID: { newID() },
            nextSequence: { context.sequence.wrappingAdd(1, ordering: .relaxed).newValue })
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

    /// Runs a calling command. `reply` is called on the loop with the result before any of the
    /// command's events are delivered, so events always follow their reply. Returns at once;
    /// commands of one connection run in the order they were queued.
    func enqueue(
        _ command: RelayCommand, session: String, project: RelayProject, reply: @escaping @Sendable (CommandResult) -> Void
    ) -> EventLoopFuture<Void> {
        loop.submit {
            let environment = self.environment()
            let (result, effects) = self.box.value.engine.execute(command, session: session, project: project, environment)
            reply(result)
            self.carryOut(effects)
        }
    }

    func injectCall(
        project: RelayProject, from: String, to: String, context callContext: String, behavior: PartyBehavior, ringTimeout: Double
    ) async -> CallSnapshot? {
        try? await loop.submit {
            let environment = self.environment()
            let (snapshot, effects) = self.box.value.engine.injectCall(
                project: project, from: from, to: to, context: callContext, behavior: behavior, ringTimeout: ringTimeout, environment)
            self.carryOut(effects)
            return snapshot
        }.get()
    }

    func sessionExpired(_ sessionID: String) async {
        try? await loop.submit {
            let effects = self.box.value.engine.sessionExpired(sessionID, self.environment())
            self.carryOut(effects)
        }.get()
    }

    /// Stops every tap and ignores timers from now on.
    func stop() async {
        try? await loop.submit {
            self.box.value.stopped = true
            for tap in self.box.value.taps.values { tap.stop() }
            self.box.value.taps.removeAll()
        }.get()
    }

    func snapshot(of id: String) async -> CallSnapshot? {
        try? await loop.submit { self.box.value.engine.snapshot(of: id) }.get()
    }

    func snapshots(project: String?) async -> [(Int, CallSnapshot)] {
        (try? await loop.submit { self.box.value.engine.snapshots(project: project) }.get()) ?? []
    }

    func file(named name: String) async -> GeneratedFile? {
        try? await loop.submit { self.box.value.engine.file(named: name) }.get()
    }

    // MARK: - On the loop

    private func fire(_ timer: EngineTimer) {
        guard !box.value.stopped else { return }
        let effects = box.value.engine.fire(timer, environment())
        carryOut(effects)
    }

    private func carryOut(_ effects: [EngineEffect]) {
        for effect in effects {
            switch effect {
            case .event(let session, let event):
                registry.deliver(.calling(event), to: session)
            case .timer(let after, let timer):
                clock.schedule(after: after, on: loop) { [self] in fire(timer) }
            case .startTap(let key, let target):
                let tapSwitch = TapSwitch()
                box.value.taps[key] = tapSwitch
                startTap(target, tapSwitch)
            case .stopTap(let key):
                box.value.taps.removeValue(forKey: key)?.stop()
            }
        }
    }

    private func startTap(_ target: TapTarget, _ tapSwitch: TapSwitch) {
        let logger = self.logger
        // The senders run until the switch stops them (component done, call over, shutdown).
        switch target {
        case .rtp(let host, let port, let ptime):
            spawn { await RTPTapSender.run(host: host, port: port, ptime: ptime, tapSwitch: tapSwitch, logger: logger) }
        case .webSocket(let uri):
            spawn { await WebSocketTapSender.run(uri: uri, tapSwitch: tapSwitch, logger: logger) }
        }
    }
}
