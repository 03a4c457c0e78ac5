import Foundation
import RelayServer
import RelayTesting
import RelayWire
import Testing

/// RELAY v3 (`signalwire.connect`) on the same port as Blade v2, through real sockets.
@Suite("RELAY v3 session", .timeLimit(.minutes(3)))
struct V3SessionTests {
    static let manual: @Sendable (inout RelayServerConfiguration) -> Void = { $0.clockMode = .manual }

    @Test func connectWithTokenOrJWTAndAnyVersion() async throws {
        try await withRelayTestServer { server in
            let client = try await V3TestClient.connect(server.url)
            let connect = try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            let result = try #require(connect["result"])
            let protocolName = try #require(result["protocol"]?.stringValue)
            #expect(protocolName.hasPrefix("signalwire_"))
            #expect(result["session_restored"] == false)
            #expect(result["identity"]?.stringValue != nil)
            #expect(result[path: "authorization", "project_id"]?.stringValue == server.project)
            #expect(result[path: "authorization", "scopes"] == ["calling", "messaging", "tasking"])
            #expect(result["ice_servers"] == [])
            #expect(result["code"] == nil, "the connect result has no code")
            let state = try await client.event(V3EventName.authorizationState)
            let blob = try #require(state["authorization_state"]?.stringValue)
            #expect(blob.split(separator: ":").count == 2)
            let sessions = await server.sessions()
            #expect(sessions.count == 1 && sessions[0].dialect == "v3" && sessions[0].contexts == ["office"])
            await client.close()

            for version in [3, 4, 7] {
                let jwt = try await V3TestClient.connect(server.url)
                let reply = try await jwt.connect(project: server.project, token: server.token, jwt: true, version: version)
                #expect(reply[path: "result", "protocol"]?.stringValue != nil, "JWT, version \(version)")
                await jwt.close()
            }
        }
    }

    @Test func badCredentialsGetAnErrorAndTheSocketCloses() async throws {
        try await withRelayTestServer { server in
            for (token, jwt) in [("wrong", false), ("wrong", true)] {
                let client = try await V3TestClient.connect(server.url)
                let reply = try await client.connect(project: server.project, token: token, jwt: jwt)
                #expect(reply[path: "error", "code"] == .int(BladeError.unauthorized))
                #expect(reply["result"] == nil)
                try await client.waitClosed()
            }
            let missing = try await V3TestClient.connect(server.url)
            let reply = try await missing.request(V3Method.connect, ["version": ["major": 2, "minor": 0, "revision": 0], "authentication": [:]])
            #expect(reply[path: "error", "code"] == .int(BladeError.invalidParams))
            try await missing.waitClosed()
        }
    }

    @Test func theFirstFrameChoosesTheDialectForTheSocketsLife() async throws {
        try await withRelayTestServer { server in
            // Neither connect: an error, then the socket closes.
            let stranger = try await V3TestClient.connect(server.url)
            let refused = try await stranger.request("calling.answer", ["call_id": "x", "node_id": "y"])
            #expect(refused[path: "error", "code"] == .int(BladeError.invalidRequest))
            try await stranger.waitClosed()

            // v3 socket: Blade methods are not there.
            let v3 = try await V3TestClient.connect(server.url)
            try await v3.connect(project: server.project, token: server.token)
            for method in ["blade.execute", "blade.connect", "blade.ping"] {
                let reply = try await v3.request(method, [:])
                #expect(reply[path: "error", "code"] == .int(BladeError.methodNotFound), "\(method)")
            }
            let again = try await v3.request(V3Method.connect, [:])
            #expect(again["error"] != nil)
            // A client ping is answered.
            let pong = try await v3.request(V3Method.ping, [:])
            #expect(pong[path: "result", "timestamp"]?.doubleValue != nil)

            // v2 socket: v3 methods are not there.
            let v2 = try await BladeTestClient.connect(server.url)
            try await v2.handshake(project: server.project, token: server.token)
            for method in [V3Method.connect, V3Method.receive, V3Method.ping, "calling.answer"] {
                let reply = try await v2.request(method, [:])
                #expect(reply[path: "error", "code"] == .int(BladeError.methodNotFound), "\(method)")
            }
            await v2.close()
            await v3.close()
        }
    }

