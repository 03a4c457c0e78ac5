import Logging
@_exported import RelayServer
import RelayWire

/// An in-process local Relay server for tests: listens on a free loopback port, runs the
/// simulated world fast, and lets a test inject calls, messages and tasks and read what
/// happened.
///
/// ```swift
/// import RelayTesting
/// import Testing
///
/// @Test func answersAndHangsUp() async throws {
///     try await withRelayTestServer(speed: 50) { server in
///         // point the SDK at server.url with server.project / server.token …
///         let callID = try await server.injectCall(from: "+15551230000", context: "office")
///         let call = try await server.waitForCall(callID, state: .ended)
///         #expect(call.timeline.contains { $0.text.contains("answered") })
///     }
/// }
/// ```
///
/// Prefer ``withRelayTestServer(speed:projects:world:configure:logger:_:)``, which always shuts
/// the server down. With ``start(speed:projects:world:configure:logger:)`` call ``shutdown()``
/// yourself; the server runs in a task owned by this object until then.
public final class RelayTestServer: Sendable {
    /// The underlying server, for anything not wrapped here.
    public let server: RelayServer
    private let runTask: Task<Void, any Error>

    /// `ws://127.0.0.1:PORT`: give this to the SDK as its host.
    public let url: String
    /// `http://127.0.0.1:PORT`: the tasks endpoint, lab API and files.
    public let httpURL: String
    /// The bound port.
    public let port: Int

    /// The first configured project id (default `local-project`).
    public var project: String { server.configuration.projects[0].id }
    /// The first configured project's token (default `local-token`).
    public var token: String { server.configuration.projects[0].token }
    /// Every configured project.
    public var projects: [RelayProject] { server.configuration.projects }

    private init(server: RelayServer, runTask: Task<Void, any Error>, port: Int) {
        self.server = server
        self.runTask = runTask
        self.port = port
        self.url = server.url ?? "ws://127.0.0.1:\(port)"
        self.httpURL = server.httpURL ?? "http://127.0.0.1:\(port)"
    }

