import Foundation
import Logging
import RelayWire
import Synchronization

/// Owns connections and sessions of both dialects: the handshake's bookkeeping, resume,
/// protocols, the context router and fault settings. Each session's own state has its own lock
/// (``BladeSession``, ``V3Session``);
/// this lock only guards the tables, and is always taken before a session's, never after.
final class SessionRegistry: Sendable {
    let configuration: RelayServerConfiguration
    let serverNodeID: String
    private let state = Mutex(State())

    struct Connection {
        let handle: ConnectionHandle
        var sessionID: String?
        /// Chosen by the first frame; fixed for the socket's life.
        var dialect: WireDialect?
        /// Frames before the session exists (joined to it on connect).
        var journal: [JournalEntry] = []
    }

    struct State {
        var connections: [UInt64: Connection] = [:]
        var sessions: [String: any RelaySession] = [:]
        var clientKeys: [String: String] = [:]
        var protocolOwners: [String: String] = [:]
        /// v3 protocol strings (the resume key) to their session.
        var v3Protocols: [String: String] = [:]
        var router = ContextRouter()
        var globalFaults = SessionFaults()
        var nextConnectionID: UInt64 = 1
        var shuttingDown = false
    }

    init(configuration: RelayServerConfiguration, serverNodeID: String) {
        self.configuration = configuration
        self.serverNodeID = serverNodeID
    }

    // MARK: - Connections

    func openConnection(remoteAddress: String) -> ConnectionHandle {
        state.withLock { state in
            let handle = ConnectionHandle(id: state.nextConnectionID, remoteAddress: remoteAddress, limit: configuration.outboundBufferLimit)
            state.nextConnectionID += 1
            state.connections[handle.id] = Connection(handle: handle)
            if state.shuttingDown { handle.close() }
            return handle
        }
    }

    /// The socket closed. Returns the session that lost it and its generation, so the caller
    /// can expire it after the grace period.
    func connectionClosed(_ handle: ConnectionHandle) -> (session: String, generation: Int, discard: Bool)? {
        handle.close()
        return state.withLock { state -> (String, Int, Bool)? in
            guard let record = state.connections.removeValue(forKey: handle.id), let sessionID = record.sessionID,
                let session = state.sessions[sessionID], let (generation, discard) = session.connectionLost(handle)
            else { return nil }
            return (sessionID, generation, discard)
        }
    }

    /// Forgets a session whose socket did not come back. True when it was expired.
    func expire(_ sessionID: String, generation: Int) -> Bool {
        state.withLock { state in
            guard let session = state.sessions[sessionID], session.isAway(since: generation) else { return false }
            state.sessions[sessionID] = nil
            if let blade = session as? BladeSession {
                let (key, protocols) = blade.withState { ($0.clientKey, $0.issuedProtocols) }
                if let key { state.clientKeys[key] = nil }
                for name in protocols { state.protocolOwners[name] = nil }
            } else if let v3 = session as? V3Session {
                state.v3Protocols[v3.protocolName] = nil
            }
            return true
        }
    }

    var openConnectionCount: Int { state.withLock { $0.connections.count } }

    /// The session of either dialect established on this connection, if any.
    func anySession(of handle: ConnectionHandle) -> (any RelaySession)? {
        state.withLock { state in
            guard let id = state.connections[handle.id]?.sessionID, let session = state.sessions[id] else { return nil }
            return session.connection === handle ? session : nil
        }
    }

    /// The Blade session established on this connection, if any.
    func session(of handle: ConnectionHandle) -> BladeSession? { anySession(of: handle) as? BladeSession }

    /// The v3 session established on this connection, if any.
    func v3Session(of handle: ConnectionHandle) -> V3Session? { anySession(of: handle) as? V3Session }

    func session(id: String) -> (any RelaySession)? { state.withLock { $0.sessions[id] } }

    /// The dialect the connection's first frame chose, if it sent one yet.
    func dialect(of handle: ConnectionHandle) -> WireDialect? { state.withLock { $0.connections[handle.id]?.dialect } }

    /// Fixes the connection's dialect. False when the connection is gone or already has one.
    func setDialect(_ dialect: WireDialect, of handle: ConnectionHandle) -> Bool {
        state.withLock { state in
            guard state.connections[handle.id] != nil, state.connections[handle.id]?.dialect == nil else { return false }
            state.connections[handle.id]?.dialect = dialect
            return true
        }
    }

