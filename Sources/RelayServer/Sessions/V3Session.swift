import Foundation
import NIOCore
import RelayWire
import Synchronization

/// A RELAY v3 (`signalwire.connect`) session: who the client is, what it receives, the socket it
/// uses now, and the events it has not acknowledged yet.
///
/// Events go out as `signalwire.event` with a fresh id and are never held back waiting for
/// acks. For clients that sent `event_acks: true` each event stays in a table until its
/// `{"id":…,"result":{}}` arrives: after ``ackTimeout`` it is sent again with
/// the same id, at most ``maximumRedeliveries`` times; one more timeout and the client counts as
/// lost: its socket is closed and the session waits for a resume (within the resume window),
/// which sends every unacknowledged event again. A table of ``unackedLimit`` events means the
/// client stopped answering: the socket is closed the same way and later events wait with the
/// session (up to ``RelayServerConfiguration/outboundBufferLimit``; beyond that the session
/// lost events and is not resumed).
final class V3Session: RelaySession {
    /// Seconds (real time; simulated seconds on the manual clock) an event may stay
    /// unacknowledged before it is sent again.
    static let ackTimeout: Double = 10
    /// Times an event is sent again before its client counts as lost.
    static let maximumRedeliveries = 3
    /// Unacknowledged events kept per session.
    static let unackedLimit = 4096
    /// Real seconds the server waits for the answer to `signalwire.disconnect` before closing.
    static let disconnectReplyTimeout: Double = 1
    /// Server pings sent without an answer that are remembered (older ones are forgotten; an
    /// unanswered ping never closes a socket).
    static let rememberedPings = 16

    let id: String
    let project: RelayProject
    /// `P`: the protocol string the client sends back to resume.
    let protocolName: String
    let limits: Limits
    private let clock: SimulationClock
    private let loop: any EventLoop
    private let state: Mutex<State>

    struct Limits: Sendable {
        var pendingEvents: Int
        var journal: Int
    }

    struct Unacked {
        var frame: ByteBuffer
        var sequence: Int
        var sentAt: Double
        var redeliveries: Int
    }

    struct State {
        var agent: String?
        var eventAcks = false
        var contexts: [String] = []
        var connection: ConnectionHandle?
        var disconnectGeneration = 0
        /// Events kept while the session is away, sent on resume.
        var pending: [V3EventParams] = []
        var unacked: [String: Unacked] = [:]
        var sweepScheduled = false
        var eventCount = 0
        var pingCount = 0
        var outstandingPings: [String] = []
        var journal: [JournalEntry] = []
        var faults: SessionFaults?
        var restoredCount = 0
        /// An event could not be kept: such a session is not resumed.
        var eventsLost = false
        /// The id of the `signalwire.disconnect` sent, and the socket it went on.
        var disconnectRequest: (id: String, connection: ConnectionHandle)?
        /// `signalwire.disconnect {restart:true}` was sent: forget the session once closed.
        var discardOnClose = false
        /// Statistics for the lab API and tests.
        var redelivered = 0
        var lostByAcks = 0
    }

    init(id: String, project: RelayProject, protocolName: String, limits: Limits, clock: SimulationClock, loop: any EventLoop) {
        self.id = id
        self.project = project
        self.protocolName = protocolName
        self.limits = limits
        self.clock = clock
        self.loop = loop
        self.state = Mutex(State())
    }

    func withState<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    var dialect: WireDialect { .v3 }
    var connection: ConnectionHandle? { state.withLock { $0.connection } }
    var ownFaults: SessionFaults? { state.withLock { $0.faults } }
    func setFaults(_ faults: SessionFaults?) { state.withLock { $0.faults = faults } }
    var journal: [JournalEntry] { state.withLock { Array($0.journal.suffix(limits.journal)) } }
    var unackedCount: Int { state.withLock { $0.unacked.count } }
    /// ``ackTimeout`` on the simulation clock.
    private var ackTimeoutOnClock: Double { clock.simulated(realSeconds: Self.ackTimeout) }

    func receives(_ context: String) -> Bool {
        // `P` counts as a context: messages sent without one use it (RELAY-V3.md §9.1).
        state.withLock { $0.connection != nil && ($0.contexts.contains(context) || context == protocolName) }
    }

    var snapshot: SessionSnapshot {
        state.withLock {
            SessionSnapshot(
                id: id, project: project.id, agent: $0.agent, protocolName: protocolName, contexts: $0.contexts, connected: $0.connection != nil,
                restoredCount: $0.restoredCount, dialect: WireDialect.v3.rawValue)
        }
    }

    /// Whether a resume can give the client everything it may have missed.
    var canResume: Bool { state.withLock { !$0.eventsLost } }

    func addContexts(_ contexts: [String]) {
        state.withLock { state in
            for context in contexts where !state.contexts.contains(context) { state.contexts.append(context) }
        }
    }

