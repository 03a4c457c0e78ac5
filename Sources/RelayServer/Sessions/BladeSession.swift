import Foundation
import RelayWire
import Synchronization

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

    /// The stricter of two fault sets.
    func combined(with other: SessionFaults) -> SessionFaults {
        SessionFaults(
            answerPings: answerPings && other.answerPings, eventDelay: max(eventDelay, other.eventDelay),
            duplicateEvents: duplicateEvents || other.duplicateEvents)
    }
}

/// A Blade session: who the client is, what it receives, the socket it uses now, and what it
/// must get again after a resume. Its state has a lock of its own, so delivering events to one
/// session never waits for another.
final class BladeSession: Sendable {
    let id: String
    let project: RelayProject
    let nodeID: String
    let signature: String
    let limits: Limits
    private let state: Mutex<State>

    struct Limits: Sendable {
        var pendingEvents: Int
        var journal: Int
    }

    static let rememberedResults = 1024
    static let rememberedBroadcasts = 4096
    /// How long before a socket died a broadcast may still have been in flight on it.
    static let replayWindow: Duration = .seconds(2)

    struct State {
        var clientKey: String?
        var agent: String?
        var protocolName: String?
        var issuedProtocols: Set<String> = []
        var contexts: [String] = []
        var connection: ConnectionHandle?
        var disconnectGeneration = 0
        var pending: [RelayNotification] = []
        var journal: [JournalEntry] = []
        var faults: SessionFaults?
        var restoredCount = 0
        /// Answers to recent `blade.execute` requests by id: a request resent after a resume
        /// gets the same answer instead of running twice.
        var recentResults: [BladeID: JSONValue] = [:]
        var recentResultOrder: [BladeID] = []
        /// Broadcasts written lately, with the real time they were written: a socket that dies
        /// can take the last ones with it, so a resumed session gets them again (same ids).
        var recentBroadcasts: [(sent: ContinuousClock.Instant, text: String)] = []
        var replayOnSubscribe = false
        var connectionLostAt: ContinuousClock.Instant?
        /// Set when an event could not be delivered or kept. Such a session is not resumed:
        /// its client must learn that calls may be missing events.
        var eventsLost = false
        /// When the newest broadcast dropped from the memory was sent.
        var lastForgotten: ContinuousClock.Instant?
    }

    init(id: String, project: RelayProject, nodeID: String, signature: String, limits: Limits) {
        self.id = id
        self.project = project
        self.nodeID = nodeID
        self.signature = signature
        self.limits = limits
        self.state = Mutex(State())
    }

    func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    var connection: ConnectionHandle? { state.withLock { $0.connection } }
    var protocolName: String? { state.withLock { $0.protocolName } }

    /// Whether this session can take inbound work for `context` now.
    func receives(_ context: String) -> Bool {
        state.withLock { $0.connection != nil && $0.protocolName != nil && $0.contexts.contains(context) }
    }

    var snapshot: SessionSnapshot {
        state.withLock {
            SessionSnapshot(
                id: id, project: project.id, agent: $0.agent, protocolName: $0.protocolName, contexts: $0.contexts,
                connected: $0.connection != nil, restoredCount: $0.restoredCount)
        }
    }

    var journal: [JournalEntry] { state.withLock { Array($0.journal.suffix(limits.journal)) } }

    // MARK: - Results remembered for resent requests

    func rememberedResult(for id: BladeID) -> JSONValue? { state.withLock { $0.recentResults[id] } }

    func remember(_ result: JSONValue, for id: BladeID) {
        state.withLock { state in
            if state.recentResults.updateValue(result, forKey: id) == nil { state.recentResultOrder.append(id) }
            if state.recentResultOrder.count > Self.rememberedResults + Self.rememberedResults / 4 {
                let excess = state.recentResultOrder.count - Self.rememberedResults
                for old in state.recentResultOrder.prefix(excess) { state.recentResults[old] = nil }
                state.recentResultOrder.removeFirst(excess)
            }
        }
    }

    // MARK: - Frames out

