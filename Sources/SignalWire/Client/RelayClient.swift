import Foundation
import Logging
import RelayWire
import Synchronization

/// Facts about this SDK.
public enum SignalWireSDK {
    /// This SDK's version, sent to Relay in the `agent` field.
    public static let version = "0.1.0"
    /// SignalWire's Relay host, used when no host is given.
    public static let defaultHost = "relay.signalwire.com"
}

/// Connection-level events a client reports (`Relay.Client` events).
public enum ClientEvent: String, Sendable, Hashable, CaseIterable {
    /// The session is established; commands can be sent.
    case ready = "ready"
    /// A WebSocket connection opened.
    case socketOpen = "signalwire.socket.open"
    /// The WebSocket connection closed.
    case socketClose = "signalwire.socket.close"
    /// A frame arrived.
    case socketMessage = "signalwire.socket.message"
    /// The connection failed.
    case socketError = "signalwire.socket.error"
}

/// Identifies a listener added with `on(_:_:)`, for `off(_:_:)`.
public struct ListenerID: Sendable, Hashable {
    let value: Int
    private static let counter = Atomic<Int>(0)
    static func next() -> ListenerID { ListenerID(value: counter.wrappingAdd(1, ordering: .relaxed).newValue) }
}

/// One connection to Relay (`Relay.Client`): connects, keeps the session alive across drops,
/// and gives access to `calling`, `messaging` and `tasking`.
///
/// ```swift
/// let client = try RelayClient(project: project, token: token)
/// try await client.connect()
/// let dial = try await client.calling.dial(from: "+15551110000", to: "+15552220000")
/// ```
public final class RelayClient: Sendable {
    /// The project ID.
    public let project: String
    /// The host as given (see the README's table of host forms).
    public let host: String
    /// Outbound calls and inbound call handlers.
    public let calling: Calling
    /// Sending messages and receiving them.
    public let messaging: Messaging
    /// Receiving tasks.
    public let tasking: Tasking
    /// Where the client logs.
    public let logger: Logger

    let session: Session
    private let dispatcher: Dispatcher
    private let taskExecutor: EventLoopTaskExecutor

