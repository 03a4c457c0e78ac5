import Foundation
import Logging
import RelayWire

/// One frame in a session's journal.
public struct JournalEntry: Sendable, Hashable {
    /// `in` (client → server) or `out` (server → client).
    public var direction: String
    /// Unix time in seconds.
    public var time: Double
    /// The frame text exactly as sent or received (tokens in `blade.connect` are masked).
    public var text: String

    public var json: JSONValue {
        let frame = (try? JSONCodec.parse(text)) ?? .string(text)
        return ["dir": .string(direction), "time": .double(time), "frame": frame]
    }
}

/// A read-only view of a session for the lab API.
public struct SessionSnapshot: Sendable, Hashable {
    public var id: String
    public var project: String
    public var agent: String?
    public var protocolName: String?
    public var contexts: [String]
    public var connected: Bool
    public var restoredCount: Int

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("sessionid", id)
        builder.set("project", project)
        builder.set("agent", agent)
        builder.set("protocol", protocolName)
        builder.set("contexts", contexts)
        builder.set("connected", connected)
        builder.set("restored", restoredCount)
        return builder.value
    }
}

/// Faults injected through the lab API.
public struct SessionFaults: Sendable, Hashable {
    /// When `false`, `blade.ping` requests get no response.
    public var answerPings = true
    /// Real seconds every event frame is held before it is written.
    public var eventDelay: Double = 0
    /// Send every event frame twice.
    public var duplicateEvents = false

    public init(answerPings: Bool = true, eventDelay: Double = 0, duplicateEvents: Bool = false) {
        self.answerPings = answerPings
        self.eventDelay = eventDelay
        self.duplicateEvents = duplicateEvents
    }
}

struct PendingEvent {
    let event: String
    let notification: [String: JSONValue]
}

final class SessionRecord {
    let id: String
    let project: RelayProject
    let nodeID: String
    let signature: String
    var clientKey: String?
    var agent: String?
    var protocolName: String?
    var issuedProtocols: Set<String> = []
    var contexts: [String] = []
    var connection: ConnectionHandle?
    var disconnectGeneration = 0
    var pending: [PendingEvent] = []
    var journal: [JournalEntry] = []
    var faults: SessionFaults?
    var restoredCount = 0
    /// Answers to recent `blade.execute` requests by id: a request resent after a resume gets
    /// the same answer instead of running twice.
    var recentResults: [String: JSONValue] = [:]
    var recentResultOrder: [String] = []
    /// Broadcasts written lately, with the real time they were written: a socket that dies
    /// can take the last ones with it, so a resumed session gets them again (same ids; the
    /// client drops the ones it already has).
    var recentBroadcasts: [(sent: ContinuousClock.Instant, frame: JSONValue)] = []
    var replayOnSubscribe = false
    var connectionLostAt: ContinuousClock.Instant?
    /// Set when an event for this session could not be delivered or kept. Such a session is
    /// not resumed: its client must learn that calls may be missing events (it fails their
    /// pending operations) instead of waiting for events that will never come.
    var eventsLost = false
    /// When the newest broadcast dropped from the memory was sent.
    var lastForgotten: ContinuousClock.Instant?

    static let rememberedResults = 1024
    static let rememberedBroadcasts = 4096
    /// How long before a socket died a broadcast may still have been in flight on it.
    static let replayWindow: Duration = .seconds(2)

    func rememberResult(_ result: JSONValue, for id: String) {
        if recentResults.updateValue(result, forKey: id) == nil { recentResultOrder.append(id) }
        if recentResultOrder.count > Self.rememberedResults {
            recentResults[recentResultOrder.removeFirst()] = nil
        }
    }

    func rememberBroadcast(_ frame: JSONValue) {
        recentBroadcasts.append((.now, frame))
        // Trim in chunks, not on every frame.
        if recentBroadcasts.count > Self.rememberedBroadcasts + Self.rememberedBroadcasts / 4 {
            let excess = recentBroadcasts.count - Self.rememberedBroadcasts
            lastForgotten = recentBroadcasts[excess - 1].sent
            recentBroadcasts.removeFirst(excess)
        }
    }

    /// Whether the broadcast memory still holds everything a socket lost at `lostAt` may
    /// have had in flight.
    func canReplay(lostAt: ContinuousClock.Instant) -> Bool {
        guard let lastForgotten else { return true }
        return lastForgotten < lostAt - Self.replayWindow
    }

