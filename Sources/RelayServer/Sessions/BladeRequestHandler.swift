import Logging
import RelayWire

/// Answers the Blade methods of one connection's frames: the handshake, pings, subscriptions,
/// and `blade.execute`, whose Relay commands it decodes once into a ``RelayCommand`` and hands
/// to the part that owns them (a call shard, messaging, the router).
struct BladeRequestHandler: Sendable {
    let configuration: RelayServerConfiguration
    let logger: Logger
    let registry: SessionRegistry
    let shards: [CallShard]
    let shardContext: CallShard.ShardContext
    let messaging: MessagingDesk
    let serverNodeID: String
    private let nextShard = AtomicCounter()

    init(
        configuration: RelayServerConfiguration, logger: Logger, registry: SessionRegistry, shards: [CallShard],
        shardContext: CallShard.ShardContext, messaging: MessagingDesk, serverNodeID: String
    ) {
        self.configuration = configuration
        self.logger = logger
        self.registry = registry
        self.shards = shards
        self.shardContext = shardContext
        self.messaging = messaging
        self.serverNodeID = serverNodeID
    }

    func receive(text: String, from connection: ConnectionHandle) async {
        registry.journalIncoming(LogText.maskSecrets(text), on: connection)
        let size = text.utf8.count
        if size > configuration.maximumMessageSize {
            // Only the id is read from an oversized frame: parsing it all is what it would cost.
            let message = "Message of \(size) bytes exceeds the limit of \(configuration.maximumMessageSize) bytes"
            reject(BladeRejection(id: JSONCodec.recoverTopLevelID(text), error: BladeError(code: BladeError.invalidRequest, message: message)), on: connection)
            return
        }
        let request: BladeRequest
        do {
            request = try BladeRequest(text: text)
        } catch {
            reject(error, on: connection)
            return
        }
        switch request.method {
        case BladeMethod.connect: connect(request, connection)
        case BladeMethod.ping: ping(request, connection)
        case BladeMethod.execute: execute(request, connection)
        case BladeMethod.subscription: subscription(request, connection)
        case BladeMethod.disconnect: send(request.result(.object([:])), to: connection)
        case BladeMethod.reauthenticate: reauthenticate(request, connection)
        case BladeMethod.broadcast, BladeMethod.netcast:
            fail(request, BladeError.methodNotFound, "Method '\(LogText.clip(request.method))' is server-to-client only", connection)
        default:
            fail(request, BladeError.methodNotFound, "Unknown method '\(LogText.clip(request.method))'", connection)
        }
    }

    // MARK: - Replies

    private func reject(_ rejection: BladeRejection, on connection: ConnectionHandle) {
        guard let id = rejection.id else {
            logger.debug("ignored a frame with no id to answer", metadata: ["relay.error": "\(LogText.escape(rejection.error.message))"])
            return
        }
        send(BladeRequest.error(id: id, rejection.error), to: connection)
    }

    private func fail(_ request: BladeRequest, _ code: Int, _ message: String, _ connection: ConnectionHandle) {
        send(BladeRequest.error(id: request.id, BladeError(code: code, message: message)), to: connection)
    }

    /// Writes a frame on the connection, journaled on its session when it has one.
    private func send(_ frame: JSONValue, to connection: ConnectionHandle) {
        if let session = registry.session(of: connection) {
            session.send(frame)
        } else {
            connection.send(BladeSession.encode(frame))
        }
    }

    private func authorization(_ session: BladeSession) -> JSONValue {
        [
            "project": .string(session.project.id), "expires_at": .null, "scopes": ["calling", "messaging", "tasking"],
            "signature": .string(session.signature),
        ]
    }

    // MARK: - Handshake

    private func connect(_ request: BladeRequest, _ connection: ConnectionHandle) {
        let params: BladeConnectParams
        do {
            params = try BladeConnectParams(json: request.params)
        } catch {
            fail(request, BladeError.invalidParams, "Invalid params: \(error.description)", connection)
            connection.close()
            return
        }
        guard params.version.major == BladeConnectParams.currentVersion.major else {
            fail(request, BladeError.invalidParams, "Unsupported protocol version \(params.version.major); this server speaks Blade 2.x", connection)
            connection.close()
            return
        }
        guard let project = registry.project(id: params.project, token: params.token) else {
            logger.info("authentication failed", metadata: ["relay.project": "\(LogText.escape(LogText.clip(params.project)))"])
            fail(request, BladeError.unauthorized, "Authentication failed: unknown project or invalid token", connection)
            connection.close()
            return
        }
        switch registry.connect(params, project: project, on: connection, logger: logger) {
        case .unknownConnection:
            return
        case .alreadyConnected:
            fail(request, BladeError.invalidRequest, "Session already established on this connection", connection)
        case .connected(let session, let restored):
            connection.markAuthenticated()
            shardContext.feed.publish { .session(session.snapshot, step: "connected", text: restored ? "resumed" : "connected") }
            logger.debug(
                "session connected", metadata: ["relay.session": "\(session.id)", "relay.project": "\(project.id)", "relay.restored": "\(restored)"])
            session.send(
                request.result([
                    "session_restored": .bool(restored), "sessionid": .string(session.id), "nodeid": .string(session.nodeID),
                    "master_nodeid": .string(serverNodeID), "authorization": authorization(session), "routes": [], "protocols": [],
                    "subscriptions": [], "authorities": [], "authorizations": [], "accesses": [], "protocols_uncertified": ["signalwire"],
                ]))
        }
    }

