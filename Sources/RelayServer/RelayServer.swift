import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import RelayWire
import ServiceLifecycle
import Synchronization

/// A local SignalWire Relay v2 ("Blade") server: WebSocket sessions, a simulated telephone
/// network, messaging, tasks and a lab API, all on one port.
///
/// Run it as a `Service` (the `relay serve` command does, with graceful shutdown on
/// SIGTERM/SIGINT), or in-process from tests through `RelayTesting`:
///
/// ```swift
/// let server = RelayServer(configuration: .init(port: 0, speed: 50))
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await server.run() }
///     let port = try await server.waitUntilRunning()
///     print("listening on", server.url ?? "", port)
///     // … inject calls, read timelines …
///     group.cancelAll()
/// }
/// ```
///
/// On graceful shutdown every connected client receives `blade.disconnect` and its socket is
/// closed; the server then stops.
public final class RelayServer: Service, Sendable {
    /// What the server was started with.
    public let configuration: RelayServerConfiguration
    let hub: RelayHub
    let logger: Logger

    private struct RunState {
        var port: Int?
        var finished = false
        var failure: String?
    }

    private let runState = Mutex(RunState())
    private let sipEdge = Mutex<SIPEdge?>(nil)

    /// The SIP edge's UDP port once bound, when ``RelayServerConfiguration/sipAddress`` is set.
    public var sipPort: Int? { sipEdge.withLock { $0 }?.port }

    /// The RTP counters of a call that came in over the SIP edge (live, or as its media ended),
    /// or `nil` for other calls.
    public func sipMediaCounters(callID: String) -> SIPMediaCounters? { sipEdge.withLock { $0 }?.mediaCounters(relayCallID: callID) }

    /// Where the capture of what the caller of SIP call `callID` heard is (or will be, once the
    /// call ends) written; `nil` unless ``RelayServerConfiguration/sipCaptureDirectory`` is set.
    public func sipCapturePath(callID: String) -> String? { sipEdge.withLock { $0 }?.capturePath(callID: callID) }

    /// Creates a server. Nothing listens until ``run()``.
    public init(configuration: RelayServerConfiguration = .init(), logger: Logger = Logger(label: "relay.server")) {
        self.configuration = configuration
        self.logger = logger
        self.hub = RelayHub(configuration: configuration, logger: logger)
    }

    /// The bound port once listening (useful with port 0).
    public var port: Int? { runState.withLock { $0.port } }

    /// `ws://host:port` (or `wss://` with TLS) once listening.
    public var url: String? {
        guard let port else { return nil }
        return "\(configuration.tls == nil ? "ws" : "wss")://\(Self.urlHost(configuration.host)):\(port)"
    }

    /// `http://host:port` (or `https://`) once listening: the tasks endpoint, the lab API and files.
    public var httpURL: String? {
        guard let port else { return nil }
        return "\(configuration.tls == nil ? "http" : "https")://\(Self.urlHost(configuration.host)):\(port)"
    }

    static func urlHost(_ host: String) -> String {
        if host == "0.0.0.0" || host == "::" { return "127.0.0.1" }
        return host.contains(":") ? "[\(host)]" : host
    }

