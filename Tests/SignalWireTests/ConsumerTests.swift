import Foundation
import Logging
import RelayServer
import RelayWire
import ServiceLifecycle
import SignalWire
import Synchronization
import Testing

final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])
    func withLock<T>(_ body: (inout [String]) -> T) -> T { entries.withLock { body(&$0) } }
}

/// A consumer whose handlers report to the test.
struct RecordingConsumer: Consumer {
    let project: String?
    let token: String?
    let host: String?
    var contexts: [String]
    let log: EventLog
    let generation: WireGeneration
    var callHandler: @Sendable (Call) async throws -> Void = { _ in }
    var configuration: RelayConfiguration { testConfiguration(generation) }
    var shutdownGracePeriod: Duration { .seconds(5) }
    var logger: Logger { Logger(label: "test.consumer", factory: { _ in SwiftLogNoOpLogHandler() }) }

    init(
        server: RelayServer, project: RelayProject = .default, contexts: [String] = ["office"], log: EventLog = EventLog(),
        generation: WireGeneration = .bladeV2
    ) {
        self.generation = generation
        self.project = project.id
        token = project.token
        host = server.url
        self.contexts = contexts
        self.log = log
    }

    func record(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }

    func setup() async throws { record("setup") }
    func ready(client: RelayClient) async { record("ready") }
    func teardown() async { record("teardown") }
    func onIncomingCall(_ call: Call) async throws {
        record("call \(call.from)")
        try await callHandler(call)
    }
    func onTask(_ message: JSONValue) async throws { record("task \(message["job"]?.stringValue ?? "?")") }
    func onIncomingMessage(_ message: Message) async throws { record("message \(message.body ?? "")") }
    func onMessageStateChange(_ message: Message) async throws { record("state \(message.state)") }
}

