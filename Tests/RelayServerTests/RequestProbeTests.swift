import Foundation
import Logging
import RelayServer
import RelayTesting
import RelayWire
import Synchronization
import Testing

/// Requests a hostile or careless client sends, through a real socket: each gets an answer (or a
/// clear close), and nothing it sends reaches the log unescaped.
@Suite("Hostile requests", .timeLimit(.minutes(2)))
struct RequestProbeTests {
    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":"big-number","method":"blade.ping","params":{"timestamp":1e400}}"#,
        #"{"jsonrpc":"2.0","id":"lone-surrogate","method":"blade.ping","params":{"note":"\ud800"}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"blade.ping","params":{"timestamp":1e400}}"#,
    ])
    func aRequestThatDoesNotParseStillGetsAnAnswer(text: String) async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            await client.sendRaw(text)
            let expected: JSONValue = text.contains(#""id":7"#) ? 7 : (text.contains("big-number") ? "big-number" : "lone-surrogate")
            let reply = try await client.next("the parse error") { $0["id"] == expected }
            #expect(reply[path: "error", "code"] == .int(BladeError.parseError))
            // The socket and the session keep working.
            let pong = try await client.request("blade.ping", ["timestamp": 1])
            #expect(pong[path: "result", "timestamp"]?.doubleValue == 1)
        }
    }

    @Test(arguments: [JSONValue.string(""), .null, .double(1e308), .int(3), .string("2")])
    func blade_connectRefusesAnUnusableVersion(major: JSONValue) async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            let reply = try await client.request(
                "blade.connect",
                [
                    "version": ["major": major, "minor": 3, "revision": 0],
                    "authentication": ["project": .string(server.project), "token": .string(server.token)],
                ])
            #expect(reply[path: "error", "code"] == .int(BladeError.invalidParams))
            #expect(reply["result"] == nil)
            try await client.waitClosed()
        }
    }

    @Test func blade_connectNeedsEveryVersionPartAndAProject() async throws {
        try await withRelayTestServer { server in
            for params: JSONValue in [
                ["authentication": ["project": .string(server.project), "token": .string(server.token)]],
                ["version": ["major": 2], "authentication": ["project": .string(server.project), "token": .string(server.token)]],
                ["version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": "", "token": .string(server.token)]],
                ["version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": .string(server.project)]],
            ] {
                let client = try await BladeTestClient.connect(server.url)
                let reply = try await client.request("blade.connect", params)
                #expect(reply[path: "error", "code"] == .int(BladeError.invalidParams), "\(JSONCodec.string(params))")
                try await client.waitClosed()
            }
        }
    }

    @Test func aFailedLoginLogsTheProjectEscaped() async throws {
        let lines = LogLines()
        let logger = Logger(label: "relay.test") { _ in LineHandler(lines: lines) }
        try await withRelayTestServer(logger: logger) { server in
            let client = try await BladeTestClient.connect(server.url)
            let hostile = "evil\nproject\u{0}\u{1b}[31m" + String(repeating: "x", count: 400)
            let reply = try await client.request(
                "blade.connect",
                ["version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": .string(hostile), "token": "nope"]])
            #expect(reply[path: "error", "code"] == .int(BladeError.unauthorized))
            try await client.waitClosed()
        }
        let logged = lines.all.filter { $0.contains("authentication failed") }
        #expect(logged.count == 1)
        #expect(logged.allSatisfy { !$0.contains("\n") && !$0.contains("\u{0}") && !$0.contains("\u{1b}") })
        #expect(logged.allSatisfy { $0.contains(#"evil\nproject\u{0}\u{1b}[31m"#) })
        #expect(logged.allSatisfy { $0.utf8.count < 600 }, "the project is clipped")
    }

    @Test func anUnknownMethodIsNotEchoedInFull() async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let method = String(repeating: "m", count: 100_000)
            let reply = try await client.request(method, [:])
            #expect(reply[path: "error", "code"] == .int(BladeError.methodNotFound))
            #expect((reply[path: "error", "message"]?.stringValue?.utf8.count ?? .max) < 300)
        }
    }
}

final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct LineHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        lines.add("\(event.message) \(fields)")
    }
}