    func removeContexts(_ contexts: [String]) {
        state.withLock { $0.contexts.removeAll { contexts.contains($0) } }
    }

    // MARK: - Connections

    /// Binds a connection (new session or resume), under the registry's lock. Returns the
    /// previous connection when the client came back before the server noticed it was gone.
    func bind(_ handle: ConnectionHandle, params: V3ConnectParams, restored: Bool, journal: [JournalEntry]) -> ConnectionHandle? {
        state.withLock { state in
            let previous = state.connection === handle ? nil : state.connection
            state.connection = handle
            state.disconnectGeneration += 1
            state.agent = params.agent ?? state.agent
            state.eventAcks = params.eventAcks
            state.discardOnClose = false
            state.disconnectRequest = nil
            state.outstandingPings = []
            if restored { state.restoredCount += 1 }
            for context in params.contexts where !state.contexts.contains(context) { state.contexts.append(context) }
            state.journal.append(contentsOf: journal)
            return previous
        }
    }

    func connectionLost(_ handle: ConnectionHandle) -> (generation: Int, discard: Bool)? {
        state.withLock { state in
            guard state.connection === handle else { return nil }
            state.connection = nil
            state.disconnectGeneration += 1
            if !state.eventAcks { state.unacked = [:] }
            return (state.disconnectGeneration, state.discardOnClose)
        }
    }

    func isAway(since generation: Int) -> Bool { state.withLock { $0.connection == nil && $0.disconnectGeneration == generation } }

    // MARK: - Frames out

    @discardableResult
    func send(_ frame: JSONValue) -> Bool {
        let bytes = BladeSession.encode(frame)
        return state.withLock { state in
            guard let connection = state.connection else { return false }
            BladeSession.journal(&state.journal, limit: limits.journal, direction: "out", frame: bytes)
            return connection.send(bytes)
        }
    }

    func journalIncoming(_ text: String) {
        state.withLock { BladeSession.journal(&$0.journal, limit: limits.journal, direction: "in", frame: ByteBuffer(string: text)) }
    }

    func deliver(_ notification: RelayNotification, globalFaults: SessionFaults, serverNodeID: String) {
        let faults = state.withLock { $0.faults ?? SessionFaults() }.combined(with: globalFaults)
        emit(V3EventParams(notification, projectID: project.id, timestamp: SimulationClock.unixNow), faults: faults)
    }

