import Foundation
import RelayServer
import RelayWire
import SignalWire
import Testing

/// What only RELAY v3 does, shown against the real local server: one `signalwire.connect`,
/// bare commands, acks, pings both ways, contexts inline and resume after a dropped socket.
/// (`RelayV3SessionTests` keeps, on a scripted peer, what a well-behaved server never does.)
@Suite(.timeLimit(.minutes(2)))
struct RelayV3ServerTests {
    /// Frames of `direction` (`in`: from the client) across the server's sessions.
    static func frames(_ server: RelayServer, _ direction: String) async -> [JSONValue] {
        var frames: [JSONValue] = []
        for session in await server.sessions() {
            for entry in await server.journal(sessionID: session.id) ?? [] where entry.direction == direction {
                if let frame = try? JSONCodec.parse(entry.text) { frames.append(frame) }
            }
        }
        return frames
    }

    @Test func connectSendsOneSignalwireConnectAndCommandsGoBare() async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: .relayV3) { client in
                let call = try await answeredCall(client)
                _ = try await call.hangup()
                let sent = await Self.frames(server, "in")
                let connect = try #require(sent.first)
                #expect(connect["method"]?.stringValue == V3Method.connect)
                #expect(connect["params"]?["event_acks"] == .bool(true))
                // The server's journal masks the token.
                #expect(connect["params"]?["authentication"]?["project"]?.stringValue == RelayProject.default.id)
                #expect(connect["params"]?["authentication"]?["token"]?.stringValue != nil)
                #expect(connect["params"]?["protocol"] == nil, "a first connect resumes nothing")
                #expect(sent.filter { $0["method"]?.stringValue == V3Method.connect }.count == 1)
                let dial = try #require(sent.first { $0["method"]?.stringValue == RelayMethod.dial })
                #expect(dial["params"]?["devices"]?[0]?[0]?["params"]?["to_number"] == "+12015550100", "one group of one device")
                #expect(sent.contains { $0["method"]?.stringValue == RelayMethod.end }, "hangup goes bare")
                #expect(!sent.contains { $0["method"]?.stringValue?.hasPrefix("blade.") == true })
                let sessions = await server.sessions()
                #expect(sessions.map(\.dialect) == ["v3"])
            }
        }
    }

    @Test func everyEventIsAckedAndPingsGoBothWays() async throws {
        let configuration = {
            var configuration = testConfiguration(.relayV3)
            // Soon enough to see a keepalive; a loaded machine can still miss an answer, and the
            // client then resumes on a new socket (see the ack check below).
            configuration.pingInterval = .seconds(2)
            return configuration
        }()
        try await withRelayServer { server in  // the server pings every second too
            try await withClient(server, configuration: configuration) { client in
                let call = try await answeredCall(client)
                _ = try await call.playTTS(text: "Hi")
                _ = try await call.hangup()
                #expect(await eventually { await Self.frames(server, "in").contains { $0["method"]?.stringValue == V3Method.ping } }, "the client's keepalive")
                #expect(await eventually { await Self.frames(server, "out").contains { $0["method"]?.stringValue == V3Method.ping } }, "the server's")
                // Every event is answered with an empty result, at most once per delivery. (An ack
                // can be lost with a socket the client closed; the server then redelivers the event
                // on the resumed socket, and that copy is acked.) Pings are not redelivered, so a
                // ping sent to a socket that closed stays unanswered: at least one must be answered.
                #expect(
                    await eventually {
                        let out = await Self.frames(server, "out")
                        let answers = await Self.frames(server, "in").filter { $0["method"] == nil && $0["result"] == [:] }
                        let answered = Set(answers.compactMap { $0["id"]?.stringValue })
                        let events = out.filter { $0["method"]?.stringValue == V3Method.event }.compactMap { $0["id"]?.stringValue }
                        let delivered = Dictionary(grouping: events, by: { $0 }).mapValues(\.count)
                        let acked = Dictionary(grouping: answers.compactMap { $0["id"]?.stringValue }, by: { $0 }).mapValues(\.count)
                        let pings = out.filter { $0["method"]?.stringValue == V3Method.ping }.compactMap { $0["id"]?.stringValue }
                        return !delivered.isEmpty && delivered.allSatisfy { (1...$0.value).contains(acked[$0.key] ?? 0) }
                            && pings.contains { answered.contains($0) }
                    })
                #expect(await eventually { client.connected })
            }
        }
    }

    @Test func aDroppedSocketResumesWithContextsInline() async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: .relayV3) { client in
                let (offers, offered) = AsyncStream.makeStream(of: String.self)
                try await client.calling.receive(contexts: ["office", "home"]) { offered.yield($0.id ?? "") }
                let session = try #require(await server.sessions().first)
                #expect(await server.dropSessions() == 1)
                #expect(
                    await eventually {
                        let connects = await Self.frames(server, "in").filter { $0["method"]?.stringValue == V3Method.connect }
                        return connects.count == 2 && client.connected
                    })
                let sent = await Self.frames(server, "in")
                let again = try #require(sent.last { $0["method"]?.stringValue == V3Method.connect })["params"]
                #expect(again?["contexts"] == ["office", "home"])
                #expect(again?["protocol"]?.stringValue == session.protocolName, "the session is resumed")
                #expect(again?["authorization_state"]?.stringValue != nil, "with the blob the server sent")
                #expect(sent.filter { $0["method"]?.stringValue == V3Method.receive }.count == 1, "no second receive")
                #expect(await server.sessions().map(\.restoredCount) == [1])
                // Still receiving after the resume.
                let call = try await server.injectCall(context: "home", ringTimeout: 3600)
                var iterator = offers.makeAsyncIterator()
                #expect(await iterator.next() == call.id)
            }
        }
    }
}
