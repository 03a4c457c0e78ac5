import Foundation
import NIOCore
import RelayWire
import Synchronization

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
    static let rememberedBroadcasts = 16384
    /// Bytes already handed to a socket that may still have been lost with it: a client that
    /// goes away leaves what sits unread in the kernels' buffers (an autotuned loopback socket
    /// holds a few MiB). Broadcasts among them are sent again on resume, with the ones never
    /// written; clients drop the copies they did get by frame id. (A fixed count of frames was
    /// too few: 1,000 concurrent call flows lost events to it.)
    static let replaySlackBytes = 4 << 20

    /// Where a frame went: the connection (counted per session) and its position on it.
    struct FramePosition: Sendable, Hashable, Comparable {
        var connection: Int
        var index: Int
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.connection, lhs.index) < (rhs.connection, rhs.index) }
    }

    struct State {
        var clientKey: String?
        var agent: String?
        var protocolName: String?
        var issuedProtocols: Set<String> = []
        var contexts: [String] = []
        var connection: ConnectionHandle?
        /// Counts the connections this session has had, and the frames sent on the current one.
        var connectionSerial = 0
        var framesOnConnection = 0
        /// Bytes queued on the current connection (they are written in the same order).
        var bytesOnConnection = 0
        var disconnectGeneration = 0
        var pending: [RelayNotification] = []
        var journal: [JournalEntry] = []
        var faults: SessionFaults?
        var restoredCount = 0
        /// Answers to recent `blade.execute` requests by id: a request resent after a resume
        /// gets the same answer instead of running twice.
        var recentResults: [BladeID: JSONValue] = [:]
        var recentResultOrder: [BladeID] = []
        /// Broadcasts sent lately, with where they went: a socket that dies takes the ones it
        /// had not written (and maybe the last ones it had) with it, so a resumed session gets
        /// them again, with the same ids.
        var recentBroadcasts: [(position: FramePosition, endByte: Int, frame: ByteBuffer)] = []
        var replayOnSubscribe = false
        /// Broadcasts sent so far: numbers their frame ids.
        var broadcastCount = 0
        /// Set when a connection is lost: the first frame on it that may not have arrived.
        var replayFrom: FramePosition?
        /// Set when an event could not be delivered or kept. Such a session is not resumed:
        /// its client must learn that calls may be missing events.
        var eventsLost = false
        /// Where the newest broadcast dropped from the memory went.
        var lastForgotten: FramePosition?
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
        let bytes = Self.encode(frame)
        return state.withLock { state in
            guard let connection = state.connection else { return false }
            Self.journal(&state, limit: limits.journal, direction: "out", frame: bytes)
            return Self.write(bytes, to: connection, &state)
        }
    }

    /// Queues a frame on the connection, counting it.
    private static func write(
        _ frame: ByteBuffer, to connection: ConnectionHandle, delay: Double = 0, bounded: Bool = true, _ state: inout State
    ) -> Bool {
        state.framesOnConnection += 1
        state.bytesOnConnection += frame.readableBytes
        return connection.send(frame, delay: delay, bounded: bounded)
    }

    /// The first frame on `connection` that may not have reached the client: the first not
    /// written, or an earlier broadcast within the last ``replaySlackBytes`` written.
    private static func firstUnsure(on connection: ConnectionHandle, _ state: State) -> FramePosition {
        let (written, writtenBytes) = connection.written
        let sureBytes = writtenBytes - replaySlackBytes
        var index = written + 1
        for entry in state.recentBroadcasts where entry.position.connection == state.connectionSerial && entry.endByte > sureBytes {
            index = min(index, entry.position.index)
        }
        return FramePosition(connection: state.connectionSerial, index: max(1, index))
    }

    /// A connection was bound to this session (a new one, or a resume).
    static func bind(_ connection: ConnectionHandle, _ state: inout State) {
        if let old = state.connection, old !== connection { lose(old, &state) }
        state.connection = connection
        state.connectionSerial += 1
        state.framesOnConnection = 0
        state.bytesOnConnection = 0
    }

    /// The session's connection is gone: what it had not written (and the last
    /// last ``replaySlackBytes`` it had) may be lost.
    static func lose(_ connection: ConnectionHandle, _ state: inout State) {
        guard state.connection === connection else { return }
        // Keep the earliest: a connection lost before the replay of the previous one ran.
        if state.replayFrom == nil { state.replayFrom = firstUnsure(on: connection, state) }
        state.connection = nil
    }

    /// The frame's bytes as they go on the wire.
    static func encode(_ frame: JSONValue) -> ByteBuffer {
        // Wire order: member order does not matter to any SDK, and sorting costs.
        ByteBuffer(bytes: JSONCodec.serialize(frame, sortedKeys: false))
    }

    static func journal(_ state: inout State, limit: Int, direction: String, frame: ByteBuffer) {
        journal(&state.journal, limit: limit, direction: direction, frame: frame)
    }

    /// Appends to a lab journal of either dialect, trimmed to `limit`.
    static func journal(_ journal: inout [JournalEntry], limit: Int, direction: String, frame: ByteBuffer) {
        guard limit > 0 else { return }
        journal.append(JournalEntry(direction: direction, time: SimulationClock.unixNow, frame: frame))
        // Trim in chunks: removing from the front on every frame is O(n) each.
        if journal.count > limit + limit / 4 { journal.removeFirst(journal.count - limit) }
    }

    func journalIncoming(_ text: String) {
        state.withLock { Self.journal(&$0, limit: limits.journal, direction: "in", frame: ByteBuffer(string: text)) }
    }

    /// Sends a broadcast, or keeps it while the session is away (within its grace period).
    /// Returns the connection when a stalled socket must be closed.
    func deliver(_ notification: RelayNotification, globalFaults: SessionFaults, serverNodeID: String) {
        // The frame is encoded outside the lock: only queueing it needs the session.
        let route: (protocolName: String, faults: SessionFaults, number: Int)? = state.withLock { state in
            guard let connection = state.connection, !connection.isClosed, let protocolName = state.protocolName else {
                keep(notification, in: &state)
                return nil
            }
            state.broadcastCount += 1
            return (protocolName, (state.faults ?? SessionFaults()).combined(with: globalFaults), state.broadcastCount)
        }
        guard let (protocolName, faults, number) = route else { return }
        let broadcast = BroadcastParams(
            protocolName: protocolName, event: notification.event,
            notification: notification.json(
                protocolName: protocolName, projectID: project.id, spaceID: project.spaceID, timestamp: SimulationClock.unixNow),
            broadcasterNodeID: serverNodeID)
        // The id is unique per session across resumes, and cheaper than a UUID per event.
        let frame = ByteBuffer(bytes: broadcast.requestBytes(id: "\(nodeID)-\(number)"))
        state.withLock { state in
            guard let connection = state.connection, state.protocolName == protocolName else {
                keep(notification, in: &state)
                return
            }
            Self.journal(&state, limit: limits.journal, direction: "out", frame: frame)
            if !Self.write(frame, to: connection, delay: faults.eventDelay, &state) {
                // The socket is closing (stalled or dropped): keep the event for the resume.
                state.framesOnConnection -= 1
                state.bytesOnConnection -= frame.readableBytes
                keep(notification, in: &state)
                return
            }
            rememberBroadcast(frame, in: &state)
            if faults.duplicateEvents { _ = Self.write(frame, to: connection, delay: faults.eventDelay, &state) }
        }
    }

    private func takePending(_ state: inout State) -> [RelayNotification] {
        defer { state.pending = [] }
        return state.pending
    }

    private func keep(_ notification: RelayNotification, in state: inout State) {
        state.pending.append(notification)
        if state.pending.count > limits.pendingEvents {
            state.pending.removeFirst()
            state.eventsLost = true
        }
    }

    private func rememberBroadcast(_ frame: ByteBuffer, in state: inout State) {
        state.recentBroadcasts.append(
            (FramePosition(connection: state.connectionSerial, index: state.framesOnConnection), state.bytesOnConnection, frame))
        if state.recentBroadcasts.count > Self.rememberedBroadcasts + Self.rememberedBroadcasts / 4 {
            let excess = state.recentBroadcasts.count - Self.rememberedBroadcasts
            state.lastForgotten = state.recentBroadcasts[excess - 1].position
            state.recentBroadcasts.removeFirst(excess)
        }
    }

    /// Whether a resume can give the client everything it may have missed.
    var canResume: Bool {
        state.withLock { state in
            guard !state.eventsLost else { return false }
            // The socket may still be bound when its client comes back before the server noticed.
            let replayFrom = state.replayFrom ?? state.connection.map { Self.firstUnsure(on: $0, state) }
            guard let lastForgotten = state.lastForgotten, let replayFrom else { return true }
            return lastForgotten < replayFrom
        }
    }

    /// After `blade.subscription add`: what the last socket may have lost in flight, then what
    /// was kept while away. Returns the notifications to deliver again.
    func takeReplay() -> (frames: [ByteBuffer], pending: [RelayNotification]) {
        state.withLock { state in
            var frames: [ByteBuffer] = []
            if state.replayOnSubscribe, let connection = state.connection {
                state.replayOnSubscribe = false
                guard let from = state.replayFrom else { return (frames, takePending(&state)) }
                var complete = true
                for index in state.recentBroadcasts.indices where state.recentBroadcasts[index].position >= from {
                    let frame = state.recentBroadcasts[index].frame
                    guard complete, Self.write(frame, to: connection, bounded: false, &state) else {
                        // This socket died too: the next resume replays all of it again.
                        complete = false
                        continue
                    }
                    Self.journal(&state, limit: limits.journal, direction: "out", frame: frame)
                    // It now rides on this connection: if this one dies, it is replayed again.
                    state.recentBroadcasts[index].position = FramePosition(connection: state.connectionSerial, index: state.framesOnConnection)
                    state.recentBroadcasts[index].endByte = state.bytesOnConnection
                    frames.append(frame)
                }
                if complete { state.replayFrom = nil }
            }
            return (frames, takePending(&state))
        }
    }
}

extension BladeSession: RelaySession {
    var dialect: WireDialect { .v2 }

    var ownFaults: SessionFaults? { withState { $0.faults } }

    func setFaults(_ faults: SessionFaults?) { withState { $0.faults = faults } }

    func connectionLost(_ handle: ConnectionHandle) -> (generation: Int, discard: Bool)? {
        withState { session in
            guard session.connection === handle else { return nil }
            Self.lose(handle, &session)
            session.disconnectGeneration += 1
            return (session.disconnectGeneration, false)
        }
    }

    func isAway(since generation: Int) -> Bool { withState { $0.connection == nil && $0.disconnectGeneration == generation } }
}
