import Foundation
import Logging
import NIOCore
import NIOPosix
import RelayServer
import RelayTesting
import SignalWire
import Synchronization
import Testing

/// A client pointed at the wrong kind of port fails within `connectTimeout` and says what to
/// change; a first connect waits for a server that is not up yet.
@Suite("Connect: bounded, diagnosed, retried", .timeLimit(.minutes(3)))
struct ConnectDiagnosisTests {
    @Test func bareHostOnAPlainServerNamesTheFix() async throws {
        let lines = LogLines()
        try await withRelayTestServer(configure: { _ in }, logger: Logger(label: "server") { _ in lines.handler() }) { server in
            var configuration = testConfiguration()
            configuration.connectTimeout = .seconds(8)
            // `127.0.0.1:PORT` is how Python users write a host: it means wss://.
            let client = try RelayClient(project: server.project, token: server.token, host: "127.0.0.1:\(server.port)", configuration: configuration, logger: quietLogger)
            let started = ContinuousClock.now
            let error = await #expect(throws: RelayError.self) { try await client.connect() }
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(error?.code == .connectionFailed)
            #expect(
                error?.description.contains(
                    "wss://127.0.0.1:\(server.port): TLS handshake failed — is this a plain ws:// server? Try ws://127.0.0.1:\(server.port)") == true,
                "\(error.map { "\($0)" } ?? "")")
            // The server recognised the ClientHello and said so once.
            #expect(await eventually { lines.contains("TLS ClientHello") })
        }
    }

    @Test func silentPortsFailWithinTheConnectTimeout() async throws {
        // Accepts TCP and never answers: a TLS handshake or an upgrade would wait forever.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        for (host, expected) in [
            ("wss://127.0.0.1:\(port)", "no TLS handshake within 1 s — is this a plain ws:// server? Try ws://127.0.0.1:\(port)"),
            ("ws://127.0.0.1:\(port)", "no answer to the WebSocket upgrade within 1 s — is this a TLS (wss://) server? Try wss://127.0.0.1:\(port)"),
        ] {
            var configuration = testConfiguration()
            configuration.connectTimeout = .seconds(1)
            let client = try RelayClient(project: "p", token: "t", host: host, configuration: configuration, logger: quietLogger)
            let started = ContinuousClock.now
            let error = await #expect(throws: RelayError.self) { try await client.connect() }
            #expect(ContinuousClock.now - started < .seconds(15), "bounded by connectTimeout, not by the OS (which takes over a minute)")
            #expect(error?.description.contains(expected) == true, "\(error.map { "\($0)" } ?? "")")
        }
    }

    @Test func firstConnectWaitsForAServerThatStartsLater() async throws {
        // Find a free port, then start the server on it only after the client has begun.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close()
        var configuration = testConfiguration()
        configuration.firstConnectRetryTime = .seconds(60)
        let lines = LogLines()
        var logger = Logger(label: "client") { _ in lines.handler() }
        logger.logLevel = .info
        let client = try RelayClient(project: "local-project", token: "local-token", host: "ws://127.0.0.1:\(port)", configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.connect() }
            #expect(await eventually { lines.contains("not reachable yet") }, "each refused attempt is logged")
            try await withRelayTestServer(configure: { $0.port = port }) { _ in
                try await group.next()
                #expect(client.connected)
                #expect(lines.contains("connected to Relay"))
                await client.disconnect()
            }
        }
    }

    @Test func relayClientReadsTheEnvironmentAndArgumentsWin() throws {
        let environment = ["SIGNALWIRE_PROJECT": "env-project", "SIGNALWIRE_TOKEN": "env-token", "SIGNALWIRE_HOST": "ws://127.0.0.1:9"]
        let fromEnvironment = try RelayClient(environment: environment)
        #expect(fromEnvironment.project == "env-project")
        #expect(fromEnvironment.host == "ws://127.0.0.1:9")
        let explicit = try RelayClient(project: "mine", token: "t", host: "ws://127.0.0.1:10", environment: environment)
        #expect(explicit.project == "mine")
        #expect(explicit.host == "ws://127.0.0.1:10")
        #expect(throws: RelayError.missingConfiguration("project (pass it or set SIGNALWIRE_PROJECT)")) { try RelayClient(environment: [:]) }
        #expect(try RelayClient(project: "p", token: "t", environment: [:]).host == "relay.signalwire.com")
    }
}

/// Collects log lines from any number of loggers.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    func handler() -> some LogHandler { Collector(sink: self) }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
    var all: [String] { lines.withLock { $0 } }

    private struct Collector: LogHandler {
        let sink: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.append("[\(event.level)] \(event.message) \(event.metadata ?? [:])")
        }
    }
}

@Suite("Logs and descriptions", .timeLimit(.minutes(3)))
struct LogsAndDescriptionsTests {
    @Test func traceShowsFramesWithSecretsMaskedAndDebugSaysWhyACommandWasSkipped() async throws {
        let lines = LogLines()
        var logger = Logger(label: "client") { _ in lines.handler() }
        logger.logLevel = .trace
        try await withRelayServer { [logger] server in
            let client = try RelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(), logger: logger)
            try await client.connect()
            try await client.receive(contexts: ["office"])
            let call = try await answeredCall(client)
            _ = try await call.hangup()
            _ = try await call.waitForEnded()
            let late = try await call.playTTS(text: "too late")
            #expect(!late.successful)
            await client.disconnect()
        }
        #expect(lines.contains("connected to Relay"))
        #expect(lines.contains("receiving on contexts"))
        #expect(lines.contains("frame out"))
        #expect(lines.contains("frame in"))
        #expect(lines.contains(#""token":"***""#))
        #expect(lines.contains(#""signature":"***""#))
        #expect(!lines.all.contains { $0.contains("local-token") }, "the token never reaches a log line")
        #expect(lines.contains("command skipped: the call has ended"))
    }

    @Test func valuesPrintAsTheyRead() {
        let task: JSONValue = ["job": 42, "tags": ["a"]]
        #expect("\(task)" == #"{"job":42,"tags":["a"]}"#)
        #expect(RelayError.timeout(method: "calling.play", seconds: 10).description == "calling.play got no response within 10.0 s")
        #expect(CallEndReason.busy == "busy")
        #expect(MessageState(rawValue: "new_state").rawValue == "new_state", "unknown values are kept")
    }
}