    /// Writes a frame on the session's socket (journaled). False when it could not be queued.
    @discardableResult
    func send(_ frame: JSONValue) -> Bool {
        let text = Self.text(of: frame)
        return state.withLock { state in
            guard let connection = state.connection else { return false }
            Self.journal(&state, limit: limits.journal, direction: "out", text: text)
            return connection.send(text)
        }
    }

    static func text(of frame: JSONValue) -> String {
        // Wire order: member order does not matter to any SDK, and sorting costs.
        String(decoding: JSONCodec.serialize(frame, sortedKeys: false), as: UTF8.self)
    }

    static func journal(_ state: inout State, limit: Int, direction: String, text: String) {
        guard limit > 0 else { return }
        state.journal.append(JournalEntry(direction: direction, time: SimulationClock.unixNow, text: text))
        // Trim in chunks: removing from the front on every frame is O(n) each.
        if state.journal.count > limit + limit / 4 { state.journal.removeFirst(state.journal.count - limit) }
    }

    func journalIncoming(_ text: String) {
        state.withLock { Self.journal(&$0, limit: limits.journal, direction: "in", text: text) }
    }

    /// Sends a broadcast, or keeps it while the session is away (within its grace period).
    /// Returns the connection when a stalled socket must be closed.
    func deliver(_ notification: RelayNotification, globalFaults: SessionFaults, serverNodeID: String) {
        state.withLock { state in
            guard let connection = state.connection, !connection.isClosed, let protocolName = state.protocolName else {
                keep(notification, in: &state)
                return
            }
            let faults = (state.faults ?? SessionFaults()).combined(with: globalFaults)
            let broadcast = BroadcastParams(
                protocolName: protocolName, event: notification.event,
                notification: notification.json(
                    protocolName: protocolName, projectID: project.id, spaceID: project.spaceID, timestamp: SimulationClock.unixNow),
                broadcasterNodeID: serverNodeID)
            let frame: JSONValue = ["jsonrpc": "2.0", "id": .string(newID()), "method": .string(BladeMethod.broadcast), "params": broadcast.json]
            let text = Self.text(of: frame)
            rememberBroadcast(text, in: &state)
            Self.journal(&state, limit: limits.journal, direction: "out", text: text)
            if !connection.send(text, delay: faults.eventDelay) {
                // The socket is closing (stalled or dropped): keep the event for the resume.
                keep(notification, in: &state)
                return
            }
            if faults.duplicateEvents { connection.send(text, delay: faults.eventDelay) }
        }
    }

    private func keep(_ notification: RelayNotification, in state: inout State) {
        state.pending.append(notification)
        if state.pending.count > limits.pendingEvents {
            state.pending.removeFirst()
            state.eventsLost = true
        }
    }

    private func rememberBroadcast(_ text: String, in state: inout State) {
        state.recentBroadcasts.append((.now, text))
        if state.recentBroadcasts.count > Self.rememberedBroadcasts + Self.rememberedBroadcasts / 4 {
            let excess = state.recentBroadcasts.count - Self.rememberedBroadcasts
            state.lastForgotten = state.recentBroadcasts[excess - 1].sent
            state.recentBroadcasts.removeFirst(excess)
        }
    }

    /// Whether a resume can give the client everything it may have missed.
    var canResume: Bool {
        state.withLock { state in
            guard !state.eventsLost else { return false }
            guard let lastForgotten = state.lastForgotten else { return true }
            return lastForgotten < (state.connectionLostAt ?? .now) - Self.replayWindow
        }
    }

    /// After `blade.subscription add`: what the last socket may have lost in flight, then what
    /// was kept while away. Returns the notifications to deliver again.
    func takeReplay() -> (frames: [String], pending: [RelayNotification]) {
        state.withLock { state in
            var frames: [String] = []
            if state.replayOnSubscribe, let connection = state.connection {
                state.replayOnSubscribe = false
                let since = (state.connectionLostAt ?? .now) - Self.replayWindow
                for (sent, text) in state.recentBroadcasts where sent >= since {
                    Self.journal(&state, limit: limits.journal, direction: "out", text: text)
                    connection.send(text)
                    frames.append(text)
                }
            }
            let pending = state.pending
            state.pending = []
            return (frames, pending)
        }
    }
}

func newID() -> String { UUID().uuidString.lowercased() }
