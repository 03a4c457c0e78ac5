import Logging
import NIOCore
import NIOPosix
import RelayWire
import Synchronization

/// Puts the server's parts together and is what connections talk to: the session registry,
/// the call shards, messaging and tasks, all on one simulated clock. It holds no state of its
/// own beyond the parts and the jobs it runs for them.
final class RelayHub: Sendable {
    let configuration: RelayServerConfiguration
    let logger: Logger
    let clock: SimulationClock
    let registry: SessionRegistry
    let shards: [CallShard]
    let shardContext: CallShard.ShardContext
    let messaging: MessagingDesk
    let tasks: TaskDesk
    let requests: BladeRequestHandler
    let v3Requests: V3RequestHandler
    let serverNodeID = newID()

    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let jobContinuation: AsyncStream<@Sendable () async -> Void>.Continuation
    private let nextShard = AtomicCounter()

    init(configuration: RelayServerConfiguration, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        let count = max(1, min(configuration.callShards ?? 16, 16))
        self.configuration = configuration
        self.logger = logger
        clock = SimulationClock(mode: configuration.clock)
        registry = SessionRegistry(configuration: configuration, serverNodeID: serverNodeID)
        let (jobs, continuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        self.jobs = jobs
        jobContinuation = continuation
        let loops = Array(group.makeIterator())
        shardContext = CallShard.ShardContext(world: configuration.world, shardCount: count)
        var shards: [CallShard] = []
        for index in 0..<count {
            shards.append(
                CallShard(
                    index: index, loop: loops[index % loops.count], clock: clock, registry: registry, context: shardContext,
                    historyLimit: max(1, configuration.callHistoryLimit / count), logger: logger, spawn: { continuation.yield($0) }))
        }
        self.shards = shards
        let context = shardContext
        messaging = MessagingDesk(registry: registry, clock: clock, loop: loops[0], feed: context.feed, world: { context.world.withLock { $0 } })
        tasks = TaskDesk(registry: registry, feed: context.feed)
        requests = BladeRequestHandler(
            configuration: configuration, logger: logger, registry: registry, shards: shards, shardContext: shardContext, messaging: messaging,
            serverNodeID: serverNodeID)
        v3Requests = V3RequestHandler(
            configuration: configuration, logger: logger, registry: registry, shards: shards, shardContext: shardContext, messaging: messaging,
            clock: clock)
    }

    /// Runs the jobs the parts hand over (tap senders) until ``stopJobs()``: every one is a
    /// child task of this call, so nothing outlives the server.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs { group.addTask { await job() } }
            group.cancelAll()
        }
    }

    func stopJobs() async { jobContinuation.finish() }

    /// The console's event feed (docs/SERVER.md, "The console").
    var feed: EventFeed { shardContext.feed }

    func setBaseURL(_ url: String) async { shardContext.baseURL.withLock { $0 = url } }

    var world: SimulatedWorld { shardContext.world.withLock { $0 } }

    func setWorld(_ world: SimulatedWorld) { shardContext.world.withLock { $0 = world } }

    // MARK: - Connections

    func openConnection(remoteAddress: String) async -> ConnectionHandle {
        registry.openConnection(remoteAddress: remoteAddress)
    }

    /// Handles one inbound text frame from a connection, in the dialect its first frame chose:
    /// `blade.connect` picks Blade v2, `signalwire.connect` RELAY v3; anything else as a first
    /// frame gets a JSON-RPC error and the socket is closed (RELAY-V3.md §12.2).
    func receive(text: String, from connection: ConnectionHandle) async {
        switch registry.dialect(of: connection) {
        case .v2: await requests.receive(text: text, from: connection)
        case .v3: await v3Requests.receive(text: text, from: connection)
        case nil: await receiveFirst(text: text, from: connection)
        }
    }

    private func receiveFirst(text: String, from connection: ConnectionHandle) async {
        var method: String?
        if case .request(_, let name, _)? = try? BladeFrame(bytes: Array(text.utf8)) { method = name }
        let dialect: WireDialect? =
            switch method {
            case BladeMethod.connect: .v2
            case V3Method.connect: .v3
            default: nil
            }
        guard let dialect else {
            registry.journalIncoming(LogText.maskSecrets(text), on: connection)
            let message = "The first frame must be 'blade.connect' (Blade v2) or 'signalwire.connect' (RELAY v3)"
            if let id = JSONCodec.recoverTopLevelID(text) {
                connection.send(BladeSession.encode(BladeRequest.error(id: id, BladeError(code: BladeError.invalidRequest, message: message))))
            }
            logger.debug("closed a websocket whose first frame was not a connect", metadata: ["relay.connection": "\(connection.id)"])
            connection.close()
            return
        }
        _ = registry.setDialect(dialect, of: connection)
        // Set now (by this frame, or by one that raced it); nil when the connection is gone.
        switch registry.dialect(of: connection) {
        case .v2: await requests.receive(text: text, from: connection)
        case .v3: await v3Requests.receive(text: text, from: connection)
        case nil: return
        }
    }

    /// The transport's keepalive tick (every ``RelayServerConfiguration/pingInterval``): v3
    /// sessions get a `signalwire.ping`.
    func keepalive(_ connection: ConnectionHandle) async {
        registry.v3Session(of: connection)?.ping()
    }

    func receiveBinary(size: Int, from connection: ConnectionHandle) async {
        registry.journalIncoming("\"<binary frame of \(size) bytes>\"", on: connection)
        logger.debug("ignored a binary frame (Blade uses text frames only)", metadata: ["relay.bytes": "\(size)"])
    }

    func connectionClosed(_ handle: ConnectionHandle) async {
        guard let (sessionID, generation, discard) = registry.connectionClosed(handle) else { return }
        logger.debug("session disconnected", metadata: ["relay.session": "\(sessionID)"])
        if let session = registry.session(id: sessionID)?.snapshot {
            feed.publish { .session(session, step: "disconnected", text: discard ? "disconnected (restart: not resumable)" : "disconnected (resumable)") }
        }
        // `signalwire.disconnect {restart:true}`: the state does not survive.
        let grace = TimeAmount.nanoseconds(discard ? 0 : Int64(min(configuration.resumeGracePeriod, 1e6) * 1e9))
        shards[0].loop.scheduleTask(in: grace) { [weak self] in
            guard let self else { return }
            let last = registry.session(id: sessionID)?.snapshot
            guard registry.expire(sessionID, generation: generation) else { return }
            logger.debug("session expired", metadata: ["relay.session": "\(sessionID)"])
            if let last { feed.publish { .session(last, step: "expired", text: "expired (its calls are hung up)") } }
            for shard in shards { shard.sessionExpired(sessionID) }
        }
    }

    var openConnectionCount: Int { get async { registry.openConnectionCount } }

    /// Sends `blade.disconnect` (v2) or `signalwire.disconnect {restart:false}` (v3) to every
    /// client, closes every socket (v3 ones once answered, or after
    /// ``V3Session/disconnectReplyTimeout``) and stops taps.
    func beginShutdown() async {
        registry.disconnectAll(closeSockets: true, shuttingDown: true)
        feed.finish()
        for shard in shards { shard.stop() }
        clock.cancelAll()
    }

    // MARK: - Calls

    func shard(of callID: String) -> CallShard { shards[shardContext.shard(of: callID) % shards.count] }

    func nextShardForNewCall() -> CallShard { shards[nextShard.next() % shards.count] }

    func injectCall(
        project: RelayProject, from: String, to: String, context: String, behavior: PartyBehavior, ringTimeout: Double, realMedia: Bool = false
    ) async -> CallSnapshot? {
        nextShardForNewCall().injectCall(
            project: project, from: from, to: to, context: context, behavior: behavior, ringTimeout: ringTimeout, realMedia: realMedia)
    }

    func callSnapshot(id: String) async -> CallSnapshot? { shard(of: id).snapshot(of: id) }

    func callSnapshots(project: String?) async -> [CallSnapshot] {
        var all: [(Int, CallSnapshot)] = []
        for shard in shards { all += shard.snapshots(project: project) }
        return all.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func file(named name: String) async -> GeneratedFile? {
        for shard in shards { if let file = shard.file(named: name) { return file } }
        return nil
    }

    // MARK: - Messaging and tasks

    func deliverTask(project: RelayProject, context: String, message: JSONValue) async throws(DeliveryError) -> String {
        try tasks.deliver(project: project, context: context, message: message)
    }

    func project(id: String?) async -> RelayProject? { registry.project(id: id) }

    func project(id: String, token: String) async -> RelayProject? { registry.project(id: id, token: token) }

    func dropSessions(sessionID: String?) async -> Int { registry.drop(sessionID: sessionID) }
}