    /// Makes a client; nothing is sent until ``connect()``.
    ///
    /// Arguments win; whatever is left out is read from `SIGNALWIRE_PROJECT`,
    /// `SIGNALWIRE_TOKEN` and `SIGNALWIRE_HOST`, as ``Consumer`` does.
    ///
    /// - Parameters:
    ///   - project: the project ID.
    ///   - token: the project's API token.
    ///   - host: `relay.signalwire.com` (the default), a space host, `host:port` (TLS), or a
    ///     `ws://`/`wss://` URL such as the local server's `ws://127.0.0.1:8080`.
    ///   - configuration: timeouts, reconnects, TLS and the event loop group.
    ///   - logger: where the client logs; nothing below `info` unless you lower its level.
    ///   - environment: where the `SIGNALWIRE_*` variables are read.
    /// - Throws: ``RelayError`` with code `missingConfiguration` when project or token is
    ///   missing, `invalidHost` when the host cannot be used.
    public init(
        project: String? = nil, token: String? = nil, host: String? = nil,
        configuration: RelayConfiguration = RelayConfiguration(), logger: Logger = Logger(label: "signalwire.relay"),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RelayError) {
        guard let project = project ?? environment["SIGNALWIRE_PROJECT"], !project.isEmpty else {
            throw .missingConfiguration("project (pass it or set SIGNALWIRE_PROJECT)")
        }
        guard let token = token ?? environment["SIGNALWIRE_TOKEN"], !token.isEmpty else {
            throw .missingConfiguration("token (pass it or set SIGNALWIRE_TOKEN)")
        }
        let host = host ?? environment["SIGNALWIRE_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? SignalWireSDK.defaultHost
        self.project = project
        self.host = host
        self.logger = logger
        let endpoint = try RelayEndpoint(host: host)
        session = Session(project: project, token: token, endpoint: endpoint, configuration: configuration, logger: logger)
        calling = Calling(session: session, logger: logger)
        messaging = Messaging(session: session, logger: logger)
        tasking = Tasking(session: session, logger: logger)
        dispatcher = Dispatcher(calling: calling, messaging: messaging, tasking: tasking, logger: logger)
        taskExecutor = EventLoopTaskExecutor(session.eventLoop)
        dispatcher.client = WeakClient(self)
        session.attach(dispatcher)
    }

    /// Connects and returns once the session is ready. Later drops reconnect on their own.
    /// - Throws: `RelayError.authenticationFailed` for wrong credentials,
    ///   `RelayError.connectionFailed` when Relay cannot be reached.
    public func connect() async throws {
        try await session.start()
    }

    /// Closes the connection. Pending requests fail with `RelayError.notConnected`.
    public func disconnect() async {
        await session.stop()
        dispatcher.setConnected(false)
    }

    /// A task executor on the connection's event loop. Tasks that mostly await Relay (call
    /// flows, request loops) run with the fewest thread hops under it:
    /// `Task(executorPreference: client.executor) { … }` or
    /// `withTaskExecutorPreference(client.executor) { … }`. Keep CPU-heavy work elsewhere.
    public var executor: any TaskExecutor { taskExecutor }

    /// Whether the session is established right now.
    public var connected: Bool { dispatcher.isConnected }

    /// Adds a listener for a connection event; keep the returned id to remove it.
    @discardableResult
    public func on(_ event: ClientEvent, _ handler: @escaping @Sendable (RelayClient) -> Void) -> ListenerID {
        dispatcher.addListener(event, handler)
    }

    /// Removes one listener, or every listener of `event` when `id` is nil.
    public func off(_ event: ClientEvent, _ id: ListenerID? = nil) {
        dispatcher.removeListener(event, id)
    }

    /// Sends a Relay method and returns Relay's result: an escape hatch for methods this SDK
    /// does not model. On v2 it goes inside `blade.execute` and the inner result is returned;
    /// on v3 it goes as the bare method.
    public func execute(_ method: String, params: JSONValue) async throws -> JSONValue {
        try await session.execute(method, params: params)
    }

    /// Registers contexts with Relay (`signalwire.receive`) so inbound calls, messages and
    /// tasks on them are delivered to this client. Contexts already registered are skipped;
    /// all of them are registered again after a reconnect that did not resume the session.
    public func receive(contexts: [String]) async throws {
        let new = dispatcher.addContexts(contexts)
        guard !new.isEmpty else { return }
        do {
            _ = try await session.execute(RelayMethod.receive, params: ReceiveCommand(contexts: new).json)
            logger.info("receiving on contexts", metadata: ["contexts": "\(new.joined(separator: ","))"])
        } catch {
            dispatcher.removeContexts(new)
            throw error
        }
    }
}

struct WeakClient: Sendable {
    weak var value: RelayClient?
    init(_ value: RelayClient) { self.value = value }
}

/// Routes what the session reports to calling, messaging, tasking and client listeners.
final class Dispatcher: SessionHandler, Sendable {
    private struct Listeners {
        var byEvent: [ClientEvent: [(ListenerID, @Sendable (RelayClient) -> Void)]] = [:]
    }

    private let calling: Calling
    private let messaging: Messaging
    private let tasking: Tasking
    private let logger: Logger
    private let listeners = Mutex(Listeners())
    private let contexts = Mutex<[String]>([])
    private let connectedFlag = Atomic<Bool>(false)
    private let clientRef = Mutex<WeakClient?>(nil)

    init(calling: Calling, messaging: Messaging, tasking: Tasking, logger: Logger) {
        self.calling = calling
        self.messaging = messaging
        self.tasking = tasking
        self.logger = logger
    }

