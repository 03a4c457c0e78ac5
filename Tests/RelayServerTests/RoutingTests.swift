import Foundation
import RelayServer
import RelayTesting
import RelayWire
import Testing

@Suite("Routing, tasks and messaging", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct RoutingTests {
    static let other = RelayProject(id: "other-project", token: "other-token")

    @Test func inboundCallsGoToExactlyOneSessionRoundRobinAndNeverCrossProjects() async throws {
        try await withRelayTestServer(projects: [.default, Self.other]) { server in
            // Each client connects right before its handshake: an idle socket waiting for
            // blade.connect is closed after the handshake timeout.
            let a = try await BladeTestClient.connect(server.url)
            try await a.handshake(project: server.project, token: server.token, contexts: ["office"])
            let b = try await BladeTestClient.connect(server.url)
            try await b.handshake(project: server.project, token: server.token, contexts: ["office"])
            let stranger = try await BladeTestClient.connect(server.url)
            try await stranger.handshake(project: Self.other.id, token: Self.other.token, contexts: ["office"])
            var injected: [String] = []
            for index in 0..<6 {
                injected.append(try await server.injectCall(from: "+1202555000\(index)", context: "office"))
            }
            // Wait for delivery (bounded) rather than a fixed sleep: the machine may be busy.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let delivered = await a.broadcasts(event: "queuing.relay.events").count + (await b.broadcasts(event: "queuing.relay.events").count)
                if delivered >= injected.count { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(50))
            // Offers only: at speed 50 the unanswered calls also ring out (state events) while a
            // loaded machine runs the test.
            func offered(_ frames: [JSONValue]) -> [String] {
                frames.filter { $0[path: "params", "params", "event_type"] == "calling.call.receive" }
                    .compactMap { $0[path: "params", "params", "params", "call_id"]?.stringValue }
            }
            let seenA = offered(await a.broadcasts(event: "queuing.relay.events"))
            let seenB = offered(await b.broadcasts(event: "queuing.relay.events"))
            #expect(Set(seenA).isDisjoint(with: seenB))
            #expect(Set(seenA + seenB) == Set(injected))
            #expect(seenA.count == 3 && seenB.count == 3)
            #expect(await stranger.broadcasts(event: "queuing.relay.events").isEmpty)
            // Every receive frame carries the receiving client's own protocol.
            for frame in await a.broadcasts(event: "queuing.relay.events") {
                #expect(frame[path: "params", "protocol"]?.stringValue == (await a.protocolName))
            }
            await a.close()
            await b.close()
            await stranger.close()
        }
    }

    @Test func inboundCallWithoutConsumerRingsThenEndsUnanswered() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let callID = try await server.injectCall(context: "nobody", ringTimeout: 5)
            let call = try await server.waitForCall(callID, state: .ended)
            #expect(call.endReason == "noAnswer")
            #expect(call.owner == nil)
        }
    }

    @Test func tasksEndpoint() async throws {
        try await withRelayTestServer { server in
            let url = server.httpURL + "/api/relay/rest/tasks"
            let body = Data(#"{"context":"office","message":{"key":"value"}}"#.utf8)
            let (unauthorized, _) = try await TestHTTP.request("POST", url, body: body, headers: ["Authorization": TestHTTP.basic(server.project, "wrong")])
            #expect(unauthorized == 401)
            let auth = ["Authorization": TestHTTP.basic(server.project, server.token), "Content-Type": "application/json"]
            let (bad, reason) = try await TestHTTP.request("POST", url, body: Data("{nope".utf8), headers: auth)
            #expect(bad == 400)
            #expect(String(decoding: reason, as: UTF8.self).contains("not valid JSON"))
            let (noContext, _) = try await TestHTTP.request("POST", url, body: Data(#"{"message":1}"#.utf8), headers: auth)
            #expect(noContext == 400)
            let (nobody, _) = try await TestHTTP.request("POST", url, body: body, headers: auth)
            #expect(nobody == 404)

            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token, contexts: ["office"])
            let (delivered, _) = try await TestHTTP.request("POST", url, body: body, headers: auth)
            #expect(delivered == 204)
            let task = try await client.next { $0[path: "params", "event"] == "queuing.relay.tasks" }
            let notification = try #require(task[path: "params", "params"])
            #expect(notification["context"] == "office")
            #expect(notification["message"] == ["key": "value"])
            #expect(notification["project_id"]?.stringValue == server.project)
            #expect(notification["event_type"] == nil)
            await client.close()
        }
    }

    @Test func messagingSendStatesAndSegments() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token, contexts: ["office"])
            let result = try await client.execute(
                "messaging.send", ["from_number": "+12015550000", "to_number": "+12015550100", "context": "office", "body": "Hello"])
            #expect(result["code"] == "200")
            let messageID = try #require(result["message_id"]?.stringValue)
            var states: [String] = []
            for _ in 0..<4 {
                let event = try await client.event("messaging.state") { $0["message_id"]?.stringValue == messageID }
                states.append(event["message_state"]?.stringValue ?? "?")
                #expect(event["context"] == "office")
            }
            #expect(states == ["queued", "initiated", "sent", "delivered"])

            let failing = try await client.execute(
                "messaging.send", ["from_number": "+12015550000", "to_number": "+12015550110", "context": "office", "body": .string(String(repeating: "é€", count: 100))])
            let failedID = try #require(failing["message_id"]?.stringValue)
            let last = try await client.event("messaging.state") { $0["message_id"]?.stringValue == failedID && $0["message_state"] == "undelivered" }
            #expect(last["reason"]?.stringValue?.isEmpty == false)
            #expect(last["segments"] == 2)  // € is a GSM-7 extension (2 septets): 300 septets → 2 parts

            let missing = try await client.execute("messaging.send", ["from_number": "+1", "context": "office", "body": "x"])
            #expect(missing["code"] == "400")
            #expect(await server.outboundMessages().count == 2)

            _ = try await server.injectMessage(context: "office", body: "Welcome")
            let inbound = try await client.event("messaging.receive")
            #expect(inbound["body"] == "Welcome")
            #expect(inbound["message_state"] == "received")
            await client.close()
        }
    }
}