    @Test func receiveUnreceiveAndFlatResults() async throws {
        try await withRelayTestServer { server in
            let client = try await V3TestClient.connect(server.url)
            try await client.connect(project: server.project, token: server.token)
            let receive = try await client.execute(V3Method.receive, ["contexts": ["office", "home"]])
            #expect(receive["code"] == "200" && receive["message"] == "Receiving events")
            try await server.waitForConsumers(context: "home")
            let unreceive = try await client.execute(V3Method.unreceive, ["contexts": ["home"]])
            #expect(unreceive["code"] == "200")
            #expect(await server.sessions().first?.contexts == ["office"])
            let empty = try await client.execute(V3Method.receive, [:])
            #expect(empty["code"] == "400")
            let unknown = try await client.request("calling.frobnicate", [:])
            #expect(unknown[path: "error", "code"] == .int(BladeError.methodNotFound))
            await client.close()
        }
    }

    @Test func unknownCallIs404AndEndedCallIs410() async throws {
        try await withRelayTestServer { server in
            let client = try await V3TestClient.connect(server.url)
            try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            let unknown = try await client.execute("calling.answer", ["node_id": "n", "call_id": "no-such-call"])
            #expect(unknown["code"] == "404")
            let callID = try await server.injectCall(context: "office", ringTimeout: 3000)
            let offer = try await client.event("calling.call.receive")
            #expect(offer["call_id"]?.stringValue == callID)
            let ids: JSONValue = ["node_id": offer["node_id"] ?? .null, "call_id": .string(callID)]
            #expect(try await client.execute("calling.answer", ids)["code"] == "200")
            #expect(try await client.execute("calling.end", ["node_id": ids["node_id"] ?? .null, "call_id": .string(callID), "reason": "hangup"])["code"] == "200")
            _ = try await client.event("calling.call.state") { $0["call_state"] == "ended" }
            let gone = try await client.execute("calling.answer", ids)
            #expect(gone["code"] == "410")
            await client.close()
        }
    }

    @Test func unacknowledgedEventsAreRedeliveredThenTheClientIsLostAndResumeDeliversThem() async throws {
        try await withRelayTestServer(configure: Self.manual) { server in
            let client = try await V3TestClient.connect(server.url, acks: false)
            let connect = try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            let protocolName = try #require(connect[path: "result", "protocol"]?.stringValue)
            _ = try await client.event(V3EventName.authorizationState)
            _ = try await server.injectMessage(context: "office", body: "hello")
            let first = try await client.eventFrame("messaging.receive")
            let eventID = try #require(first["id"]?.stringValue)
            // Each ack timeout sends it again, with the same id, up to the limit.
            for round in 1...3 {
                await server.advanceClock(by: 10)
                let again = try await client.eventFrame("messaging.receive")
                #expect(again["id"]?.stringValue == eventID, "redelivery \(round)")
            }
            // Never acknowledged: the client counts as lost and its socket closes.
            await server.advanceClock(by: 10)
            try await client.waitClosed()
            _ = try await server.poll(what: "the server notices") { await server.sessions().first?.connected == false ? true : nil }

            // A resume gets the unacknowledged event again (same id) and acks it this time.
            let back = try await V3TestClient.connect(server.url)
            let resumed = try await back.connect(project: server.project, token: server.token, resume: protocolName)
            #expect(resumed[path: "result", "session_restored"] == true)
            #expect(resumed[path: "result", "protocol"]?.stringValue == protocolName)
            let redelivered = try await back.eventFrame("messaging.receive")
            #expect(redelivered["id"]?.stringValue == eventID)
            // Acknowledged now: nothing more comes however long we wait.
            let before = await back.eventIDs.count
            _ = try await back.request(V3Method.ping, [:])
            await server.advanceClock(by: 60)
            _ = try await back.request(V3Method.ping, [:])
            #expect(await back.eventIDs.count == before)
            await back.close()
        }
    }

    @Test func acknowledgedEventsAreNotSentAgain() async throws {
        try await withRelayTestServer(configure: Self.manual) { server in
            let client = try await V3TestClient.connect(server.url)
            try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            for index in 0..<5 { _ = try await server.injectMessage(context: "office", body: "m\(index)") }
            for _ in 0..<5 { _ = try await client.event("messaging.receive") }
            // The acks are on the wire before this round trip is answered.
            _ = try await client.request(V3Method.ping, [:])
            let count = await client.eventIDs.count
            #expect(count == 6, "authorization state and five messages")
            await server.advanceClock(by: 45)
            _ = try await client.request(V3Method.ping, [:])
            #expect(await client.eventIDs.count == count)
            #expect(Set(await client.eventIDs).count == count, "every event has a fresh id")
            await client.close()
        }
    }