    /// `signalwire.authorization.state` with a fresh opaque blob (`base64:base64`, as the Guide
    /// shows); the server never reads it back, so a stale one cannot fail a connect.
    func sendAuthorizationState() {
        func blob(_ count: Int) -> String { Data((0..<count).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }
        let event = V3EventParams(
            eventType: V3EventName.authorizationState, timestamp: SimulationClock.unixNow,
            params: ["authorization_state": .string(blob(48) + ":" + blob(16))])
        emit(event, faults: SessionFaults())
    }

    /// Sends one event (or keeps it while away), tracking it until acknowledged.
    private func emit(_ event: V3EventParams, faults: SessionFaults) {
        let number: Int? = state.withLock { state in
            guard let connection = state.connection, !connection.isClosed else {
                keep(event, in: &state)
                return nil
            }
            state.eventCount += 1
            return state.eventCount
        }
        guard let number else { return }
        let eventID = "\(id)-e\(number)"
        // Encoded outside the lock: only queueing it needs the session.
        let frame = ByteBuffer(bytes: event.requestBytes(id: eventID))
        let (stalled, sweep): (ConnectionHandle?, Bool) = state.withLock { state in
            guard let connection = state.connection else {
                keep(event, in: &state)
                return (nil, false)
            }
            var sweep = false
            if state.eventAcks {
                if state.unacked.count >= Self.unackedLimit {
                    // The client stopped acknowledging: treat it as stalled (it may resume).
                    keep(event, in: &state)
                    return (connection, false)
                }
                state.unacked[eventID] = Unacked(frame: frame, sequence: number, sentAt: clock.now, redeliveries: 0)
                if !state.sweepScheduled {
                    state.sweepScheduled = true
                    sweep = true
                }
            }
            BladeSession.journal(&state.journal, limit: limits.journal, direction: "out", frame: frame)
            if connection.send(frame, delay: faults.eventDelay) {
                if faults.duplicateEvents { connection.send(frame, delay: faults.eventDelay) }
            } else if !state.eventAcks {
                // The socket is closing: keep the event for the resume (acked ones stay in the table).
                keep(event, in: &state)
            }
            return (nil, sweep)
        }
        stalled?.close()
        if sweep { scheduleSweep(after: ackTimeoutOnClock) }
    }

    private func keep(_ event: V3EventParams, in state: inout State) {
        state.pending.append(event)
        if state.pending.count > limits.pendingEvents {
            state.pending.removeFirst()
            state.eventsLost = true
        }
    }

    // MARK: - Acks and redelivery

    /// A response from the client: an event's ack, a ping's answer, or the disconnect's.
    func responseReceived(id: String) {
        let close: ConnectionHandle? = state.withLock { state in
            if state.unacked.removeValue(forKey: id) != nil { return nil }
            if let index = state.outstandingPings.firstIndex(of: id) {
                state.outstandingPings.removeSubrange(...index)
                return nil
            }
            if let request = state.disconnectRequest, request.id == id { return request.connection }
            return nil
        }
        close?.close()
    }

    private func scheduleSweep(after seconds: Double) {
        clock.schedule(after: seconds, on: loop) { [weak self] in self?.sweep() }
    }

    /// Sends again what is overdue; a client that let one event run out of redeliveries is lost.
    func sweep() {
        let now = clock.now
        let timeout = ackTimeoutOnClock
        let (lost, next): (ConnectionHandle?, Double?) = state.withLock { state in
            state.sweepScheduled = false
            // Away: a resume sends the table again and restarts the sweep.
            guard let connection = state.connection, !state.unacked.isEmpty else { return (nil, nil) }
            let due = state.unacked.filter { now - $0.value.sentAt >= timeout - 1e-6 }.sorted { $0.value.sequence < $1.value.sequence }
            if due.contains(where: { $0.value.redeliveries >= Self.maximumRedeliveries }) {
                state.lostByAcks += 1
                return (connection, nil)
            }
            for (key, entry) in due {
                state.unacked[key]?.redeliveries += 1
                state.unacked[key]?.sentAt = now
                state.redelivered += 1
                BladeSession.journal(&state.journal, limit: limits.journal, direction: "out", frame: entry.frame)
                connection.send(entry.frame)
            }
            guard let oldest = state.unacked.values.map(\.sentAt).min() else { return (nil, nil) }
            state.sweepScheduled = true
            return (nil, max(0.001, oldest + timeout - now))
        }
        lost?.close()
        if let next { scheduleSweep(after: next) }
    }

    /// After a resume's connect result: every unacknowledged event again (same ids, in order,
    /// outside the queue's bounds), then what was kept while away.
    func resumeDelivery() {
        let now = clock.now
        let (pending, sweep): ([V3EventParams], Bool) = state.withLock { state in
            guard let connection = state.connection else { return ([], false) }
            for (key, entry) in state.unacked.sorted(by: { $0.value.sequence < $1.value.sequence }) {
                state.unacked[key]?.sentAt = now
                state.unacked[key]?.redeliveries = 0
                BladeSession.journal(&state.journal, limit: limits.journal, direction: "out", frame: entry.frame)
                connection.send(entry.frame, bounded: false)
            }
            defer { state.pending = [] }
            let sweep = !state.unacked.isEmpty && !state.sweepScheduled
            if sweep { state.sweepScheduled = true }
            return (state.pending, sweep)
        }
        if sweep { scheduleSweep(after: ackTimeoutOnClock) }
        for event in pending { emit(event, faults: SessionFaults()) }
    }

    // MARK: - Pings and disconnect

    /// Sends a `signalwire.ping` (the transport calls this every ping interval). Unanswered pings
    /// are tolerated: ack redelivery is what finds a dead client.
    func ping() {
        let (number, connection): (Int, ConnectionHandle?) = state.withLock { state in
            state.pingCount += 1
            return (state.pingCount, state.connection)
        }
        guard let connection, !connection.isClosed else { return }
        let pingID = "\(id)-p\(number)"
        if send(["jsonrpc": "2.0", "id": .string(pingID), "method": .string(V3Method.ping), "params": ["timestamp": .double(SimulationClock.unixNow)]]) {
            state.withLock { state in
                state.outstandingPings.append(pingID)
                if state.outstandingPings.count > Self.rememberedPings { state.outstandingPings.removeFirst() }
            }
        }
    }

    /// Sends `signalwire.disconnect {restart}` and closes the socket when the client answers, or
    /// after ``disconnectReplyTimeout``. With `restart: true` the session is forgotten once
    /// closed (its calls are hung up): the client connects afresh.
    func disconnect(restart: Bool) {
        let requestID = "\(id)-d\(newID().prefix(8))"
        let connection: ConnectionHandle? = state.withLock { state in
            guard let connection = state.connection else { return nil }
            state.disconnectRequest = (requestID, connection)
            state.discardOnClose = restart
            return connection
        }
        guard let connection else { return }
        send(["jsonrpc": "2.0", "id": .string(requestID), "method": .string(V3Method.disconnect), "params": V3DisconnectParams(restart: restart).json])
        loop.scheduleTask(in: .nanoseconds(Int64(Self.disconnectReplyTimeout * 1e9))) { connection.close() }
    }
}
