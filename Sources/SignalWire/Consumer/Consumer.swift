import Foundation
import Logging
import RelayWire
import ServiceLifecycle
import Synchronization

/// A long-running worker that receives calls, messages and tasks on its contexts
/// (`Relay.Consumer`). Implement the handlers you need and call `run()`:
///
/// ```swift
/// struct Receptionist: Consumer {
///     var contexts = ["office"]
///     func onIncomingCall(_ call: Call) async throws {
///         _ = try await call.answer()
///         _ = try await call.playTTS(text: "Welcome to SignalWire!")
///     }
/// }
/// try await Receptionist().run()
/// ```
///
/// Every inbound event runs in its own child task, so a slow handler never holds up another.
/// `run()` stops on SIGTERM/SIGINT: it takes no new work, lets running handlers finish within
/// `shutdownGracePeriod`, calls `teardown()` and returns. To run a consumer inside your own
/// `ServiceGroup`, use `ConsumerService`.
public protocol Consumer: Sendable {
    /// Project ID; defaults to `SIGNALWIRE_PROJECT`.
    var project: String? { get }
    /// API token; defaults to `SIGNALWIRE_TOKEN`.
    var token: String? { get }
    /// Contexts to receive on. Must not be empty.
    var contexts: [String] { get }
    /// Relay host; defaults to `SIGNALWIRE_HOST`, then `relay.signalwire.com`.
    var host: String? { get }
    /// Connection tunables.
    var configuration: RelayConfiguration { get }
    /// How long running handlers may take to finish after a shutdown signal.
    var shutdownGracePeriod: Duration { get }
    /// Where the consumer and its client log.
    var logger: Logger { get }

    /// Called once before connecting.
    func setup() async throws
    /// Called each time the session is ready (after every reconnect too).
    func ready(client: RelayClient) async
    /// Called once when the consumer stops.
    func teardown() async

    /// Called for each inbound call on `contexts`, in its own child task.
    func onIncomingCall(_ call: Call) async throws
    /// Called for each task delivered on `contexts` (`RelayTask.deliver`).
    func onTask(_ message: JSONValue) async throws
    /// Called for each message received on `contexts`.
    func onIncomingMessage(_ message: Message) async throws
    /// Called when a message sent on `contexts` changes state.
    func onMessageStateChange(_ message: Message) async throws
}

extension Consumer {
    public var project: String? { nil }
    public var token: String? { nil }
    public var host: String? { nil }
    public var configuration: RelayConfiguration { RelayConfiguration() }
    public var shutdownGracePeriod: Duration { .seconds(30) }
    public var logger: Logger { Logger(label: "signalwire.consumer") }

    public func setup() async throws {}
    public func ready(client: RelayClient) async {}
    public func teardown() async {}
    public func onIncomingCall(_ call: Call) async throws {}
    public func onTask(_ message: JSONValue) async throws {}
    public func onIncomingMessage(_ message: Message) async throws {}
    public func onMessageStateChange(_ message: Message) async throws {}

    /// Connects, serves until SIGTERM or SIGINT, then shuts down gracefully.
    /// - Throws: `RelayError.missingConfiguration` at once when project, token or contexts
    ///   are missing; `RelayError.authenticationFailed` for wrong credentials.
    public func run() async throws {
        let service = try ConsumerService(self)
        let group = ServiceGroup(
            configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Runs a `Consumer` as a swift-service-lifecycle `Service`, for use in your own
/// `ServiceGroup` next to an HTTP server or other services.
public struct ConsumerService: Service {
    /// The consumer this service runs.
    public let consumer: any Consumer
    let project: String
    let token: String
    let host: String

    /// Resolves the configuration up front so mistakes surface before anything runs.
    public init(_ consumer: any Consumer, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.consumer = consumer
        guard let project = consumer.project ?? environment["SIGNALWIRE_PROJECT"], !project.isEmpty else {
            throw RelayError.missingConfiguration("project (set it on the consumer or in SIGNALWIRE_PROJECT)")
        }
        guard let token = consumer.token ?? environment["SIGNALWIRE_TOKEN"], !token.isEmpty else {
            throw RelayError.missingConfiguration("token (set it on the consumer or in SIGNALWIRE_TOKEN)")
        }
        guard !consumer.contexts.isEmpty else { throw RelayError.missingConfiguration("contexts (at least one)") }
        self.project = project
        self.token = token
        host = consumer.host ?? environment["SIGNALWIRE_HOST"] ?? SignalWireSDK.defaultHost
    }

    public func run() async throws {
        try await consumer.setup()
        let client = try RelayClient(project: project, token: token, host: host, configuration: consumer.configuration, logger: consumer.logger)
        let (work, inbox) = AsyncStream.makeStream(of: InboundWork.self, bufferingPolicy: .bufferingOldest(4096))
        let consumer = self.consumer
        let contexts = consumer.contexts
        client.calling.setInboundHandler(contexts: contexts) { inbox.yield(.call($0)) }
        client.tasking.setHandler(contexts: contexts) { inbox.yield(.task($0)) }
        client.messaging.setReceiveHandler(contexts: contexts) { inbox.yield(.message($0)) }
        client.messaging.setStateHandler(contexts: contexts) { inbox.yield(.messageState($0)) }
        client.on(.ready) { client in inbox.yield(.ready(client)) }

        do {
            try await client.connect()
            try await client.receive(contexts: contexts)
        } catch {
            await client.disconnect()
            await consumer.teardown()
            throw error
        }

        let grace = consumer.shutdownGracePeriod
        let logger = consumer.logger
        let running = RunningCount()
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await item in work {
                    running.value.add(1, ordering: .relaxed)
                    group.addTask {
                        await Self.handle(item, consumer: consumer, logger: logger)
                        running.value.subtract(1, ordering: .relaxed)
                    }
                }
            } onGracefulShutdown: {
                // Take no new work; the loop above ends and running handlers drain.
                logger.info("consumer shutting down: finishing running handlers")
                inbox.finish()
            }
            let deadline = ContinuousClock.now + grace
            while running.value.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if running.value.load(ordering: .relaxed) > 0 {
                logger.warning("grace period over: cancelling running handlers", metadata: ["running": "\(running.value.load(ordering: .relaxed))"])
            }
            group.cancelAll()
        }
        await client.disconnect()
        await consumer.teardown()
    }

    enum InboundWork: Sendable {
        case call(Call)
        case task(JSONValue)
        case message(Message)
        case messageState(Message)
        case ready(RelayClient)
    }

    private static func handle(_ item: InboundWork, consumer: any Consumer, logger: Logger) async {
        do {
            switch item {
            case .call(let call): try await consumer.onIncomingCall(call)
            case .task(let message): try await consumer.onTask(message)
            case .message(let message): try await consumer.onIncomingMessage(message)
            case .messageState(let message): try await consumer.onMessageStateChange(message)
            case .ready(let client): await consumer.ready(client: client)
            }
        } catch is CancellationError {
            logger.debug("handler cancelled")
        } catch {
            logger.error("consumer handler failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Handlers still running, for the shutdown drain.
private final class RunningCount: Sendable {
    let value = Atomic<Int>(0)
}