    @Test func theServerPingsAndToleratesSlowAnswers() async throws {
        try await withRelayTestServer(configure: { $0.pingInterval = 0.1 }) { server in
            let client = try await V3TestClient.connect(server.url)
            await client.setAnswers(false)
            try await client.connect(project: server.project, token: server.token)
            let first = try await client.next("a server ping") { $0["method"] == "signalwire.ping" }
            #expect(first[path: "params", "timestamp"]?.doubleValue != nil)
            // Unanswered pings never close the socket: more come, and requests still work.
            _ = try await client.next("another server ping") { $0["method"] == "signalwire.ping" }
            _ = try await client.next("a third server ping") { $0["method"] == "signalwire.ping" }
            #expect(try await client.request(V3Method.ping, [:])["result"] != nil)
            #expect(await client.closed == false)
            await client.close()
        }
    }

    @Test func resumeKeepsContextsAndCallsAndDeliversWhatCameWhileAway() async throws {
        try await withRelayTestServer(configure: Self.manual) { server in
            let client = try await V3TestClient.connect(server.url)
            let connect = try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            let protocolName = try #require(connect[path: "result", "protocol"]?.stringValue)
            let callID = try await server.injectCall(context: "office")
            let offer = try await client.event("calling.call.receive")
            #expect(try await client.execute("calling.answer", ["node_id": offer["node_id"] ?? .null, "call_id": .string(callID)])["code"] == "200")
            _ = try await client.event("calling.call.state") { $0["call_state"] == "answered" }
            let started = try await client.execute(
                "calling.play",
                ["node_id": offer["node_id"] ?? .null, "call_id": .string(callID), "control_id": "p0", "play": [["type": "silence", "params": ["duration": 1]]]])
            #expect(started["code"] == "200")
            #expect(await server.dropSessions() == 1)
            try await client.waitClosed()
            _ = try await server.poll(what: "the server notices") { await server.sessions().first?.connected == false ? true : nil }
            // The play finishes while the client is away: its event is kept for the resume.
            await server.advanceClock(by: 2)

            // A stale protocol or authorization state never fails a connect: a new session.
            let stranger = try await V3TestClient.connect(server.url)
            let fresh = try await stranger.connect(project: server.project, token: server.token, resume: "signalwire_stale", authorizationState: "x:y")
            #expect(fresh[path: "result", "session_restored"] == false)
            #expect(fresh[path: "result", "protocol"]?.stringValue != protocolName)
            await stranger.close()

            let back = try await V3TestClient.connect(server.url)
            let resumed = try await back.connect(
                project: server.project, token: server.token, resume: protocolName, authorizationState: await client.authorizationState)
            #expect(resumed[path: "result", "session_restored"] == true)
            let kept = try await back.event("calling.call.play") { $0["control_id"] == "p0" && $0["state"] == "finished" }
            #expect(kept["call_id"]?.stringValue == callID)
            // The call is still ours: commands work and its events come here.
            let play = try await back.execute(
                "calling.play",
                ["node_id": offer["node_id"] ?? .null, "call_id": .string(callID), "control_id": "p1", "play": [["type": "silence", "params": ["duration": 1]]]])
            #expect(play["code"] == "200")
            await server.advanceClock(by: 2)
            let finished = try await back.event("calling.call.play") { $0["state"] == "finished" }
            #expect(finished["control_id"] == "p1")
            #expect(await server.sessions().first { $0.protocolName == protocolName }?.contexts == ["office"])
            await back.close()
        }
    }

    @Test(arguments: [false, true])
    func disconnectIsAnsweredThenTheSocketCloses(restart: Bool) async throws {
        try await withRelayTestServer { server in
            let client = try await V3TestClient.connect(server.url)
            let connect = try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            let protocolName = try #require(connect[path: "result", "protocol"]?.stringValue)
            #expect(await server.disconnect(restart: restart) == 1)
            let request = try await client.next("signalwire.disconnect") { $0["method"] == "signalwire.disconnect" }
            #expect(request[path: "params", "restart"] == .bool(restart))
            try await client.waitClosed()
            let back = try await V3TestClient.connect(server.url)
            if restart {
                // The state did not survive: the session is gone, a resume is a fresh session.
                _ = try await server.poll(what: "the session is forgotten") { await server.sessions().isEmpty ? true : nil }
                let fresh = try await back.connect(project: server.project, token: server.token)
                #expect(fresh[path: "result", "session_restored"] == false)
            } else {
                let resumed = try await back.connect(project: server.project, token: server.token, resume: protocolName)
                #expect(resumed[path: "result", "session_restored"] == true)
            }
            await back.close()
        }
    }