    var client: WeakClient? {
        get { clientRef.withLock { $0 } }
        set { clientRef.withLock { $0 = newValue } }
    }

    var isConnected: Bool { connectedFlag.load(ordering: .relaxed) }
    func setConnected(_ value: Bool) { connectedFlag.store(value, ordering: .relaxed) }

    func addListener(_ event: ClientEvent, _ handler: @escaping @Sendable (RelayClient) -> Void) -> ListenerID {
        let id = ListenerID.next()
        listeners.withLock { $0.byEvent[event, default: []].append((id, handler)) }
        return id
    }

    func removeListener(_ event: ClientEvent, _ id: ListenerID?) {
        listeners.withLock { state in
            if let id {
                state.byEvent[event]?.removeAll { $0.0 == id }
            } else {
                state.byEvent[event] = nil
            }
        }
    }

    func addContexts(_ requested: [String]) -> [String] {
        contexts.withLock { known in
            var new: [String] = []
            for context in requested where !known.contains(context) && !new.contains(context) { new.append(context) }
            known.append(contentsOf: new)
            return new
        }
    }

    func removeContexts(_ removed: [String]) {
        contexts.withLock { $0.removeAll { removed.contains($0) } }
    }

    private func emit(_ event: ClientEvent) {
        let handlers = listeners.withLock { $0.byEvent[event] ?? [] }
        guard !handlers.isEmpty, let client = client?.value else { return }
        for (_, handler) in handlers { handler(client) }
    }

    var handshakeContexts: [String] { contexts.withLock { $0 } }

    func sessionDidBecomeReady(restored: Bool, replacedSession: Bool, contextsSent: Bool) {
        setConnected(true)
        if replacedSession {
            logger.warning("Relay did not resume the previous session: its calls are ended locally")
            calling.abandonCalls(reason: "connectionLost")
        }
        let registered = contexts.withLock { $0 }
        if !restored, !contextsSent, !registered.isEmpty, let client = client?.value {
            // A new session knows none of our contexts: register them again. Fire and forget
            // from the loop, bounded by the execute timeout.
            let session = client.session
            let logger = self.logger
            session.eventLoop.execute {
                session.executeDetached(RelayMethod.receive, params: ReceiveCommand(contexts: registered).json) { error in
                    logger.error("could not register contexts again after reconnecting", metadata: ["error": "\(error)"])
                }
            }
        }
        emit(.ready)
    }

    func sessionDidReceive(_ notification: RelayNotification) {
        switch notification {
        case .calling(let event): calling.handle(event)
        case .messaging(let event, let received): messaging.handle(event, received: received)
        case .task(let task): tasking.handle(task)
        }
    }

    func sessionSocketEvent(_ event: ClientEvent, detail: String?) {
        if event == .socketClose { setConnected(false) }
        emit(event)
    }
}

extension Session {
    func clientLookup() -> RelayClient? {
        (handlerForLookup as? Dispatcher)?.client?.value
    }
}

/// Connects a client, runs `body` with it, and disconnects however `body` ends (returns,
/// throws or is cancelled): the scoped way to use a client in a script.
///
/// ```swift
/// try await withRelayClient(project: project, token: token) { client in
///     let dial = try await client.calling.dial(from: "+15551110000", to: "+15552220000")
///     if dial.successful { _ = try await dial.call.hangup() }
/// }
/// ```
public func withRelayClient<Result: Sendable>(
    project: String? = nil, token: String? = nil, host: String? = nil,
    configuration: RelayConfiguration = RelayConfiguration(), logger: Logger = Logger(label: "signalwire.relay"),
    _ body: (RelayClient) async throws -> Result
) async throws -> Result {
    let client = try RelayClient(project: project, token: token, host: host, configuration: configuration, logger: logger)
    do {
        try await client.connect()
        let result = try await body(client)
        await client.disconnect()
        return result
    } catch {
        await client.disconnect()
        throw error
    }
}