    private func reauthenticate(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard let session = registry.session(of: connection) else {
            fail(request, BladeError.unauthorized, "Not connected: send blade.connect first", connection)
            return
        }
        let auth = request.params["authentication"]
        guard let token = auth?["token"]?.stringValue ?? auth?["jwt_token"]?.stringValue, token == session.project.token else {
            fail(request, BladeError.unauthorized, "Authentication failed: invalid token", connection)
            return
        }
        session.send(request.result(["authorization": authorization(session)]))
    }

    private func ping(_ request: BladeRequest, _ connection: ConnectionHandle) {
        let session = registry.session(of: connection)
        guard registry.faults(for: session).answerPings else { return }
        let timestamp = request.params["timestamp"]?.doubleValue ?? SimulationClock.unixNow
        send(request.result(["timestamp": .double(timestamp)]), to: connection)
    }

    private func subscription(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard let session = registry.session(of: connection) else {
            fail(request, BladeError.unauthorized, "Not connected: send blade.connect first", connection)
            return
        }
        let params: BladeSubscriptionParams
        do {
            params = try BladeSubscriptionParams(json: request.params)
        } catch {
            fail(request, BladeError.invalidParams, "Invalid params: \(error.description)", connection)
            return
        }
        let known = registry.protocolIssued(params.protocolName, to: session)
        let subscribed = known ? params.channels.filter { $0 == "notifications" } : []
        let failed = params.channels.filter { !subscribed.contains($0) }
        session.send(
            request.result([
                "command": .string(params.adding ? "add" : "remove"), "protocol": .string(params.protocolName),
                "subscribe_channels": .array(subscribed.map(JSONValue.string)), "failed_channels": .array(failed.map(JSONValue.string)),
            ]))
        guard params.adding && known else { return }
        let (_, pending) = session.takeReplay()
        for notification in pending { registry.deliver(notification, to: session.id) }
    }

    // MARK: - blade.execute

    private func execute(_ request: BladeRequest, _ connection: ConnectionHandle) {
        guard let session = registry.session(of: connection) else {
            fail(request, BladeError.unauthorized, "Not connected: send blade.connect first", connection)
            return
        }
        let execute: BladeExecuteParams
        do {
            execute = try BladeExecuteParams(json: request.params)
        } catch {
            fail(request, BladeError.invalidParams, "Invalid params: \(error.description)", connection)
            return
        }
        if execute.protocolName == "signalwire" {
            guard execute.method == RelayMethod.setup else {
                fail(request, BladeError.methodNotFound, "Unknown method '\(LogText.clip(execute.method))' for protocol 'signalwire'", connection)
                return
            }
            setup(request, execute.params, session)
            return
        }
        guard registry.ownsProtocol(execute.protocolName, session: session) else {
            fail(request, BladeError.invalidParams, "Unknown protocol '\(LogText.clip(execute.protocolName))': run signalwire setup first", connection)
            return
        }
        if let cached = session.rememberedResult(for: request.id) {
            // Resent after a resume: answer again, run nothing twice.
            session.send(request.result(cached))
            return
        }
        let command: RelayCommand
        do throws(RelayCommand.DecodingError) {
            command = try RelayCommand(method: execute.method, params: execute.params)
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
        case .receive(let receive): answer(request, self.receive(receive, session), session)
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

    private func answer(_ request: BladeRequest, _ result: CommandResult, _ session: BladeSession) {
        let response: JSONValue = ["requester_nodeid": .string(session.nodeID), "responder_nodeid": .string(serverNodeID), "result": result.json]
        session.remember(response, for: request.id)
        session.send(request.result(response))
    }

    private func setup(_ request: BladeRequest, _ params: JSONValue, _ session: BladeSession) {
        let protocolName = registry.setUpProtocol(for: session, requested: params["protocol"]?.stringValue)
        session.send([
            "jsonrpc": "2.0", "id": .string(newID()), "method": .string(BladeMethod.netcast),
            "params": ["netcaster_nodeid": .string(serverNodeID), "command": "protocol.add", "params": ["protocol": .string(protocolName)]],
        ])
        session.send(
            request.result(["requester_nodeid": .string(session.nodeID), "responder_nodeid": .string(serverNodeID), "result": ["protocol": .string(protocolName)]]))
    }

    private func receive(_ command: ReceiveCommand, _ session: BladeSession) -> CommandResult {
        let requested = command.contexts.filter { !$0.isEmpty }
        guard !requested.isEmpty else { return .failure("400", "Missing 'contexts' (array of strings) or 'context' (string)") }
        session.withState { state in
            for context in requested where !state.contexts.contains(context) { state.contexts.append(context) }
        }
        shardContext.feed.publish { .session(session.snapshot, step: "contexts", text: "receiving " + session.snapshot.contexts.joined(separator: ", ")) }
        return .ok("Receiving all inbound related to the requested relay contexts and available scopes")
    }
}
