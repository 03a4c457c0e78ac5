import Foundation
import Logging
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

/// Faults on purpose: drops, silence, restarts, redelivered and reordered events, and logs
/// that must never carry a token. Each test is bounded in time. Figures go to
/// docs/RELIABILITY.md (printed as `reliability:` lines).
@Suite("Reliability", .timeLimit(.minutes(5)))  // a hang fails in bounded time instead of stalling CI
struct ReliabilityTests {
    @Test(.timeLimit(.minutes(2)), arguments: bothGenerations)
    func hundredDropsDuringLiveCallFlows(generation: WireGeneration) async throws {
        let tally = Tally()
        try await withRelayServer(speed: 40) { server in
            try await withClient(server, generation: generation) { client in
                let flowsDone = Flag()
                let dropsDone = Flag()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The dropper: 100 socket drops at random moments (bounded in time too).
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        var drops = 0
                        let giveUp = ContinuousClock.now + .seconds(60)
                        while drops < 100, !flowsDone.value, ContinuousClock.now < giveUp {
                            try await Task.sleep(for: .milliseconds(Int.random(in: 5...40, using: &generator)))
                            if await server.dropSessions() > 0 { drops += 1 }
                        }
                        tally.add("drops", count: drops)
                        dropsDone.set()
                    }
                    group.addTask {
                        try await withThrowingTaskGroup(of: Void.self) { flows in
                            // A watchdog turns a hang into a counted failure instead of a stuck test.
                            flows.addTask {
                                try? await Task.sleep(for: .seconds(100))
                                if !flowsDone.value { tally.add("watchdog-fired") }
                            }
                            for index in 0..<24 {
                                flows.addTask {
                                  // Each worker keeps making call flows until the 100 drops are done.
                                  repeat {
                                    do {
                                        let dial = try await client.calling.dial(from: "+12029999999", to: index.isMultiple(of: 2) ? "+12015550106" : "+12015550100")
                                        guard dial.successful else {
                                            tally.add("dial-unsuccessful")
                                            continue
                                        }
                                        let call = dial.call
                                        _ = try await call.playSilence(duration: 1)
                                        _ = try await call.promptTTS(.digits(max: 8, terminators: "#", initialTimeout: 2), text: "PIN")
                                        _ = try await call.record(endSilenceTimeout: 1)
                                        _ = try await call.hangup()
                                        tally.add("completed")
                                    } catch let error as RelayError {
                                        switch error.code {
                                        case .connectionLost: tally.add("failed-connectionLost")
                                        case .timeout: tally.add("failed-timeout")
                                        default: tally.add("failed-other \(error)")
                                        }
                                    } catch is CancellationError {
                                        tally.add("hung")
                                        return
                                    }
                                  } while !dropsDone.value
                                  tally.add("worker-done")
                                }
                            }
                            // Wait for the 24 workers, then stop the watchdog.
                            while tally["worker-done"] + tally["hung"] < 24 {
                                if tally["watchdog-fired"] > 0 {
                                    flows.cancelAll()
                                    break
                                }
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            flowsDone.set()
                            flows.cancelAll()
                        }
                    }
                    try await group.waitForAll()
                }
                print("reliability: drops during call flows on 24 concurrent workers: \(tally.summary)")
                #expect(tally["hung"] == 0 && tally["watchdog-fired"] == 0, "no await hung: \(tally.summary)")
                #expect(tally["worker-done"] == 24, "every worker ended: \(tally.summary)")
                #expect(tally["drops"] == 100, "100 drops during live flows: \(tally.summary)")
                #expect(!tally.summary.contains("failed-other"), "only timeouts or lost connections: \(tally.summary)")
                #expect(tally["completed"] >= 1, "calls keep going across drops: \(tally.summary)")
                // Nothing ran twice: each request id reached the server's engine once.
                let executes = await sentFrames(server).filter { frame in
                    let method = frame["method"]?.stringValue ?? ""
                    return method == BladeMethod.execute || method.hasPrefix("calling.")
                }
                let ids = executes.compactMap { $0["id"]?.stringValue }
                let resent = ids.count - Set(ids).count
                print("reliability: \(ids.count) execute frames received, \(resent) resent after a resume")
                #expect(await eventually { client.connected })
                let after = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                #expect(after.successful, "the client still works after 100 drops")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: bothGenerations)
    func delayedAndDuplicatedEventsRunHandlersOnce(generation: WireGeneration) async throws {
        try await withRelayServer(speed: 40) { server in
            try await withClient(server, generation: generation) { client in
                try await server.setFaults(SessionFaults(eventDelay: 0.02, duplicateEvents: true))
                let call = try await answeredCall(client, to: "+12015550106")
                let finished = Mutex(0)
                let states = Mutex<[String]>([])
                call.on(.playFinished) { _ in finished.withLock { $0 += 1 } }
                call.on(.stateChange) { event in states.withLock { $0.append(event.state ?? "?") } }
                for _ in 0..<5 {
                    let play = try await call.playSilence(duration: 0.2)
                    #expect(play.successful)
                }
                let pin = try await call.promptTTS(.digits(max: 8, terminators: "#"), text: "PIN")
                #expect(pin.result == "1234")
                _ = try await call.hangup()
                #expect(finished.withLock { $0 } == 5, "one play.finished per play despite duplicates")
                #expect(states.withLock { $0 } == ["ending", "ended"])
                print("reliability: duplicated+delayed events: 5 plays, \(finished.withLock { $0 }) finished callbacks")
            }
        }
    }

    // 3 minutes: with a 16-frame queue the socket can overflow while the 24 calls are set up,
    // and each overflow costs a 3 s reconnect here.
    @Test(.timeLimit(.minutes(3)), arguments: bothGenerations)
    func aSessionThatLostEventsIsNotResumedAndNothingWaitsForever(generation: WireGeneration) async throws {
        let configuration = {
            var configuration = testConfiguration()
            // Away long enough for the test to finish every play before the client is back.
            configuration.reconnectInitialDelay = .seconds(3)
            configuration.reconnectMaximumDelay = .seconds(3)
            return configuration
        }()
        // On the manual clock the plays finish exactly when the test moves time, while the client
        // is away, however loaded the machine (at a fixed speed a slow run let the client come
        // back first, and nothing was lost).
        try await withRelayTestServer(configure: { $0.outboundBufferLimit = 16; $0.clockMode = .manual }) { testServer in
            let server = testServer.server
            try await withClient(server, generation: generation, configuration: configuration) { client in
                var calls: [Call] = []
                for _ in 0..<24 {
                    let dial = try await dialThroughOneRing(client, server)
                    try #require(dial.successful)
                    calls.append(dial.call)
                }
                var plays: [PlayAction] = []
                for call in calls { plays.append(try await call.playAsync([.silence(duration: 50)])) }
                #expect(await server.dropSessions() == 1)
                // 24 plays finish while the client is away: more events than the server keeps.
                await server.advanceClock(by: 60)
                var results: [PlayResult] = []
                for play in plays { results.append(try await play.wait()) }
                #expect(results.count == 24, "every wait returned")
                #expect(await eventually { client.connected })
                let lost = results.filter { !$0.successful }.count
                #expect(lost > 0, "the server could not keep every event, and said so by not resuming")
                #expect(calls.allSatisfy { !$0.active }, "calls of the lost session ended locally")
                let fresh = try await dialThroughOneRing(client, server)
                #expect(fresh.successful, "the new session works")
                print("reliability: buffer overflow while away: \(24 - lost) plays finished, \(lost) failed fast, none waited forever")
            }
        }
    }

    @Test func reorderedEventsKeepResultsCorrect() async throws {
        // A scripted peer answers calling.play, then sends `finished` before `playing`.
        let controlID = Mutex<String?>(nil)
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue else { return nil }
            if frame["params"]?["method"]?.stringValue == RelayMethod.play {
                controlID.withLock { $0 = frame["params"]?["params"]?["control_id"]?.stringValue }
            }
            return [BladeFrame.result(id: id, result: ["result": ["code": "200", "message": "OK"]]).json.jsonString]
        }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: quietLogger)
            try await client.connect()
            let call = client.calling.newCall(from: "+1", to: "+2")
            let dial = Task { try await call.dial() }
            #expect(await eventually { peer.received.contains { $0["params"]?["method"]?.stringValue == RelayMethod.begin } })
            func state(_ value: String, id: Int) -> String {
                let params: JSONValue = ["call_id": "call-1", "node_id": "node-1", "tag": .string(call.tag), "call_state": .string(value)]
                return scriptedBroadcast(peer: peer, id: "s\(id)", type: RelayEventName.callState, params: params)
            }
            // answered arrives before created and ringing.
            try await peer.push(state("answered", id: 3))
            try await peer.push(state("created", id: 1))
            try await peer.push(state("ringing", id: 2))
            let dialResult = try await dial.value
            #expect(dialResult.successful)
            let play = try await call.playAsync([.silence(duration: 1)])
            let control = try #require(controlID.withLock { $0 })
            func playEvent(_ value: String, id: Int) -> String {
                scriptedBroadcast(peer: peer, id: "p\(id)", type: RelayEventName.callPlay, params: ["call_id": "call-1", "node_id": "node-1", "control_id": .string(control), "state": .string(value)])
            }
            try await peer.push(playEvent("finished", id: 2))
            try await peer.push(playEvent("playing", id: 1))
            let result = try await play.wait()
            #expect(result.successful)
            #expect(play.state == "finished", "a late 'playing' does not reopen a finished play")
            await client.disconnect()
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: bothGenerations)
    func projectsNeverSeeEachOthersTraffic(generation: WireGeneration) async throws {
        let other = RelayProject(id: "other-project", token: "other-token")
        try await withRelayServer(speed: 200, projects: [.default, other]) { server in
            try await withClient(server, generation: generation) { mine in
                try await withClient(server, project: other, generation: generation) { theirs in
                    let seen = Tally()
                    try await mine.calling.receive(contexts: ["office"]) { _ in seen.add("mine-call") }
                    try await theirs.calling.receive(contexts: ["office"]) { _ in seen.add("theirs-call") }
                    try await mine.messaging.receive(contexts: ["office"]) { _ in seen.add("mine-message") }
                    try await theirs.messaging.receive(contexts: ["office"]) { _ in seen.add("theirs-message") }
                    try await mine.tasking.receive(contexts: ["office"]) { _ in seen.add("mine-task") }
                    try await theirs.tasking.receive(contexts: ["office"]) { _ in seen.add("theirs-task") }
                    let rounds = 500
                    for index in 0..<rounds {
                        let project = index.isMultiple(of: 2) ? RelayProject.default.id : other.id
                        _ = try await server.injectCall(from: "+12015550100", to: "+12025550000", context: "office", project: project, ringTimeout: 3600)
                        _ = try await server.injectMessage(from: "+12015550100", to: "+12025550000", context: "office", body: "\(index)", project: project)
                        try await server.deliverTask(context: "office", message: ["n": .int(index)], project: project)
                    }
                    let half = rounds / 2
                    #expect(await eventually(timeout: .seconds(20)) {
                        seen["mine-call"] == half && seen["theirs-call"] == half && seen["mine-message"] == half
                            && seen["theirs-message"] == half && seen["mine-task"] == half && seen["theirs-task"] == half
                    }, "each project saw exactly its own: \(seen.summary)")
                    print("reliability: isolation over \(rounds * 3) events: \(seen.summary)")
                }
            }
        }
    }

    @Test(arguments: bothGenerations)
    func theTokenNeverAppearsInAnyLog(generation: WireGeneration) async throws {
        let sink = LogSink()
        let secret = "PT-secret-token-\(UUID().uuidString)"
        let project = RelayProject(id: "secret-project", token: secret)
        let logger = Logger(label: "test.capture", factory: { _ in CapturingHandler(sink: sink) })
        let server = RelayServer(configuration: .init(port: 0, projects: [project], speed: 100), logger: {
            var logger = logger
            logger.logLevel = .trace
            return logger
        }())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            _ = try await server.waitUntilRunning()
            var clientLogger = logger
            clientLogger.logLevel = .trace
            let client = try RelayClient(project: project.id, token: secret, host: server.url ?? "", configuration: testConfiguration(generation), logger: clientLogger)
            try await client.connect()
            _ = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
            _ = await server.dropSessions()
            #expect(await eventually { client.connected })
            await client.disconnect()
            let wrong = try RelayClient(project: project.id, token: secret + "x", host: server.url ?? "", configuration: testConfiguration(generation), logger: clientLogger)
            await #expect(throws: RelayError.self) { try await wrong.connect() }
            group.cancelAll()
        }
        let lines = sink.lines
        #expect(lines.count > 10, "trace logging produced lines")
        #expect(!lines.contains { $0.contains(secret) }, "no log line carries the token")
        print("reliability: \(lines.count) log lines at trace level, none with the token")
    }

    @Test(.timeLimit(.minutes(5)))
    func soakManyConcurrentCallsKeepsMemoryFlat() async throws {
        try await withRelayServer(speed: 1000) { server in
            // A memory soak, not a latency test: on a loaded machine a debug build needs more
            // than the usual 5 s for a reply in a burst of 1,000 flows.
            var configuration = testConfiguration()
            configuration.executeTimeout = .seconds(60)
            try await withClient(server, configuration: configuration) { client in
                func round() async throws {
                    let done = Tally()
                    try await withThrowingDiscardingTaskGroup { group in
                        group.addTask {
                            while done["done"] < 1000 {
                                try await Task.sleep(for: .seconds(5))
                                print("soak: round progress done=\(done["done"]) connected=\(client.connected) sessions=\(await server.sessions().map { "\($0.connected)/\($0.restoredCount)" })")
                            }
                        }
                        for _ in 0..<1000 {
                            group.addTask {
                                do {
                                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                                _ = try await dial.call.playSilence(duration: 0.5)
                                _ = try await dial.call.hangup()
                                } catch { print("soak: flow failed: \(error)"); done.add("done"); throw error }
                                done.add("done")
                            }
                        }
                    }
                }
                try await round()
                let first = residentBytes()
                for _ in 0..<2 { try await round() }
                let last = residentBytes()
                let growth = Double(last - first) / 1_048_576
                print("reliability: soak 3 × 1000 concurrent calls: RSS \(first / 1_048_576) MiB → \(last / 1_048_576) MiB")
                #expect(client.calling.activeCalls.isEmpty, "ended calls are forgotten")
                #expect(growth < 64, "memory stays flat across rounds (grew \(growth) MiB)")
            }
        }
    }
}