/// Runs `consumer` in a ServiceGroup, runs `body`, then shuts the group down gracefully.
func withConsumer<C: Consumer>(_ consumer: C, _ body: @Sendable () async throws -> Void) async throws {
    let service = try ConsumerService(consumer)
    let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test.group", factory: { _ in SwiftLogNoOpLogHandler() })))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

@Suite("Consumer, messaging and tasks", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct ConsumerTests {
    @Test func missingConfigurationFailsAtOnce() async throws {
        try await withRelayServer { server in
            var noContexts = RecordingConsumer(server: server)
            noContexts.contexts = []
            #expect(throws: RelayError.missingConfiguration("contexts (at least one)")) { try ConsumerService(noContexts, environment: [:]) }
            struct Bare: Consumer { var contexts: [String] { ["office"] } }
            #expect(throws: RelayError.self) { try ConsumerService(Bare(), environment: [:]) }
            let fromEnvironment = try ConsumerService(Bare(), environment: ["SIGNALWIRE_PROJECT": "p", "SIGNALWIRE_TOKEN": "t", "SIGNALWIRE_HOST": "ws://127.0.0.1:9"])
            #expect(fromEnvironment.consumer.contexts == ["office"])
        }
    }

    @Test(arguments: bothGenerations) func wrongTokenFailsRun(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let consumer = RecordingConsumer(server: server, project: RelayProject(id: "local-project", token: "nope"), generation: generation)
            await #expect {
                try await ConsumerService(consumer).run()
            } throws: { error in
                guard (error as? RelayError)?.code == .authenticationFailed else { return false }
                return true
            }
        }
    }

    @Test(arguments: bothGenerations) func inboundCallsMessagesAndTasksReachTheHandlers(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            var configured = RecordingConsumer(server: server, generation: generation)
            configured.callHandler = { call in
                _ = try await call.answer()
                _ = try await call.playTTS(text: "Hello")
                _ = try await call.hangup()
            }
            let consumer = configured
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                let call = try await server.injectCall(from: "+12015550100", to: "+12025550000", context: "office", ringTimeout: 3600)
                _ = try await server.injectMessage(from: "+12015550100", to: "+12025550000", context: "office", body: "hi there")
                try await server.deliverTask(context: "office", message: ["job": "report"])
                #expect(await eventually {
                    let entries = consumer.entries
                    return entries.contains("call +12015550100") && entries.contains("message hi there") && entries.contains("task report")
                })
                #expect(await eventually { await server.call(id: call.id)?.state.rawValue == "ended" }, "the handler answered, played and hung up")
            }
            #expect(consumer.entries.first == "setup")
            #expect(consumer.entries.last == "teardown")
        }
    }

    @Test(arguments: bothGenerations) func aSlowHandlerDoesNotBlockAnother(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let release = Mutex<Bool>(false)
            var configured = RecordingConsumer(server: server, generation: generation)
            configured.callHandler = { call in
                if call.from == "+12015550001" {
                    while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                }
            }
            let consumer = configured
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                _ = try await server.injectCall(from: "+12015550001", to: "+12025550000", context: "office", ringTimeout: 3600)
                #expect(await eventually { consumer.entries.contains("call +12015550001") })
                _ = try await server.injectCall(from: "+12015550002", to: "+12025550000", context: "office", ringTimeout: 3600)
                #expect(await eventually { consumer.entries.contains("call +12015550002") }, "second call handled while the first is busy")
                release.withLock { $0 = true }
            }
        }
    }

    @Test(arguments: bothGenerations) func gracefulShutdownLetsRunningHandlersFinish(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            var configured = RecordingConsumer(server: server, generation: generation)
            let log = configured.log
            configured.callHandler = { call in
                try await Task.sleep(for: .milliseconds(300))
                log.withLock { $0.append("finished \(call.from)") }
            }
            let consumer = configured
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                _ = try await server.injectCall(from: "+12015550009", to: "+12025550000", context: "office", ringTimeout: 3600)
                #expect(await eventually { consumer.entries.contains("call +12015550009") })
            }
            let entries = consumer.entries
            #expect(entries.contains("finished +12015550009"), "the running handler finished before teardown")
            #expect(entries.last == "teardown")
        }
    }

    @Test(arguments: bothGenerations) func messagesReportTheirStates(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let consumer = RecordingConsumer(server: server, generation: generation)
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                let client = try RelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(generation), logger: quietLogger)
                try await client.connect()
                let sent = try await client.messaging.send(context: "office", from: "+12029999999", to: "+12015550100", body: "Your code is 1234")
                #expect(sent.successful)
                #expect(await eventually { consumer.entries.contains("state delivered") })
                // Each event runs in its own handler task, so handlers may finish in any order.
                let states = consumer.entries.filter { $0.hasPrefix("state ") }
                #expect(Set(states) == ["state queued", "state initiated", "state sent", "state delivered"])
                #expect(states.count == 4)
                let failed = try await client.messaging.send(context: "office", from: "+12029999999", to: "+12015550110", body: "lost")
                #expect(failed.successful)
                #expect(await eventually { consumer.entries.contains("state undelivered") })
                await client.disconnect()
            }
        }
    }

    @Test(arguments: bothGenerations) func relayTaskDeliversOverHTTP(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let consumer = RecordingConsumer(server: server, generation: generation)
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                let task = RelayTask(project: "local-project", token: "local-token", host: server.httpURL ?? "")
                let delivered = try await task.deliver(context: "office", message: ["job": "nightly"])
                #expect(delivered)
                #expect(await eventually { consumer.entries.contains("task nightly") })
                let wrong = RelayTask(project: "local-project", token: "wrong", host: server.httpURL ?? "")
                let refused = try await wrong.deliver(context: "office", message: ["job": "x"])
                #expect(!refused, "bad credentials get 401")
            }
        }
    }

    /// `first` speaks `generation`, `second` the other one: the server shares a context's calls
    /// across wire generations.
    @Test(arguments: bothGenerations) func consumersShareACallExactlyOnceAndProjectsStayApart(generation: WireGeneration) async throws {
        let other = RelayProject(id: "other-project", token: "other-token")
        let otherGeneration: WireGeneration = generation == .bladeV2 ? .relayV3 : .bladeV2
        try await withRelayServer(projects: [.default, other]) { server in
            let first = RecordingConsumer(server: server, generation: generation)
            let second = RecordingConsumer(server: server, generation: otherGeneration)
            let outsider = RecordingConsumer(server: server, project: other, generation: generation)
            try await withConsumer(first) {
                try await withConsumer(second) {
                    try await withConsumer(outsider) {
                        #expect(await eventually { first.entries.contains("ready") && second.entries.contains("ready") && outsider.entries.contains("ready") })
                        for index in 0..<6 {
                            _ = try await server.injectCall(from: "+1201555\(String(format: "%04d", index))", to: "+12025550000", context: "office", ringTimeout: 3600)
                        }
                        #expect(await eventually {
                            (first.entries + second.entries).filter { $0.hasPrefix("call ") }.count == 6
                        })
                        try await Task.sleep(for: .milliseconds(100))
                        let calls = (first.entries + second.entries).filter { $0.hasPrefix("call ") }
                        #expect(Set(calls).count == 6, "each call delivered exactly once")
                        #expect(first.entries.contains { $0.hasPrefix("call ") } && second.entries.contains { $0.hasPrefix("call ") }, "spread across consumers")
                        #expect(!outsider.entries.contains { $0.hasPrefix("call ") }, "another project never sees them")
                    }
                }
            }
        }
    }
}