    init(id: String, project: RelayProject, nodeID: String, signature: String) {
        self.id = id
        self.project = project
        self.nodeID = nodeID
        self.signature = signature
    }
}

final class ConnectionRecord {
    let handle: ConnectionHandle
    var sessionID: String?
    var journal: [JournalEntry] = []
    init(handle: ConnectionHandle) { self.handle = handle }
}

/// The heart of the server: sessions, routing, the call engine, messaging and the lab state,
/// all isolated in one actor. Timed work is scheduled on the scaled clock through ``run()``.
actor RelayHub {
    let configuration: RelayServerConfiguration
    let clock: SimClock
    let logger: Logger
    let serverNodeID = UUID().uuidString.lowercased()
    var world: SimulatedWorld
    /// `http(s)://host:port` once the server is listening; used in recording/fax URLs.
    var baseURL = "http://127.0.0.1"

    enum Job: Sendable {
        case timer(delay: Double, action: @Sendable (isolated RelayHub) -> Void)
        case work(@Sendable () async -> Void)
    }

    let jobs: AsyncStream<Job>
    let jobContinuation: AsyncStream<Job>.Continuation

    var connections: [UInt64: ConnectionRecord] = [:]
    var sessions: [String: SessionRecord] = [:]
    var clientKeys: [String: String] = [:]
    var protocolOwners: [String: String] = [:]
    var roundRobin: [String: Int] = [:]
    var globalFaults = SessionFaults()
    var nextConnectionID: UInt64 = 1

    var calls: [String: CallRecord] = [:]
    var callOrder: [String] = []
    var messages: [MessageRecord] = []
    var tasks: [TaskRecord] = []
    var files: [String: GeneratedFile] = [:]
    var recordingDurations: [String: Double] = [:]
    var shuttingDown = false

    init(configuration: RelayServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.clock = SimClock(speed: configuration.speed)
        self.logger = logger
        self.world = configuration.world
        (jobs, jobContinuation) = AsyncStream.makeStream(of: Job.self)
    }

    /// Runs timers and media senders until cancelled. Everything the hub schedules is a child
    /// task of this call, so nothing outlives the server.
    nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                switch job {
                case .timer(let delay, let action):
                    group.addTask {
                        if delay > 0 {
                            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
                        }
                        await self.perform(action)
                    }
                case .work(let work):
                    group.addTask { await work() }
                }
            }
            group.cancelAll()
        }
    }

    func stopJobs() { jobContinuation.finish() }

    private func perform(_ action: @Sendable (isolated RelayHub) -> Void) { action(self) }

    /// Runs `action` on the hub after `seconds` of simulated time.
    func schedule(after seconds: Double, _ action: @escaping @Sendable (isolated RelayHub) -> Void) {
        jobContinuation.yield(.timer(delay: clock.realSeconds(seconds), action: action))
    }

    /// Runs `action` on the hub after `seconds` of real time (grace periods).
    func scheduleReal(after seconds: Double, _ action: @escaping @Sendable (isolated RelayHub) -> Void) {
        jobContinuation.yield(.timer(delay: seconds, action: action))
    }

    func spawn(_ work: @escaping @Sendable () async -> Void) {
        jobContinuation.yield(.work(work))
    }

    func setBaseURL(_ url: String) { baseURL = url }

    static func newID() -> String { UUID().uuidString.lowercased() }

    // MARK: - Connections

    func openConnection(remoteAddress: String) -> ConnectionHandle {
        let handle = ConnectionHandle(id: nextConnectionID, remoteAddress: remoteAddress, limit: configuration.outboundBufferLimit)
        nextConnectionID += 1
        connections[handle.id] = ConnectionRecord(handle: handle)
        if shuttingDown { handle.close() }
        return handle
    }

    func connectionClosed(_ handle: ConnectionHandle) {
        handle.close()
        guard let record = connections.removeValue(forKey: handle.id) else { return }
        guard let sessionID = record.sessionID, let session = sessions[sessionID], session.connection === handle else { return }
        session.connection = nil
        session.connectionLostAt = .now
        session.disconnectGeneration += 1
        let generation = session.disconnectGeneration
        logger.debug("session disconnected", metadata: ["relay.session": "\(sessionID)"])
        scheduleReal(after: configuration.resumeGracePeriod) { hub in
            hub.expireSession(sessionID, generation: generation)
        }
    }

    func expireSession(_ sessionID: String, generation: Int) {
        guard let session = sessions[sessionID], session.connection == nil, session.disconnectGeneration == generation else { return }
        sessions[sessionID] = nil
        if let key = session.clientKey { clientKeys[key] = nil }
        for name in session.issuedProtocols { protocolOwners[name] = nil }
        logger.debug("session expired", metadata: ["relay.session": "\(sessionID)"])
        for call in calls.values where call.owner == sessionID && !call.isOver {
            call.log(clock.now, "note", "owner session expired; hanging up")
            endCall(call, reason: "hangup", notifyRemote: true)
        }
    }

    // MARK: - Sending

    func journal(_ connection: ConnectionHandle, direction: String, text: String) {
        guard configuration.journalLimit > 0, let record = connections[connection.id] else { return }
        let entry = JournalEntry(direction: direction, time: SimClock.unixNow, text: text)
        if let sessionID = record.sessionID, let session = sessions[sessionID] {
            session.journal.append(entry)
            // Trim in chunks: removing from the front of an array on every frame is O(n) each.
            if session.journal.count > configuration.journalLimit + configuration.journalLimit / 4 {
                session.journal.removeFirst(session.journal.count - configuration.journalLimit)
            }
        } else {
            record.journal.append(entry)
            if record.journal.count > 50 { record.journal.removeFirst(record.journal.count - 50) }
        }
    }

    /// Queues a frame; false when it was lost (buffer full or socket closed).
    @discardableResult
    func send(_ frame: JSONValue, to connection: ConnectionHandle, delay: Double = 0) -> Bool {
        // Wire order: member order does not matter to any SDK, and sorting costs.
        let text = String(decoding: JSONCodec.serialize(frame, sortedKeys: false), as: UTF8.self)
        journal(connection, direction: "out", text: text)
        if !connection.send(text, delay: delay) {
            logger.notice("outbound buffer full or socket closed; closing connection", metadata: ["relay.connection": "\(connection.id)"])
            return false
        }
        return true
    }

    func respond(_ id: JSONValue, result: JSONValue, to connection: ConnectionHandle) {
        send(["jsonrpc": "2.0", "id": id, "result": result], to: connection)
    }

    func respondError(_ id: JSONValue, code: Int, message: String, to connection: ConnectionHandle) {
        send(["jsonrpc": "2.0", "id": id, "error": ["code": .int(code), "message": .string(message)]], to: connection)
    }

    func faults(for session: SessionRecord) -> SessionFaults {
        guard let own = session.faults else { return globalFaults }
        return SessionFaults(
            answerPings: own.answerPings && globalFaults.answerPings,
            eventDelay: max(own.eventDelay, globalFaults.eventDelay),
            duplicateEvents: own.duplicateEvents || globalFaults.duplicateEvents)
    }

    /// Sends a broadcast (`queuing.relay.*`) to a session, or buffers it while the session is
    /// disconnected within its grace period (oldest dropped beyond the buffer limit).
    func broadcast(to sessionID: String, event: String, notification: [String: JSONValue]) {
        guard let session = sessions[sessionID] else { return }
        guard let connection = session.connection, !connection.isClosed, let protocolName = session.protocolName else {
            session.pending.append(PendingEvent(event: event, notification: notification))
            if session.pending.count > configuration.outboundBufferLimit {
                session.pending.removeFirst()
                session.eventsLost = true
            }
            return
        }
        var inner = notification
        inner["event_channel"] = .string(protocolName)
        inner["project_id"] = .string(session.project.id)
        inner["space_id"] = .string(session.project.spaceID)
        if inner["timestamp"] == nil { inner["timestamp"] = .double(SimClock.unixNow) }
        let frame: JSONValue = [
            "jsonrpc": "2.0", "id": .string(Self.newID()), "method": "blade.broadcast",
            "params": [
                "broadcaster_nodeid": .string(serverNodeID), "protocol": .string(protocolName), "channel": "notifications",
                "event": .string(event), "params": .object(inner),
            ],
        ]
        let faults = faults(for: session)
        session.rememberBroadcast(frame)
        if !send(frame, to: connection, delay: faults.eventDelay) {
            // The socket is closing (stalled or dropped): keep the event for the resume.
            session.pending.append(PendingEvent(event: event, notification: notification))
            if session.pending.count > configuration.outboundBufferLimit {
                session.pending.removeFirst()
                session.eventsLost = true
            }
        }
        if faults.duplicateEvents { send(frame, to: connection, delay: faults.eventDelay) }
    }

    func flushPending(_ session: SessionRecord) {
        if session.replayOnSubscribe, let connection = session.connection {
            // What the last socket may have lost in flight, oldest first.
            session.replayOnSubscribe = false
            let since = (session.connectionLostAt ?? .now) - SessionRecord.replayWindow
            for (sent, frame) in session.recentBroadcasts where sent >= since { send(frame, to: connection) }
        }
        let pending = session.pending
        session.pending = []
        for event in pending { broadcast(to: session.id, event: event.event, notification: event.notification) }
    }

    /// Picks the session that gets the next inbound item for `context` in `project`: round
    /// robin over the connected sessions that registered the context.
    func pickSession(project: String, context: String, prefer: String? = nil) -> SessionRecord? {
        let candidates = sessions.values
            .filter { $0.project.id == project && $0.connection != nil && $0.protocolName != nil && $0.contexts.contains(context) }
            .sorted { $0.id < $1.id }
        guard !candidates.isEmpty else { return nil }
        if let prefer, let preferred = candidates.first(where: { $0.id == prefer }) { return preferred }
        let key = "\(project)|\(context)"
        let index = roundRobin[key, default: 0] % candidates.count
        roundRobin[key] = index + 1
        return candidates[index]
    }

    func project(id: String?) -> RelayProject? {
        guard let id else { return configuration.projects.first }
        return configuration.projects.first { $0.id == id }
    }

    func project(id: String, token: String) -> RelayProject? {
        configuration.projects.first { $0.id == id && $0.token == token }
    }

    // MARK: - Shutdown and faults

    /// Sends `blade.disconnect` to every connection and closes it. Sessions stay resumable.
    func disconnectAll(closeSockets: Bool) {
        for record in connections.values {
            send(["jsonrpc": "2.0", "id": .string(Self.newID()), "method": "blade.disconnect"], to: record.handle)
            if closeSockets { record.handle.close() }
        }
    }

    func beginShutdown() {
        shuttingDown = true
        disconnectAll(closeSockets: true)
        for call in calls.values {
            for component in call.components.values { component.tapSwitch?.stop() }
        }
    }

    /// Drops sockets (all, or those of one session). Returns how many were closed.
    func dropSessions(sessionID: String?) -> Int {
        var count = 0
        for record in connections.values where sessionID == nil || record.sessionID == sessionID {
            record.handle.close()
            count += 1
        }
        return count
    }

    func setFaults(_ faults: SessionFaults, sessionID: String?) -> Bool {
        guard let sessionID else {
            globalFaults = faults
            return true
        }
        guard let session = sessions[sessionID] else { return false }
        session.faults = faults
        return true
    }

    func clearFaults() {
        globalFaults = SessionFaults()
        for session in sessions.values { session.faults = nil }
    }

    // MARK: - Lab reads

    func sessionSnapshots() -> [SessionSnapshot] {
        sessions.values.sorted { $0.id < $1.id }.map {
            SessionSnapshot(
                id: $0.id, project: $0.project.id, agent: $0.agent, protocolName: $0.protocolName, contexts: $0.contexts,
                connected: $0.connection != nil, restoredCount: $0.restoredCount)
        }
    }

    func journal(sessionID: String) -> [JournalEntry]? { sessions[sessionID].map { Array($0.journal.suffix(configuration.journalLimit)) } }

    func callSnapshots(project: String?) -> [CallSnapshot] {
        callOrder.compactMap { calls[$0] }.filter { project == nil || $0.project.id == project }.map(\.snapshot)
    }

    func callSnapshot(id: String) -> CallSnapshot? { calls[id]?.snapshot }

    func file(named name: String) -> GeneratedFile? { files[name] }

    func taskSnapshots() -> [TaskRecord] { tasks }

    var openConnectionCount: Int { connections.count }
}