    /// Starts a server on `127.0.0.1`, port 0, and waits until it listens.
    ///
    /// - Parameters:
    ///   - speed: simulated time runs this many times faster than real time. Default 50.
    ///   - projects: accepted projects. Default: `RelayProject.default`.
    ///   - world: the simulated network. Default: `SimulatedWorld.standard`.
    ///   - configure: adjust any other configuration member.
    ///   - logger: the server's logger. Default: discards everything.
    public static func start(
        speed: Double = 50, projects: [RelayProject] = [.default], world: SimulatedWorld = .standard,
        configure: (inout RelayServerConfiguration) -> Void = { _ in },
        logger: Logger = Logger(label: "relay.test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> RelayTestServer {
        var configuration = RelayServerConfiguration(host: "127.0.0.1", port: 0, projects: projects, speed: speed, world: world)
        configure(&configuration)
        let server = RelayServer(configuration: configuration, logger: logger)
        let task = Task { try await server.run() }
        do {
            let port = try await server.waitUntilRunning()
            return RelayTestServer(server: server, runTask: task, port: port)
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
    }

    /// Sends `blade.disconnect` to every client, closes every socket and stops the server.
    public func shutdown() async {
        await server.disconnectAllAndWait()
        runTask.cancel()
        _ = await runTask.result
    }

    // MARK: - Injecting

    /// Injects an inbound call and returns its `call_id`.
    /// - Parameters:
    ///   - from: the caller's number.
    ///   - to: the number called.
    ///   - context: the context it is offered on (one session receiving it gets `calling.call.receive`).
    ///   - script: the caller: digits to key, words to say, when to hang up.
    ///   - project: the project whose consumers get the call; default the first.
    ///   - ringTimeout: simulated seconds the call rings before it ends `noAnswer`.
    public func injectCall(
        from: String = "+12015550199", to: String = "+12015550000", context: String, script: PartyBehavior = .human,
        project: String? = nil, ringTimeout: Double = 30
    ) async throws -> String {
        try await server.injectCall(from: from, to: to, context: context, script: script, project: project, ringTimeout: ringTimeout).id
    }

    /// Injects an inbound message (`messaging.receive`) and returns its id.
    public func injectMessage(
        from: String = "+12015550199", to: String = "+12015550000", context: String, body: String, media: [String] = [], project: String? = nil
    ) async throws -> String {
        try await server.injectMessage(from: from, to: to, context: context, body: body, media: media, project: project).id
    }

    /// Delivers a task (`queuing.relay.tasks`) to one session receiving `context`.
    public func deliverTask(context: String, message: JSONValue, project: String? = nil) async throws {
        try await server.deliverTask(context: context, message: message, project: project)
    }

    // MARK: - Reading

    /// A call and its timeline.
    public func call(_ callID: String) async -> CallSnapshot? { await server.call(id: callID) }

    /// The timeline of a call: every state, what was played, collected, recorded, connected.
    public func timeline(callID: String) async -> [TimelineEntry] { await server.timeline(callID: callID) }

    /// Every call, oldest first.
    public func calls() async -> [CallSnapshot] { await server.calls() }

    /// Messages sent by clients (`messaging.send`), oldest first.
    public func outboundMessages() async -> [MessageRecord] { await server.messages(direction: "outbound") }

    /// Tasks delivered or refused.
    public func tasks() async -> [TaskRecord] { await server.tasks() }

    /// Connected (or resumable) sessions.
    public func sessions() async -> [SessionSnapshot] { await server.sessions() }

    /// Frames of a session, oldest first.
    public func journal(sessionID: String) async -> [JournalEntry] { await server.journal(sessionID: sessionID) ?? [] }

    /// Waits until a call reaches `state` (or a later one) and returns it.
    /// - Throws: `RelayServerError` on timeout or for an unknown call.
    public func waitForCall(_ callID: String, state: CallState, timeout: Duration = .seconds(10)) async throws -> CallSnapshot {
        try await poll(timeout: timeout, what: "call \(callID) to reach \(state.rawValue)") {
            guard let call = await self.server.call(id: callID), call.state >= state else { return nil }
            return call
        }
    }

    /// Waits until `count` sessions have registered `context`.
    public func waitForConsumers(context: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws {
        _ = try await poll(timeout: timeout, what: "\(count) session(s) on context '\(context)'") {
            let sessions = await self.server.sessions().filter { $0.connected && $0.contexts.contains(context) }
            return sessions.count >= count ? true : nil
        }
    }

    /// Waits until `condition` returns a value.
    public func poll<T: Sendable>(
        timeout: Duration = .seconds(10), what: String = "condition", _ condition: @Sendable () async -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = await condition() { return value }
            if ContinuousClock.now > deadline { throw RelayServerError(message: "timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: - Faults

    /// Closes sockets without `blade.disconnect` (all, or one session's).
    @discardableResult
    public func dropSessions(sessionID: String? = nil) async -> Int { await server.dropSessions(sessionID: sessionID) }

    /// Injects faults (stop answering pings, delay or duplicate events).
    public func setFaults(_ faults: SessionFaults, sessionID: String? = nil) async throws {
        try await server.setFaults(faults, sessionID: sessionID)
    }

    /// `blade.disconnect` to everyone, then every socket closes (sessions stay resumable).
    public func restart() async { await server.restart() }

    /// Tells one session (or all) the server is going away, in its dialect: RELAY v3 sessions
    /// get `signalwire.disconnect {restart}` (with `restart: true` the session does not survive),
    /// Blade v2 sessions `blade.disconnect`. Returns how many connections were told.
    @discardableResult
    public func disconnect(sessionID: String? = nil, restart: Bool = false) async -> Int {
        await server.disconnect(sessionID: sessionID, restart: restart)
    }

    /// With a manual clock (`configure: { $0.clockMode = .manual }`): moves simulated time
    /// forward, firing every ring, prompt, recording and message step that falls due, in order.
    /// A 30 s ring timeout then takes no wall time. Returns how many timers fired.
    @discardableResult
    public func advanceClock(by seconds: Double) async -> Int { await server.advanceClock(by: seconds) }
}

/// Runs `body` with a fresh ``RelayTestServer`` and always shuts it down afterwards.
public func withRelayTestServer<Result: Sendable>(
    speed: Double = 50, projects: [RelayProject] = [.default], world: SimulatedWorld = .standard,
    configure: (inout RelayServerConfiguration) -> Void = { _ in },
    logger: Logger = Logger(label: "relay.test", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (RelayTestServer) async throws -> Result
) async throws -> Result {
    let server = try await RelayTestServer.start(speed: speed, projects: projects, world: world, configure: configure, logger: logger)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