/// Outcome counts of one call flow under faults.
final class Tally: Sendable {
    let counts = Mutex<[String: Int]>([:])
    func add(_ key: String, count: Int = 1) { counts.withLock { $0[key, default: 0] += count } }
    /// Flows that completed or failed, however.
    var flowsEnded: Int {
        counts.withLock { counts in
            counts.filter { $0.key == "completed" || $0.key == "hung" || $0.key.hasPrefix("failed-") || $0.key == "dial-unsuccessful" }.values.reduce(0, +)
        }
    }
    subscript(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    var summary: String { counts.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } }
}


func scriptedBroadcast(peer: ScriptedPeer, id: String, type: String, params: JSONValue) -> String {
    let notification: JSONValue = ["event_type": .string(type), "event_channel": .string(peer.protocolName), "timestamp": 1.0, "project_id": "p", "space_id": "s", "params": params]
    let broadcast = BroadcastParams(protocolName: peer.protocolName, event: RelayEventName.calling, notification: notification)
    return BladeFrame.request(id: id, method: BladeMethod.broadcast, params: broadcast.json).json.jsonString
}


final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)
    var value: Bool { raised.load(ordering: .relaxed) }
    func set() { raised.store(true, ordering: .relaxed) }
}

final class LogSink: Sendable {
    private let stored = Mutex<[String]>([])
    func append(_ line: String) { stored.withLock { $0.append(line) } }
    var lines: [String] { stored.withLock { $0 } }
}

struct CapturingHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 }) \(event.source)")
    }
}

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * 4096
}