    /// Journals an incoming frame on the session of the connection (or the connection itself
    /// before the handshake).
    func journalIncoming(_ text: String, on handle: ConnectionHandle) {
        guard configuration.journalLimit > 0 else { return }
        if let session = anySession(of: handle) {
            session.journalIncoming(text)
            return
        }
        state.withLock { state in
            guard var record = state.connections[handle.id], record.sessionID == nil else { return }
            record.journal.append(JournalEntry(direction: "in", time: SimulationClock.unixNow, text: text))
            if record.journal.count > 50 { record.journal.removeFirst(record.journal.count - 50) }
            state.connections[handle.id] = record
        }
    }

    // MARK: - Handshake

    enum ConnectOutcome {
        case connected(BladeSession, restored: Bool)
        case alreadyConnected
        case unknownConnection
    }

    /// Binds a session (resumed or new) to the connection after the credentials were checked.
    func connect(_ params: BladeConnectParams, project: RelayProject, on handle: ConnectionHandle, logger: Logger) -> ConnectOutcome {
        state.withLock { state in
            guard var record = state.connections[handle.id] else { return .unknownConnection }
            if record.sessionID != nil { return .alreadyConnected }
            var session: BladeSession?
            if let resumeID = params.resumeSessionID, let existing = state.sessions[resumeID] as? BladeSession, existing.project.id == project.id {
                session = existing
            } else if let key = params.clientSessionKey, let existingID = state.clientKeys["\(project.id)|\(key)"] {
                session = state.sessions[existingID] as? BladeSession
            }
            if let lost = session, !lost.canResume {
                logger.notice("not resuming a session that lost events", metadata: ["relay.session": "\(lost.id)"])
                session = nil
            }
            let restored = session != nil
            let active: BladeSession
            if let session {
                active = session
            } else {
                active = BladeSession(
                    id: newID(), project: project, nodeID: newID(), signature: (newID() + newID()).replacingOccurrences(of: "-", with: ""),
                    limits: .init(pendingEvents: configuration.outboundBufferLimit, journal: configuration.journalLimit))
                state.sessions[active.id] = active
                if let key = params.clientSessionKey { state.clientKeys["\(project.id)|\(key)"] = active.id }
            }
            let old: ConnectionHandle? = active.withState { s in
                let previous = s.connection
                if restored {
                    s.restoredCount += 1
                    s.replayOnSubscribe = true
                } else if let key = params.clientSessionKey {
                    s.clientKey = "\(project.id)|\(key)"
                }
                s.agent = params.agent ?? s.agent
                BladeSession.bind(handle, &s)
                s.disconnectGeneration += 1
                s.journal.append(contentsOf: record.journal)
                return previous === handle ? nil : previous
            }
            if let old {
                state.connections[old.id]?.sessionID = nil
                old.close()
            }
            record.sessionID = active.id
            record.journal = []
            state.connections[handle.id] = record
            return .connected(active, restored: restored)
        }
    }

    /// `signalwire.connect` after the credentials were checked: resumes the v3 session whose
    /// protocol the client names (same project, nothing lost, within the resume window) or
    /// starts a new one, and binds it to the connection. A stale or unknown protocol never fails:
    /// the client gets a new session.
    func connectV3(
        _ params: V3ConnectParams, project: RelayProject, on handle: ConnectionHandle, make: () -> V3Session, logger: Logger
    ) -> (session: V3Session, restored: Bool)? {
        let (outcome, old): ((session: V3Session, restored: Bool)?, ConnectionHandle?) = state.withLock { state in
            guard var record = state.connections[handle.id], record.sessionID == nil else { return (nil, nil) }
            var session: V3Session?
            if let name = params.resumeProtocol, let id = state.v3Protocols[name], let existing = state.sessions[id] as? V3Session,
                existing.project.id == project.id
            {
                if existing.canResume {
                    session = existing
                } else {
                    logger.notice("not resuming a v3 session that lost events", metadata: ["relay.session": "\(existing.id)"])
                }
            }
            let restored = session != nil
            let active = session ?? make()
            if !restored {
                state.sessions[active.id] = active
                state.v3Protocols[active.protocolName] = active.id
            }
            let previous = active.bind(handle, params: params, restored: restored, journal: record.journal)
            if let previous { state.connections[previous.id]?.sessionID = nil }
            record.sessionID = active.id
            record.journal = []
            state.connections[handle.id] = record
            return ((session: active, restored: restored), previous)
        }
        old?.close()
        return outcome
    }

    /// The project whose token is `token` (a `jwt_token` carries no separate project).
    func project(token: String) -> RelayProject? { configuration.projects.first { $0.token == token } }

