import Logging
import Metrics
import NIOCore
import RelayWire
import Synchronization
import Tracing

/// What a session reports upward, on its event loop.
protocol SessionHandler: AnyObject, Sendable {
    /// `replacedSession`: an earlier session existed and was not resumed. `contextsSent`: the
    /// handshake already named every context in ``handshakeContexts``.
    func sessionDidBecomeReady(restored: Bool, replacedSession: Bool, contextsSent: Bool)
    /// The contexts to name in a handshake that carries them (RELAY v3).
    var handshakeContexts: [String] { get }
    /// A broadcast of our protocol, decoded once into its typed notification.
    func sessionDidReceive(_ notification: RelayNotification)
    func sessionSocketEvent(_ event: ClientEvent, detail: String?)
}

/// One Relay session over a sequence of WebSocket connections: request/response matching,
/// execute timeouts, keepalive, offline queue, reconnect with backoff and resume. What differs
/// between the wire generations (handshake, command framing, results, server requests) is the
/// ``SessionDialect`` chosen by ``RelayConfiguration/wireGeneration``.
///
/// All mutable state lives in `state` and is touched only on `eventLoop` (one loop for the
/// client's lifetime, across reconnects), so nothing here needs a lock and a response
/// completes its waiter on the thread that read it.
final class Session: TransportDelegate, Sendable {
    static let agent = "Swift SDK/\(SignalWireSDK.version)"

    let eventLoop: any EventLoop
    let endpoint: RelayEndpoint
    let configuration: RelayConfiguration
    let logger: Logger
    let instruments: RelayInstruments
    private let project: String
    /// The wire generation; its dialect object lives in `state`.
    let generation: WireGeneration
    /// The dialect's type, for what needs no session state (building commands off the loop).
    var dialectType: any SessionDialect.Type {
        generation == .relayV3 ? RelayV3Dialect.self : BladeDialect.self
    }
    private let state: NIOLoopBoundBox<SessionState>
    private let handler: Mutex<WeakHandler>
    private let idPrefix: String
    private let nextID = Atomic<Int>(0)