    @Test func aV3ClientAndAV2ConsumerShareCallsMessagesAndTasks() async throws {
        try await withRelayTestServer { server in
            let v3 = try await V3TestClient.connect(server.url)
            try await v3.connect(project: server.project, token: server.token, contexts: ["office", "v3-only"])
            let v2 = try await BladeTestClient.connect(server.url)
            try await v2.handshake(project: server.project, token: server.token, contexts: ["office", "v2-only"])
            try await server.waitForConsumers(context: "office", count: 2)

            // An inbound call offered to one dialect, passed, is answered by the other.
            // A long ring timeout (simulated): the offer, the pass and the answer must fit in it on a loaded machine.
            let callID = try await server.injectCall(context: "office", ringTimeout: 3000)
            let offeredToV3 = try await server.poll(what: "the offer") { () async -> Bool? in
                let isReceive: @Sendable (JSONValue) -> Bool = { $0[path: "params", "event_type"] == "calling.call.receive" || $0[path: "params", "params", "event_type"] == "calling.call.receive" }
                if await !v3.peek(where: isReceive).isEmpty { return true }
                if await !v2.peek(where: isReceive).isEmpty { return false }
                return nil
            }
            if offeredToV3 {
                let v3Offer = try await v3.event("calling.call.receive")
                let passed = try await v3.execute("calling.pass", ["node_id": v3Offer["node_id"] ?? .null, "call_id": .string(callID)])
                #expect(passed["code"] == "200")
                let v2Offer = try await v2.event("calling.call.receive") { $0["call_id"]?.stringValue == callID }
                let answered = try await v2.execute("calling.answer", ["node_id": v2Offer["node_id"] ?? .null, "call_id": .string(callID)])
                #expect(answered["code"] == "200")
                _ = try await v2.event("calling.call.state") { $0["call_state"] == "answered" }
            } else {
                let v2Offer = try await v2.event("calling.call.receive") { $0["call_id"]?.stringValue == callID }
                let passed = try await v2.execute("calling.pass", ["node_id": v2Offer["node_id"] ?? .null, "call_id": .string(callID)])
                #expect(passed["code"] == "200")
                let offer = try await v3.event("calling.call.receive") { $0["call_id"]?.stringValue == callID }
                #expect(try await v3.execute("calling.answer", ["node_id": offer["node_id"] ?? .null, "call_id": .string(callID)])["code"] == "200")
                _ = try await v3.event("calling.call.state") { $0["call_state"] == "answered" }
            }

            // A call the v3 client dialled, driven by the v2 client: its events follow the driver.
            let begin = try await v3.execute(
                "calling.begin", ["tag": "shared", "device": ["type": "phone", "params": ["from_number": "+12015550199", "to_number": "+12015550100"]]])
            #expect(begin["code"] == "200")
            let dialled = try #require(begin["call_id"]?.stringValue)
            _ = try await v3.event("calling.call.state") { $0["call_id"]?.stringValue == dialled && $0["call_state"] == "answered" }
            let play = try await v2.execute(
                "calling.play",
                ["node_id": begin["node_id"] ?? .null, "call_id": .string(dialled), "control_id": "shared-play", "play": [["type": "silence", "params": ["duration": 0.5]]]])
            #expect(play["code"] == "200")
            _ = try await v2.event("calling.call.play") { $0["control_id"] == "shared-play" && $0["state"] == "finished" }

            // Messages: one each way between the dialects' contexts.
            _ = try await server.injectMessage(context: "v2-only", body: "to v2")
            #expect(try await v2.event("messaging.receive")["body"] == "to v2")
            _ = try await server.injectMessage(context: "v3-only", body: "to v3")
            #expect(try await v3.event("messaging.receive")["body"] == "to v3")
            let sent = try await v3.execute(
                "messaging.send", ["context": "v3-only", "to_number": "+12015550100", "from_number": "+12015550199", "body": "from v3"])
            let messageID = try #require(sent["message_id"]?.stringValue)
            _ = try await v3.event("messaging.state") { $0["message_id"]?.stringValue == messageID && $0["message_state"] == "delivered" }

            // Tasks: same event type on both wires.
            try await server.deliverTask(context: "v3-only", message: ["to": "v3"])
            let v3Task = try await v3.event("queuing.relay.tasks")
            #expect(v3Task["message"] == ["to": "v3"] && v3Task["context"] == "v3-only")
            try await server.deliverTask(context: "v2-only", message: ["to": "v2"])
            let v2Task = try await v2.next("v2 task") { $0[path: "params", "event"] == "queuing.relay.tasks" }
            #expect(v2Task[path: "params", "params", "message"] == ["to": "v2"])
            await v2.close()
            await v3.close()
        }
    }
}
