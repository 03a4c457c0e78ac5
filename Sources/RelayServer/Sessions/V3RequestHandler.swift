import Logging
import RelayWire

/// Answers the frames of a RELAY v3 connection: `signalwire.connect`, pings, receive and
/// unreceive, the client's acks, and the bare Relay methods, which it decodes into the same
/// ``RelayCommand`` as Blade's `blade.execute` and hands to the same parts. Results are flat
/// (`{"result":{code,message,…}}`, the code a string) and every request is answered at once,
/// well within the 10 s v3 clients wait.
struct V3RequestHandler: Sendable {
    let configuration: RelayServerConfiguration
    let logger: Logger
    let registry: SessionRegistry
    let shards: [CallShard]
    let shardContext: CallShard.ShardContext
    let messaging: MessagingDesk
    let clock: SimulationClock
    private let nextShard = AtomicCounter()

    init(
        configuration: RelayServerConfiguration, logger: Logger, registry: SessionRegistry, shards: [CallShard],
        shardContext: CallShard.ShardContext, messaging: MessagingDesk, clock: SimulationClock
    ) {
        self.configuration = configuration
        self.logger = logger
        self.registry = registry
        self.shards = shards
        self.shardContext = shardContext
        self.messaging = messaging
        self.clock = clock
    }

    func receive(text: String, from connection: ConnectionHandle) async {
        registry.journalIncoming(LogText.maskSecrets(text), on: connection)
        let size = text.utf8.count
        if size > configuration.maximumMessageSize {
            let message = "Message of \(size) bytes exceeds the limit of \(configuration.maximumMessageSize) bytes"
            reject(BladeRejection(id: JSONCodec.recoverTopLevelID(text), error: BladeError(code: BladeError.invalidRequest, message: message)), on: connection)
            return
        }
        let json: JSONValue
        do {
            json = try JSONCodec.parse(text)
        } catch {
            reject(
                BladeRejection(id: JSONCodec.recoverTopLevelID(text), error: BladeError(code: BladeError.parseError, message: "Parse error: \(error.description)")),
                on: connection)
            return
        }
        // The client's answers to our requests (event acks, pings, disconnect): never requests.
        if json.objectValue != nil, json["method"] == nil, json["result"] != nil || json["error"] != nil {
            if let id = json["id"]?.stringValue { registry.v3Session(of: connection)?.responseReceived(id: id) }
            return
        }
        let request: BladeRequest
        do {
            request = try BladeRequest(json: json)
        } catch {
            reject(error, on: connection)
            return
        }
        switch request.method {
        case V3Method.connect: connect(request, connection)
        case V3Method.ping: ping(request, connection)
        case V3Method.receive, V3Method.unreceive: contexts(request, connection)
        case V3Method.event, V3Method.disconnect:
            fail(request, BladeError.methodNotFound, "Method '\(request.method)' is server-to-client only", connection)
        default:
            if request.method.hasPrefix("blade.") {
                fail(request, BladeError.methodNotFound, "Method '\(LogText.clip(request.method))' is Blade v2; this connection speaks RELAY v3", connection)
                return
            }
            execute(request, connection)
        }
    }

    // MARK: - Replies

    private func reject(_ rejection: BladeRejection, on connection: ConnectionHandle) {
        guard let id = rejection.id else { return }
        send(BladeRequest.error(id: id, rejection.error), to: connection)
    }

    private func fail(_ request: BladeRequest, _ code: Int, _ message: String, _ connection: ConnectionHandle) {
        send(BladeRequest.error(id: request.id, BladeError(code: code, message: message)), to: connection)
    }

    private func send(_ frame: JSONValue, to connection: ConnectionHandle) {
        if let session = registry.v3Session(of: connection) {
            session.send(frame)
        } else {
            connection.send(BladeSession.encode(frame))
        }
    }

    // MARK: - Session