    init(project: String, token: String, endpoint: RelayEndpoint, configuration: RelayConfiguration, logger: Logger) {
        self.project = project
        generation = configuration.wireGeneration
        self.endpoint = endpoint
        self.configuration = configuration
        self.logger = logger
        instruments = RelayInstruments(factory: configuration.metricsFactory, tracer: configuration.tracer)
        eventLoop = configuration.eventLoopGroup.next()
        let dialect: any SessionDialect =
            configuration.wireGeneration == .relayV3 ? RelayV3Dialect(project: project, token: token) : BladeDialect(project: project, token: token)
        state = NIOLoopBoundBox.makeBoxSendingValue(SessionState(dialect: dialect), eventLoop: eventLoop)
        handler = Mutex(WeakHandler())
        idPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    func attach(_ handler: any SessionHandler) {
        self.handler.withLock { $0.value = handler }
    }

    private var currentHandler: (any SessionHandler)? { handler.withLock { $0.value } }
    var handlerForLookup: (any SessionHandler)? { currentHandler }

    func makeRequestID() -> String {
        "\(idPrefix)-\(nextID.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    // MARK: - Public operations (any thread)

    /// Opens the connection and completes once the session is ready, or fails with the first
    /// attempt's error (wrong credentials, refused connection, …).
    func start() async throws {
        let ready = eventLoop.makePromise(of: Void.self)
        onLoop { session in
            let state = session.state.value
            switch state.phase {
            case .ready:
                ready.succeed()
            case .closed, .stopped:
                state.phase = .connecting
                state.userClosed = false
                state.firstConnectDeadline = state.everReady ? nil : NIODeadline.now() + TimeAmount(duration: session.configuration.firstConnectRetryTime)
                state.readyWaiters.append(ready)
                session.openConnection()
            default:
                state.readyWaiters.append(ready)
            }
        }
        try await ready.futureResult.get()
    }

    /// Closes the connection for good; every waiting request fails with `.notConnected`.
    func stop() async {
        let closed = eventLoop.makePromise(of: Void.self)
        onLoop { session in
            let state = session.state.value
            state.userClosed = true
            state.phase = .closed
            state.reconnectTask?.cancel()
            state.reconnectTask = nil
            session.stopKeepalive()
            session.failAll(with: .notConnected)
            session.failReadyWaiters(.notConnected)
            if let channel = state.channel {
                state.channel = nil
                channel.close().whenComplete { _ in closed.succeed() }
            } else {
                closed.succeed()
            }
        }
        try? await closed.futureResult.get()
    }

    var isReady: Bool {
        get async {
            let promise = eventLoop.makePromise(of: Bool.self)
            onLoop { promise.succeed($0.state.value.phase == .ready) }
            return (try? await promise.futureResult.get()) ?? false
        }
    }

    /// Sends a Blade request and returns its `result`. Throws `RelayError` (or
    /// `CancellationError`); never waits longer than the execute timeout.
    func request(_ method: String, params: JSONValue) async throws -> JSONValue {
        try await send(PendingRequest.Kind.blade(method), params: params)
    }

    /// Sends a Relay method in the session's dialect (`blade.execute` on v2, the bare method on
    /// v3) and returns Relay's result. A refusal throws `.commandFailed` (or, on v3, `.callGone`
    /// for 404/410 on a call); a result without `code` (setup-like) is returned as is.
    func execute(_ method: String, params: JSONValue) async throws -> JSONValue {
        try await send(PendingRequest.Kind.relay(method), params: params)
    }

    /// Sends a Relay execute without waiting for it; failures go to `onFailure`.
    func executeDetached(_ method: String, params: JSONValue, onFailure: @escaping @Sendable (any Error) -> Void) {
        let promise = eventLoop.makePromise(of: JSONValue.self)
        let id = makeRequestID()
        onLoop { $0.enqueue(PendingRequest(id: id, kind: .relay(method), params: params, promise: promise)) }
        promise.futureResult.whenFailure(onFailure)
    }

    private func send(_ kind: PendingRequest.Kind, params: JSONValue) async throws -> JSONValue {
        let id = makeRequestID()
        let method = kind.name
        let meters = instruments.request(method)
        meters.count.increment()
        // One client span per request, with the JSON-RPC semantic-convention attributes.
        let span = instruments.tracer.startSpan(method, ofKind: .client)
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["rpc.system"] = "jsonrpc"
                attributes["rpc.method"] = method
                attributes["rpc.jsonrpc.version"] = "2.0"
                attributes["rpc.jsonrpc.request_id"] = id
                attributes["server.address"] = endpoint.host
                attributes["server.port"] = endpoint.port
            }
        }
        let started = ContinuousClock.now
        let promise = eventLoop.makePromise(of: JSONValue.self)
        onLoop { $0.enqueue(PendingRequest(id: id, kind: kind, params: params, promise: promise)) }
        do {
            let result = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                self.onLoop { session in
                    if let request = session.state.value.removePending(id) { request.promise.fail(CancellationError()) }
                }
            }
            meters.duration.record(duration: ContinuousClock.now - started)
            span.end()
            return result
        } catch {
            meters.duration.record(duration: ContinuousClock.now - started)
            instruments.failed(method, error)
            if span.isRecording {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
                if let relayError = error as? RelayError {
                    span.updateAttributes { attributes in
                        attributes["signalwire.error.code"] = relayError.code.description
                        if relayError.code == .rpc, let code = relayError.relayCode.flatMap({ Int($0) }) {
                            attributes["rpc.jsonrpc.error_code"] = code
                            attributes["rpc.jsonrpc.error_message"] = relayError.rpcMessage
                        } else if let code = relayError.relayCode {
                            attributes["signalwire.relay.code"] = code
                        }
                    }
                }
            }
            span.end()
            throw error
        }
    }

    // MARK: - Event loop internals

    private func onLoop(_ body: @escaping @Sendable (Session) -> Void) {
        if eventLoop.inEventLoop {
            body(self)
        } else {
            eventLoop.execute { body(self) }
        }
    }

    private func enqueue(_ request: PendingRequest) {
        let state = self.state.value
        var request = request
        if state.phase == .closed || state.phase == .stopped {
            logger.debug("request not sent: the client is not connected", metadata: ["method": "\(request.kind.name)"])
            request.promise.fail(RelayError.notConnected)
            return
        }
        // One sweep timer checks deadlines for all requests: cheaper than a timer each.
        request.deadline = NIODeadline.now() + TimeAmount(duration: configuration.executeTimeout)
        startTimeoutSweep()
        if state.phase == .ready || (request.kind.isHandshake && state.channel != nil) {
            state.pending[request.id] = request
            transmit(id: request.id)
        } else {
            guard state.queue.count < configuration.maximumQueuedRequests else {
                logger.debug("request not sent: too many are waiting for the connection", metadata: ["method": "\(request.kind.name)"])
                request.promise.fail(RelayError.queueFull(limit: configuration.maximumQueuedRequests))
                return
            }
            state.pending[request.id] = request
            state.queue.append(request.id)
        }
    }

    private func startTimeoutSweep() {
        let state = self.state.value
        guard state.timeoutSweep == nil else { return }
        let timeout = configuration.executeTimeout
        let period = TimeAmount(duration: min(timeout / 4, .seconds(1)))
        state.timeoutSweep = eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [self] task in
            let state = self.state.value
            let now = NIODeadline.now()
            let expired = state.pending.values.filter { $0.deadline <= now }.sorted { $0.sequence < $1.sequence }
            for request in expired {
                state.removePending(request.id)
                logger.debug("request timed out", metadata: ["method": "\(request.kind.name)", "id": "\(request.id)"])
                request.promise.fail(RelayError.timeout(method: request.kind.name, seconds: timeout.seconds))
            }
            if state.pending.isEmpty {
                task.cancel()
                state.timeoutSweep = nil
            }
        }
    }

    private func transmit(id: String) {
        let state = self.state.value
        guard let channel = state.channel, let request = state.pending[id] else { return }
        state.pending[id]?.sentOnConnection = state.connectionNumber
        // Written straight to bytes: this is the hot path of every request.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320)
        bytes.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONCodec.writeString(id, into: &bytes)
        bytes.append(UInt8(ascii: ","))
        switch request.kind {
        case .blade(let method), .handshake(let method):
            bytes.append(contentsOf: #""method":"#.utf8)
            JSONCodec.writeString(method, into: &bytes)
            bytes.append(contentsOf: #","params":"#.utf8)
            JSONCodec.write(request.params, into: &bytes, sortedKeys: false)
        case .relay(let method):
            state.dialect.writeCommand(method, params: request.params, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        // A lone request goes out at once. With others in flight, one flush covers every
        // request written in this turn of the event loop: one `writev` instead of one each.
        if logger.logLevel <= .trace {
            let text = bytes.withUnsafeBytes { FrameRedaction.masked($0) }
            logger.trace("frame out", metadata: ["frame": "\(text)"])
        }
        write(bytes, to: channel, alone: state.pending.count <= 1)
    }

    /// Writes one frame; a lone one is flushed at once, others share one flush per loop turn.
    private func write(_ bytes: [UInt8], to channel: any Channel, alone: Bool) {
        let state = self.state.value
        let alone = alone && !state.flushScheduled
        WebSocketTransport.writeText(bytes, to: channel, mask: state.maskEntropy.next(), flush: alone)
        if !alone && !state.flushScheduled {
            state.flushScheduled = true
            eventLoop.execute { [self] in
                self.state.value.flushScheduled = false
                channel.flush()
            }
        }
    }

    private func openConnection() {
        let state = self.state.value
        state.connectionNumber += 1
        let connectionNumber = state.connectionNumber
        logger.debug("connecting", metadata: ["endpoint": "\(endpoint)"])
        WebSocketTransport.connect(
            to: endpoint, on: eventLoop, tls: configuration.tls,
            connectTimeout: TimeAmount(duration: configuration.connectTimeout), delegate: self
        ).hop(to: eventLoop).whenComplete { [self] result in
            let state = self.state.value
            guard state.connectionNumber == connectionNumber, !state.userClosed else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let channel):
                state.channel = channel
                state.phase = .handshaking
                currentHandler?.sessionSocketEvent(.socketOpen, detail: nil)
                state.dialect.handshake(self, connectionNumber: connectionNumber)
            case .failure(let error):
                let relayError = (error as? RelayError) ?? .connectionFailed("\(error)")
                currentHandler?.sessionSocketEvent(.socketError, detail: "\(relayError)")
                if !state.readyWaiters.isEmpty && !state.everReady {
                    // A server that is not up yet may be soon: retry within the first-connect
                    // budget. Anything else (TLS, refused upgrade) tells connect() at once.
                    if relayError.isTransient, let deadline = state.firstConnectDeadline, NIODeadline.now() < deadline {
                        logger.info("Relay is not reachable yet: retrying", metadata: ["host": "\(endpoint)", "error": "\(relayError)"])
                        scheduleReconnect(quiet: true)
                        return
                    }
                    state.phase = .stopped
                    failReadyWaiters(relayError)
                    failAll(with: .notConnected)
                } else {
                    scheduleReconnect()
                }
            }
        }
    }

    // MARK: - For dialects (on the event loop)

    /// Sends one handshake request on connection `connectionNumber` and runs `next` with its
    /// result. When `refusalIsFinal`, a JSON-RPC error means wrong credentials: the session
    /// stops instead of retrying.
    func handshakeStep(
        _ method: String, params: JSONValue, connectionNumber: Int, refusalIsFinal: Bool, then next: @escaping (JSONValue) -> Void
    ) {
        let promise = eventLoop.makePromise(of: JSONValue.self)
        enqueue(PendingRequest(id: makeRequestID(), kind: .handshake(method), params: params, promise: promise))
        promise.futureResult.assumeIsolated().whenComplete { [self] result in
            let state = self.state.value
            guard state.connectionNumber == connectionNumber, !state.userClosed else { return }
            switch result {
            case .success(let value):
                next(value)
            case .failure(let error):
                if refusalIsFinal, let refusal = error as? RelayError, refusal.code == .rpc,
                    refusal.relayCode != String(BladeError.timeout)
                {
                    // Wrong credentials are final: retrying would only repeat the refusal.
                    let message = refusal.rpcMessage
                    logger.debug("Relay refused the credentials", metadata: ["reason": "\(message)"])
                    state.phase = .stopped
                    state.userClosed = true
                    let failure = RelayError.authenticationFailed(message, host: endpoint.description)
                    failReadyWaiters(failure)
                    failAll(with: failure)
                    state.channel?.close(promise: nil)
                    state.channel = nil
                } else {
                    logger.warning("Relay handshake failed", metadata: ["step": "\(method)", "error": "\(error)"])
                    state.channel?.close(promise: nil)
                }
            }
        }
    }

    /// Closes the current connection (a reconnect follows unless the user closed the client).
    func closeConnection() {
        state.value.channel?.close(promise: nil)
    }

    /// Answers a server request with an empty result (v3 acks, pings, disconnect notices).
    func reply(to id: String) {
        let state = self.state.value
        guard let channel = state.channel else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(80)
        bytes.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONCodec.writeString(id, into: &bytes)
        bytes.append(contentsOf: #","result":{}}"#.utf8)
        write(bytes, to: channel, alone: true)
    }

    /// Records an event id; false when it was seen recently (a redelivery).
    func rememberEvent(_ id: String) -> Bool {
        state.value.rememberEvent(id)
    }

    /// Hands a decoded notification to the client.
    func deliver(_ notification: RelayNotification, eventType: String) {
        instruments.event(eventType)
        currentHandler?.sessionDidReceive(notification)
    }

    /// Relay is going away: new requests wait for the next session instead of being written.
    func holdRequestsUntilReconnected() {
        if state.value.phase == .ready { state.value.phase = .idle }
    }

    /// The contexts a handshake that carries them should name.
    func contextsForHandshake() -> [String] {
        currentHandler?.handshakeContexts ?? []
    }

    func becomeReady(restored: Bool) {
        let state = self.state.value
        state.phase = .ready
        state.everReady = true
        state.readyCount += 1
        state.reconnectAttempt = 0
        // Requests that were on the wire when the last connection dropped.
        let orphaned = state.pending.values
            .filter { !$0.kind.isHandshake && $0.sentOnConnection != nil && $0.sentOnConnection != state.connectionNumber }
            .sorted { $0.sequence < $1.sequence }
        for request in orphaned {
            if restored {
                // Same id: a resumed Relay session answers a duplicate id once.
                transmit(id: request.id)
            } else if let failed = state.removePending(request.id) {
                failed.promise.fail(RelayError.connectionLost)
            }
        }
        let queued = state.queue
        state.queue.removeAll()
        for id in queued { transmit(id: id) }
        startKeepalive()
        if state.readyCount == 1 {
            logger.info(
                "connected to Relay",
                metadata: ["host": "\(endpoint)", "project": "\(project)", "protocol": "\(state.dialect.protocolName ?? "")", "generation": "\(generation)"])
        } else {
            if restored { instruments.resumes.increment() }
            logger.info(restored ? "reconnected to Relay: session resumed" : "reconnected to Relay: new session", metadata: ["host": "\(endpoint)"])
        }
        // The client is marked connected before connect() returns to its caller.
        currentHandler?.sessionDidBecomeReady(
            restored: restored, replacedSession: !restored && state.readyCount > 1, contextsSent: state.dialect.sendsContextsInHandshake)
        let waiters = state.readyWaiters
        state.readyWaiters.removeAll()
        for waiter in waiters { waiter.succeed() }
    }

    private func startKeepalive() {
        stopKeepalive()
        let interval = TimeAmount(duration: configuration.pingInterval)
        state.value.pingOutstanding = false
        state.value.pingTask = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            let state = self.state.value
            guard state.phase == .ready, let channel = state.channel else { return }
            if state.pingOutstanding {
                logger.warning("Relay did not answer the last ping: closing the connection")
                channel.close(promise: nil)
                return
            }
            state.pingOutstanding = true
            let promise = eventLoop.makePromise(of: JSONValue.self)
            let connectionNumber = state.connectionNumber
            enqueue(PendingRequest(id: makeRequestID(), kind: .handshake(state.dialect.pingMethod), params: .object([:]), promise: promise))
            promise.futureResult.whenSuccess { [self] _ in
                if self.state.value.connectionNumber == connectionNumber { self.state.value.pingOutstanding = false }
            }
        }
    }

    private func stopKeepalive() {
        state.value.pingTask?.cancel()
        state.value.pingTask = nil
    }

    private func scheduleReconnect(quiet: Bool = false) {
        let state = self.state.value
        guard !state.userClosed else { return }
        state.phase = .waitingToReconnect
        let initial = configuration.reconnectInitialDelay.seconds
        let maximum = configuration.reconnectMaximumDelay.seconds
        let base = min(maximum, initial * pow2(state.reconnectAttempt))
        let delay = base * Double.random(in: 0.5...1.0)
        state.reconnectAttempt += 1
        if !quiet {
            instruments.reconnects.increment()
            logger.info("reconnecting to Relay", metadata: ["in_seconds": "\((delay * 100).rounded() / 100)"])
        }
        state.reconnectTask = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { [self] in
            guard !self.state.value.userClosed else { return }
            self.state.value.phase = .connecting
            openConnection()
        }
    }

    private func pow2(_ exponent: Int) -> Double {
        Double(1 << min(exponent, 20))
    }

    private func failAll(with error: RelayError) {
        let state = self.state.value
        let requests = state.pending.values
        state.pending.removeAll()
        state.queue.removeAll()
        for request in requests { request.promise.fail(error) }
    }

    private func failReadyWaiters(_ error: RelayError) {
        let waiters = state.value.readyWaiters
        state.value.readyWaiters.removeAll()
        for waiter in waiters { waiter.fail(error) }
    }

    // MARK: - TransportDelegate (on the event loop)

    func transport(didReceive text: ByteBuffer) {
        if logger.logLevel <= .trace {
            let masked = text.withUnsafeReadableBytes { FrameRedaction.masked($0) }
            logger.trace("frame in", metadata: ["frame": "\(masked)"])
        }
        // Any frame proves the link alive: a ping reply can queue behind thousands of events
        // when the client reads slower than the server writes, and that is no reason to drop.
        state.value.pingOutstanding = false
        let parsed = text.withUnsafeReadableBytes { bytes in
            Result { () throws(WireError) in try BladeFrame(json: JSONCodec.parse(bytes)) }
        }
        let frame: BladeFrame
        switch parsed {
        case .success(let value): frame = value
        case .failure(let error):
            logger.debug("ignoring a frame that is not Blade JSON-RPC", metadata: ["error": "\(error)"])
            return
        }
        if let handler = currentHandler {
            handler.sessionSocketEvent(.socketMessage, detail: nil)
        }
        let state = self.state.value
        switch frame {
        case .result(let id, let result):
            guard let request = state.removePending(id) else {
                // Python crashes here (§1.5); a late or duplicate answer is harmless.
                logger.debug("ignoring a response to an unknown request", metadata: ["id": "\(id)"])
                return
            }
            if case .relay(let method) = request.kind {
                do {
                    request.promise.succeed(try state.dialect.commandResult(result, method: method))
                } catch {
                    request.promise.fail(error)
                }
            } else {
                request.promise.succeed(result)
            }
        case .error(let id, let error):
            guard let request = state.removePending(id) else {
                logger.debug("ignoring an error for an unknown request", metadata: ["id": "\(id)"])
                return
            }
            request.promise.fail(RelayError.rpc(code: error.code, message: error.message, method: request.kind.name))
        case .request(let id, let method, let params):
            state.dialect.handleServerRequest(id: id, method: method, params: params, session: self)
        }
    }

    func transportDidClose(error: (any Error)?) {
        let state = self.state.value
        stopKeepalive()
        state.channel = nil
        currentHandler?.sessionSocketEvent(.socketClose, detail: error.map { "\($0)" })
        // Handshake requests belong to the dead connection.
        for request in state.pending.values where request.kind.isHandshake {
            state.removePending(request.id)?.promise.fail(RelayError.connectionLost)
        }
        if !state.dialect.canResume(configuration) {
            for request in state.pending.values where request.sentOnConnection != nil {
                state.removePending(request.id)?.promise.fail(RelayError.connectionLost)
            }
        }
        if state.userClosed || state.phase == .stopped {
            state.phase = state.userClosed ? .closed : .stopped
            return
        }
        if !state.everReady && !state.readyWaiters.isEmpty {
            // Closed during the first handshake (e.g. the server dropped us): report it.
            state.phase = .stopped
            failReadyWaiters(.connectionFailed("the connection closed during the Relay handshake"))
            failAll(with: .notConnected)
            return
        }
        logger.warning("Relay connection lost", metadata: ["error": "\(error.map { "\($0)" } ?? "closed")"])
        scheduleReconnect()
    }
}

private struct WeakHandler: @unchecked Sendable {
    // Only read and written under the owning Mutex.
    weak var value: (any SessionHandler)?
}

struct PendingRequest {
    enum Kind {
        case handshake(String)
        case blade(String)
        case relay(String)

        var isHandshake: Bool { if case .handshake = self { true } else { false } }
        var name: String {
            switch self {
            case .handshake(let method), .blade(let method), .relay(let method): method
            }
        }
    }

    private static let counter = Atomic<Int>(0)

    let id: String
    let kind: Kind
    let params: JSONValue
    let promise: EventLoopPromise<JSONValue>
    let sequence: Int
    var deadline = NIODeadline.distantFuture
    var sentOnConnection: Int?

    init(id: String, kind: Kind, params: JSONValue, promise: EventLoopPromise<JSONValue>) {
        self.id = id
        self.kind = kind
        self.params = params
        self.promise = promise
        sequence = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

final class SessionState {
    enum Phase { case stopped, connecting, handshaking, ready, idle, waitingToReconnect, closed }

    var phase: Phase = .stopped
    /// The wire generation's part of the session.
    let dialect: any SessionDialect
    var channel: (any Channel)?
    var connectionNumber = 0
    var pending: [String: PendingRequest] = [:]
    var queue: [String] = []
    var pingOutstanding = false
    var pingTask: RepeatedTask?
    var reconnectAttempt = 0
    var reconnectTask: Scheduled<Void>?
    var timeoutSweep: RepeatedTask?
    var maskEntropy = MaskEntropy()
    var flushScheduled = false
    var readyWaiters: [EventLoopPromise<Void>] = []
    var everReady = false
    var readyCount = 0
    var userClosed = false
    /// Until when a first connect retries a server that is not reachable yet.
    var firstConnectDeadline: NIODeadline?

    init(dialect: any SessionDialect) {
        self.dialect = dialect
    }

    /// Ids of recent events, to drop redelivered ones. Bounded: the oldest are forgotten.
    private var recentBroadcastIDs = Set<String>()
    private var recentBroadcastOrder: [String] = []
    private var recentBroadcastNext = 0
    static let rememberedBroadcasts = 4096

    /// Records an event id; false when it was seen recently.
    func rememberEvent(_ id: String) -> Bool {
        guard recentBroadcastIDs.insert(id).inserted else { return false }
        if recentBroadcastOrder.count < Self.rememberedBroadcasts {
            recentBroadcastOrder.append(id)
        } else {
            recentBroadcastIDs.remove(recentBroadcastOrder[recentBroadcastNext])
            recentBroadcastOrder[recentBroadcastNext] = id
            recentBroadcastNext = (recentBroadcastNext + 1) % Self.rememberedBroadcasts
        }
        return true
    }

    @discardableResult
    func removePending(_ id: String) -> PendingRequest? {
        guard let request = pending.removeValue(forKey: id) else { return nil }
        if let index = queue.firstIndex(of: id) { queue.remove(at: index) }
        return request
    }
}