    /// Waits until the server listens and returns the bound port.
    /// - Throws: ``RelayServerError`` when ``run()`` ended or failed before listening, or on timeout.
    public func waitUntilRunning(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let state = runState.withLock { $0 }
            if let port = state.port { return port }
            if state.finished { throw RelayServerError(message: "server stopped before listening: \(state.failure ?? "unknown reason")") }
            if ContinuousClock.now > deadline { throw RelayServerError(message: "server did not start listening within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Runs the server until the task is cancelled or a graceful shutdown is triggered.
    public func run() async throws {
        do {
            try await runServer()
            runState.withLock { $0.finished = true }
        } catch {
            runState.withLock {
                $0.finished = true
                $0.failure = "\(error)"
            }
            throw error
        }
    }

    private func runServer() async throws {
        let hub = self.hub
        let configuration = self.configuration
        let logger = self.logger
        let router = HTTPRoutes.build(server: self)
        let registry = ConnectionRegistry(limits: TransportLimits(configuration))
        let limits = registry.limits
        let webSocket = WebSocketServerConfiguration(
            maxFrameSize: configuration.maximumMessageSize * 4, autoPing: .disabled, closeTimeout: .seconds(5))
        // Keep-alive idle timeout and decoder limits from Hummingbird; ConnectionGuard adds what
        // it lacks before the first request head (see there).
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: limits.idleTimeout,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maximumHeaderSize, maxHeaderListSize: limits.maximumHeaderSize))
        var builder = HTTPServerBuilder { responder in
            GuardedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init(http1: http1, ws: webSocket)) { head, channel, _ in
                    // A page in the developer's browser must not open sessions with the public default credentials.
                    guard LabGuard.acceptsWebSocket(origin: head.headerFields[.origin], authority: head.authority, tls: configuration.tls != nil)
                    else { return .dontUpgrade }
                    let remote = channel.remoteAddress.map { "\($0)" } ?? "unknown"
                    return .upgrade([:]) { inbound, outbound, _ in
                        await BladeConnection.serve(
                            hub: hub, inbound: inbound, outbound: outbound, channel: channel, remoteAddress: remote,
                            configuration: configuration, registry: registry, logger: logger)
                    }
                },
                registry: registry)
        }
        if let tls = configuration.tls {
            let certificates = try NIOSSLCertificate.fromPEMFile(tls.certificatePath)
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
            builder = try .tls(builder, tlsConfiguration: tlsConfiguration)
        }
        let app = Application(
            router: router,
            server: builder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [self] channel in
                // First in the listening socket's pipeline, ahead of NIO's AcceptBackoffHandler.
                do {
                    try await channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.addHandler(AcceptBackoff(logger: logger), position: .first)
                    }.get()
                } catch {
                    logger.warning("could not install the accept backoff", metadata: ["relay.error": "\(error)"])
                }
                let port = channel.localAddress?.port ?? configuration.port
                let scheme = configuration.tls == nil ? "http" : "https"
                await hub.setBaseURL("\(scheme)://\(Self.urlHost(configuration.host)):\(port)")
                self.runState.withLock { $0.port = port }
            },
            logger: logger)
        // The HTTP server runs in a group of its own, with no signal handlers: on shutdown the
        // hub first tells every client `blade.disconnect` and lets the sockets drain, and only
        // then does the HTTP server stop (otherwise it could close them first). Connections
        // that are not WebSockets close at once, and every socket within `shutdownTimeout`.
        let appGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await hub.run() }
            if let sip = configuration.sipAddress {
                let edge = SIPEdge(server: self, configuration: .init(
                        host: sip.host, port: sip.port, defaultContext: configuration.sipContext, captureDirectory: configuration.sipCaptureDirectory,
                        rtpPorts: configuration.rtpPorts), logger: logger)
                sipEdge.withLock { $0 = edge }
                // Runs until the group is cancelled at shutdown.
                group.addTask { try await edge.run() }
            }
            group.addTask {
                try? await gracefulShutdown()
                await hub.beginShutdown()
                registry.beginShutdown()
                let deadline = ContinuousClock.now + .seconds(2)
                while await hub.openConnectionCount > 0, ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(5))
                }
                await appGroup.triggerGracefulShutdown()
            }
            do {
                // Cancellation does not reach a connection still waiting for its first request
                // head (Hummingbird waits on a future there): close those through the registry.
                try await withTaskCancellationHandler {
                    try await appGroup.run()
                } onCancel: {
                    registry.beginShutdown()
                }
            } catch {
                await hub.beginShutdown()
                await hub.stopJobs()
                group.cancelAll()
                throw error
            }
            await hub.beginShutdown()
            await hub.stopJobs()
            group.cancelAll()
        }
    }

    // MARK: - In-process lab API

    /// Injects an inbound call, as if `from` dialled `to`, and offers it to one session
    /// receiving `context` (or the context the world routes `to` to).
    ///
    /// - Parameters:
    ///   - from: the caller's number.
    ///   - to: the number called.
    ///   - context: where the call is offered.
    ///   - script: how the caller behaves (digits to key, words to say, when to hang up).
    ///   - project: project id; default the first configured project.
    ///   - ringTimeout: simulated seconds the call rings before it ends `noAnswer`. Default 30.
    /// - Returns: a snapshot of the new call (its `id` is the `call_id` clients see).
    /// - Throws: ``RelayServerError`` for an unknown project or when no context can be found.
    public func injectCall(
        from: String = "+12015550199", to: String = "+12015550000", context: String? = nil, script: PartyBehavior = .human,
        project: String? = nil, ringTimeout: Double = 30
    ) async throws -> CallSnapshot {
        try await injectCall(from: from, to: to, context: context, script: script, project: project, ringTimeout: ringTimeout, realMedia: false)
    }

    /// ``injectCall(from:to:context:script:project:ringTimeout:)`` for a call whose caller is
    /// real (a SIP leg): its media verbs play and record for real, on real time.
    func injectCall(
        from: String, to: String, context: String?, script: PartyBehavior, project: String?, ringTimeout: Double, realMedia: Bool
    ) async throws -> CallSnapshot {
        guard let project = hub.registry.project(id: project) else { throw RelayServerError(message: "unknown project '\(project ?? "")'") }
        guard let context = context ?? hub.world.routes[to] else {
            throw RelayServerError(message: "give a context, or a 'to' number the world routes to a context")
        }
        guard
            let call = await hub.injectCall(
                project: project, from: from, to: to, context: context, behavior: script, ringTimeout: ringTimeout, realMedia: realMedia)
        else { throw RelayServerError(message: "the server is shutting down") }
        return call
    }

    /// A call with its timeline, or `nil` when unknown.
    public func call(id: String) async -> CallSnapshot? { await hub.callSnapshot(id: id) }

    /// The timeline of a call (every state, what was played, collected, recorded…).
    public func timeline(callID: String) async -> [TimelineEntry] { await hub.callSnapshot(id: callID)?.timeline ?? [] }

    /// Every call known (live and recent), oldest first; optionally of one project.
    public func calls(project: String? = nil) async -> [CallSnapshot] { await hub.callSnapshots(project: project) }

    /// Injects an inbound SMS/MMS delivered as `messaging.receive` to one session on `context`.
    /// - Throws: ``DeliveryError`` when nobody receives the context.
    public func injectMessage(
        from: String, to: String, context: String? = nil, body: String, media: [String] = [], tags: [String] = [], project: String? = nil
    ) async throws -> MessageRecord {
        guard let project = hub.registry.project(id: project) else { throw DeliveryError.unknownProject(project ?? "") }
        guard let context = context ?? hub.world.routes[to] else { throw RelayServerError(message: "give a context, or a 'to' number the world routes") }
        return try hub.messaging.inject(project: project, from: from, to: to, context: context, body: body, media: media, tags: tags)
    }

    /// Messages handled so far; `direction` `outbound` (sent by clients) or `inbound`.
    public func messages(direction: String? = nil, project: String? = nil) async -> [MessageRecord] {
        hub.messaging.snapshots(project: project, direction: direction)
    }

    /// Delivers a task to one session receiving `context`, like `POST /api/relay/rest/tasks`.
    /// - Throws: ``DeliveryError`` when nobody receives the context or the project is unknown.
    public func deliverTask(context: String, message: JSONValue, project: String? = nil) async throws {
        guard let project = hub.registry.project(id: project) else { throw DeliveryError.unknownProject(project ?? "") }
        _ = try hub.tasks.deliver(project: project, context: context, message: message)
    }

    /// Tasks delivered (or refused for want of a consumer), oldest first.
    public func tasks() async -> [TaskRecord] { hub.tasks.snapshots }

    /// Sessions (connected, or disconnected within the resume grace period).
    public func sessions() async -> [SessionSnapshot] { hub.registry.snapshots }

    /// Frames sent and received by a session (oldest first), or `nil` for an unknown session.
    public func journal(sessionID: String) async -> [JournalEntry]? { hub.registry.session(id: sessionID)?.journal }

    /// Closes sockets without `blade.disconnect` (all, or one session's). Sessions stay resumable.
    @discardableResult
    public func dropSessions(sessionID: String? = nil) async -> Int { hub.registry.drop(sessionID: sessionID) }

    /// Sets faults for one session, or for everyone when `sessionID` is `nil`.
    /// - Throws: ``RelayServerError`` for an unknown session.
    public func setFaults(_ faults: SessionFaults, sessionID: String? = nil) async throws {
        guard hub.registry.setFaults(faults, sessionID: sessionID) else { throw RelayServerError(message: "unknown session '\(sessionID ?? "")'") }
    }

    /// Removes every injected fault.
    public func clearFaults() async { hub.registry.clearFaults() }

    /// Simulates a service restart: `blade.disconnect` to every v2 client and
    /// `signalwire.disconnect {restart:false}` to every v3 client, then every socket closes.
    /// Sessions stay resumable; clients reconnect.
    public func restart() async { hub.registry.disconnectAll(closeSockets: true) }

    /// Tells one session (or every session) that the server is going away, in its dialect: v3
    /// sessions get `signalwire.disconnect {restart}` and their socket closes once the client
    /// answers (or after a second); with `restart: true` the session is forgotten at once when
    /// it closes (its calls are hung up) instead of staying resumable. v2 sessions get
    /// `blade.disconnect` and their socket closes. Returns how many connections were told.
    @discardableResult
    public func disconnect(sessionID: String? = nil, restart: Bool = false) async -> Int {
        hub.registry.disconnectAll(closeSockets: true, restart: restart, sessionID: sessionID)
    }

    /// Sends `blade.disconnect` (v2) or `signalwire.disconnect {restart:false}` (v3) to every
    /// client, closes every socket and waits (up to
    /// `timeout`) until the writers have flushed. Call before cancelling ``run()`` when the server
    /// is not run under a `ServiceGroup` (whose graceful shutdown does this itself).
    public func disconnectAllAndWait(timeout: Duration = .seconds(2)) async {
        await hub.beginShutdown()
        let deadline = ContinuousClock.now + timeout
        while await hub.openConnectionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Replaces the simulated world (numbers, routes, scripts) for calls created from now on.
    public func setWorld(_ world: SimulatedWorld) async { hub.setWorld(world) }

    /// A named caller script from the world file.
    public func script(named name: String) async -> PartyBehavior? { hub.world.scripts[name] }

    // MARK: - Simulated time

    /// How simulated time passes in this server.
    public var clockMode: ClockMode { hub.clock.mode }

    /// Simulated seconds since the server started.
    public var simulatedTime: Double { hub.clock.now }

    /// With the manual clock: moves simulated time forward by `seconds`, firing every timer
    /// that falls due in order (rings, prompts, recordings, message states…). Returns how many
    /// fired. Does nothing with the scaled clock.
    @discardableResult
    public func advanceClock(by seconds: Double) async -> Int { await hub.clock.advance(by: seconds) }

    /// With the manual clock: the timers waiting and the simulated time of the next one.
    public var pendingTimers: (count: Int, next: Double?) { hub.clock.pendingTimers }
}

/// An error from the server's in-process API, with a message safe to show.
public struct RelayServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// An error with this message.
    public init(message: String) { self.message = message }
    public var description: String { message }
}