    private func connect(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard registry.v3Session(of: connection) == nil else {
            fail(request, BladeError.invalidRequest, "Session already established on this connection", connection)
            return
        }
        let params: V3ConnectParams
        do {
            params = try V3ConnectParams(json: request.params)
        } catch {
            fail(request, BladeError.invalidParams, "Invalid params: \(error.description)", connection)
            connection.close()
            return
        }
        let project: RelayProject?
        switch params.authentication {
        case .projectToken(let id, let token): project = registry.project(id: id, token: token)
        case .jwt(let token, let id):
            // The local server's JWT is the project's API token (as `jwt_token` on v2).
            project = id.map { registry.project(id: $0, token: token) } ?? registry.project(token: token)
        }
        guard let project else {
            logger.info("authentication failed", metadata: ["relay.project": "\(LogText.escape(LogText.clip(params.authentication.project ?? "(jwt)")))"])
            fail(request, BladeError.unauthorized, "Authentication failed: unknown project or invalid token", connection)
            connection.close()
            return
        }
        let limits = V3Session.Limits(pendingEvents: configuration.outboundBufferLimit, journal: configuration.journalLimit)
        let loop = shards[nextShard.next() % shards.count].loop
        let make = { [clock] in
            V3Session(
                id: newID(), project: project, protocolName: "signalwire_" + (newID() + newID()).replacingOccurrences(of: "-", with: ""),
                limits: limits, clock: clock, loop: loop)
        }
        guard let (session, restored) = registry.connectV3(params, project: project, on: connection, make: make, logger: logger) else {
            fail(request, BladeError.invalidRequest, "Session already established on this connection", connection)
            return
        }
        connection.markAuthenticated()
        shardContext.feed.publish { .session(session.snapshot, step: "connected", text: restored ? "resumed (v3)" : "connected (v3)") }
        logger.debug(
            "v3 session connected", metadata: ["relay.session": "\(session.id)", "relay.project": "\(project.id)", "relay.restored": "\(restored)"])
        let result = V3ConnectResult(
            protocolName: session.protocolName, identity: "\(project.id)@relay-local", sessionRestored: restored, projectID: project.id,
            scopes: ["calling", "messaging", "tasking"])
        session.send(request.result(result.json))
        // What the last socket left unacknowledged, and what came while away, before anything new.
        if restored { session.resumeDelivery() }
        session.sendAuthorizationState()
    }

    private func ping(_ request: BladeRequest, _ connection: ConnectionHandle) {
        let session = registry.v3Session(of: connection)
        guard registry.faults(for: session).answerPings else { return }
        send(request.result(["timestamp": .double(request.params["timestamp"]?.doubleValue ?? SimulationClock.unixNow)]), to: connection)
    }

    private func contexts(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard let session = registry.v3Session(of: connection) else {
            fail(request, BladeError.unauthorized, "Not connected: send signalwire.connect first", connection)
            return
        }
        let requested = ((try? ReceiveCommand(json: request.params))?.contexts ?? []).filter { !$0.isEmpty }
        guard !requested.isEmpty else {
            answer(request, .failure("400", "Missing 'contexts' (array of strings)"), session)
            return
        }
        if request.method == V3Method.receive {
            session.addContexts(requested)
            answer(request, .ok("Receiving events"), session)
        } else {
            session.removeContexts(requested)
            answer(request, .ok("Unreceiving events"), session)
        }
        shardContext.feed.publish { .session(session.snapshot, step: "contexts", text: "receiving " + session.snapshot.contexts.joined(separator: ", ")) }
    }

    // MARK: - Relay methods

    private func execute(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard let session = registry.v3Session(of: connection) else {
            fail(request, BladeError.unauthorized, "Not connected: send signalwire.connect first", connection)
            return
        }
        let command: RelayCommand
        do throws(RelayCommand.DecodingError) {
            command = try RelayCommand(method: request.method, params: request.params)
        } catch {
            switch error {
            case .unknownMethod(let method):
                fail(request, BladeError.methodNotFound, "Unknown method '\(LogText.clip(method))'", connection)
            case .invalidParams(let problem):
                answer(request, .failure("400", problem.description), session)
            }
            return
        }
        switch command {
        case .receive(let receive):
            session.addContexts(receive.contexts.filter { !$0.isEmpty })
            answer(request, .ok("Receiving events"), session)
        case .messagingSend(let send):
            let (result, start) = messaging.send(send, session: session)
            answer(request, result, session)
            start()
        case .begin, .dial:
            // A new call (or a dial's legs) lives on one shard, taken in turn.
            shards[nextShard.next() % shards.count].execute(command, session: session.id, project: session.project) { answer(request, $0, session) }
        default:
            guard let callID = command.callID else {
                answer(request, .failure("400", "Missing 'call_id'"), session)
                return
            }
            shards[shardContext.shard(of: callID) % shards.count].execute(command, session: session.id, project: session.project) {
                answer(request, $0, session)
            }
        }
    }

    /// The flat v3 result: the Relay answer is `result` itself.
    private func answer(_ request: BladeRequest, _ result: CommandResult, _ session: V3Session) {
        session.send(request.result(result.json))
    }
}
