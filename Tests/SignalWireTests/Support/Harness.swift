import Foundation
import Logging
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Testing

/// Runs a local Relay server on a free loopback port for the duration of `body`, through
/// the same `RelayTesting` module users import in their own tests.
func withRelayServer<T: Sendable>(
    speed: Double = 200,
    projects: [RelayProject] = [.default],
    world: SimulatedWorld = .standard,
    tls: RelayTLSFiles? = nil,
    _ body: @Sendable (RelayServer) async throws -> T
) async throws -> T {
    try await withRelayTestServer(speed: speed, projects: projects, world: world, configure: { configuration in
        configuration.tls = tls
        configuration.resumeGracePeriod = 10
        configuration.pingInterval = 1
    }) { testServer in
        try await body(testServer.server)
    }
}

/// Test timers: short enough that failures show in seconds.
func testConfiguration(_ generation: WireGeneration = .bladeV2) -> RelayConfiguration {
    var configuration = RelayConfiguration()
    configuration.wireGeneration = generation
    // Generous: on a loaded 2-core machine a debug build can take seconds to answer. Tests of
    // timeouts set their own.
    configuration.executeTimeout = .seconds(20)
    configuration.reconnectInitialDelay = .milliseconds(50)
    configuration.reconnectMaximumDelay = .milliseconds(400)
    configuration.pingInterval = .seconds(5)
    // A refused first connect fails at once: tests start their server first.
    configuration.firstConnectRetryTime = .zero
    return configuration
}

/// Both wire generations, for tests whose behaviour must not depend on the generation.
let bothGenerations: [WireGeneration] = [.bladeV2, .relayV3]

/// A connected client for the server's default project. `generation`, when given, replaces the
/// configuration's.
func withClient<T: Sendable>(
    _ server: RelayServer, project: RelayProject = .default, generation: WireGeneration? = nil,
    configuration: RelayConfiguration = testConfiguration(),
    _ body: @Sendable (RelayClient) async throws -> T
) async throws -> T {
    var configuration = configuration
    if let generation { configuration.wireGeneration = generation }
    let client = try RelayClient(project: project.id, token: project.token, host: server.url ?? "", configuration: configuration, logger: quietLogger)
    try await client.connect()
    do {
        let result = try await body(client)
        await client.disconnect()
        return result
    } catch {
        await client.disconnect()
        throw error
    }
}

/// Dials a simulated number and returns the answered call.
func answeredCall(_ client: RelayClient, to number: String = "+12015550100") async throws -> Call {
    let dial = try await client.calling.dial(from: "+12029999999", to: number)
    #expect(dial.successful, "dial to \(number) should be answered")
    return dial.call
}

/// Dials `number` on a server with the manual clock and moves time through one ring (2 s) once
/// the server has the call; returns the dial's result.
func dialThroughOneRing(_ client: RelayClient, _ server: RelayServer, to number: String = "+12015550100", timeout: Int? = nil) async throws -> DialResult {
    let before = await server.calls().count
    async let dialing = client.calling.dial(from: "+12029999999", to: number, timeout: timeout)
    #expect(await eventually { await server.calls().count > before })
    await server.advanceClock(by: 2)
    return try await dialing
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(20), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// The client → server frames the server journaled for the client's session(s).
func sentFrames(_ server: RelayServer) async -> [JSONValue] {
    var frames: [JSONValue] = []
    for session in await server.sessions() {
        for entry in await server.journal(sessionID: session.id) ?? [] where entry.direction == "in" {
            if let frame = try? JSONCodec.parse(entry.text) { frames.append(frame) }
        }
    }
    return frames
}

/// Params of every `method` command our client sent: inside `blade.execute` (v2) or bare (v3).
func sentCommands(_ server: RelayServer, method: String) async -> [JSONValue] {
    await sentFrames(server).compactMap { frame in
        if frame["method"]?.stringValue == method { return frame["params"] }
        guard frame["method"]?.stringValue == BladeMethod.execute, frame["params"]?["method"]?.stringValue == method else { return nil }
        return frame["params"]?["params"]
    }
}

/// Every event the server sent its clients, as `(event_type, params)`: `blade.broadcast` (v2)
/// or `signalwire.event` (v3; a redelivery of the same frame id counted once).
func deliveredEvents(_ server: RelayServer) async -> [(eventType: String, params: JSONValue)] {
    var events: [(eventType: String, params: JSONValue)] = []
    var seenV3IDs: Set<String> = []
    for session in await server.sessions() {
        for entry in await server.journal(sessionID: session.id) ?? [] where entry.direction == "out" {
            guard let frame = try? JSONCodec.parse(entry.text) else { continue }
            switch frame["method"]?.stringValue {
            case BladeMethod.broadcast:
                guard let notification = frame["params"]?["params"], let type = notification["event_type"]?.stringValue,
                    let params = notification["params"]
                else { continue }
                events.append((type, params))
            case V3Method.event:
                guard let params = frame["params"], let event = try? V3EventParams(json: params) else { continue }
                if let id = frame["id"]?.stringValue, !seenV3IDs.insert("\(session.id)/\(id)").inserted { continue }
                events.append((event.eventType, event.params))
            default:
                continue
            }
        }
    }
    return events
}

/// Tests keep the SDK's warnings about the faults they inject out of the output.
let quietLogger = Logger(label: "test.client", factory: { _ in SwiftLogNoOpLogHandler() })