    /// `signalwire.setup`: the protocol the session's events are broadcast on.
    func setUpProtocol(for session: BladeSession, requested: String?) -> String {
        state.withLock { state in
            session.withState { s in
                let name: String
                if let requested, s.issuedProtocols.contains(requested) {
                    name = requested
                } else {
                    name = "signalwire_\(session.signature)_\(newID())_\(session.project.id)"
                    s.issuedProtocols.insert(name)
                    state.protocolOwners[name] = session.id
                }
                s.protocolName = name
                return name
            }
        }
    }

    /// Whether `protocolName` was issued to a session of this session's project.
    func ownsProtocol(_ protocolName: String, session: BladeSession) -> Bool {
        state.withLock { state in
            guard let owner = state.protocolOwners[protocolName], let ownerSession = state.sessions[owner] else { return false }
            return ownerSession.project.id == session.project.id
        }
    }

    func protocolIssued(_ protocolName: String, to session: BladeSession) -> Bool {
        state.withLock { $0.protocolOwners[protocolName] == session.id }
    }

    // MARK: - Routing and delivery

    /// Picks the session that gets the next inbound item for `context` in `project`: round
    /// robin over the connected sessions that receive the context.
    func pickSession(project: String, context: String, prefer: String? = nil, excluding: Set<String> = []) -> String? {
        state.withLock { state in
            let candidates = state.sessions.values.filter { $0.project.id == project && !excluding.contains($0.id) && $0.receives(context) }.map(\.id)
            return state.router.pick(from: candidates, key: "\(project)|\(context)", prefer: prefer)
        }
    }

    /// Sends a notification to a session, or keeps it while the session is away.
    func deliver(_ notification: RelayNotification, to sessionID: String) {
        let (session, faults) = state.withLock { ($0.sessions[sessionID], $0.globalFaults) }
        session?.deliver(notification, globalFaults: faults, serverNodeID: serverNodeID)
    }

    func faults(for session: (any RelaySession)?) -> SessionFaults {
        let global = state.withLock { $0.globalFaults }
        guard let own = session?.ownFaults else { return global }
        return own.combined(with: global)
    }

    // MARK: - Lab and shutdown

    /// Tells every connection (or those of one session) that the server is going away, in its
    /// dialect: `blade.disconnect` (the socket is closed at once when `closeSockets`), or
    /// `signalwire.disconnect {restart}` on v3 sessions (closed when the client answers or after
    /// ``V3Session/disconnectReplyTimeout``; `restart: true` forgets the session). Returns how many.
    @discardableResult
    func disconnectAll(closeSockets: Bool, shuttingDown: Bool = false, restart: Bool = false, sessionID: String? = nil) -> Int {
        let targets = state.withLock { state in
            if shuttingDown { state.shuttingDown = true }
            return state.connections.values.filter { sessionID == nil || $0.sessionID == sessionID }.map { record in
                (record.handle, record.sessionID.flatMap { state.sessions[$0] as? V3Session })
            }
        }
        for (handle, v3) in targets {
            if let v3, v3.connection === handle {
                v3.disconnect(restart: restart)
                continue
            }
            let frame: JSONValue = ["jsonrpc": "2.0", "id": .string(newID()), "method": .string(BladeMethod.disconnect)]
            handle.send(BladeSession.encode(frame))
            if closeSockets { handle.close() }
        }
        return targets.count
    }

    /// Drops sockets (all, or those of one session) without a word. Returns how many.
    func drop(sessionID: String?) -> Int {
        let handles = state.withLock { state in
            state.connections.values.filter { sessionID == nil || $0.sessionID == sessionID }.map(\.handle)
        }
        for handle in handles { handle.close() }
        return handles.count
    }

    func setFaults(_ faults: SessionFaults, sessionID: String?) -> Bool {
        state.withLock { state in
            guard let sessionID else {
                state.globalFaults = faults
                return true
            }
            guard let session = state.sessions[sessionID] else { return false }
            session.setFaults(faults)
            return true
        }
    }

    func clearFaults() {
        state.withLock { state in
            state.globalFaults = SessionFaults()
            for session in state.sessions.values { session.setFaults(nil) }
        }
    }

    var snapshots: [SessionSnapshot] {
        state.withLock { Array($0.sessions.values) }.map(\.snapshot).sorted { $0.id < $1.id }
    }

    func project(id: String?) -> RelayProject? {
        guard let id else { return configuration.projects.first }
        return configuration.projects.first { $0.id == id }
    }

    func project(id: String, token: String) -> RelayProject? {
        configuration.projects.first { $0.id == id && $0.token == token }
    }
}
