import Foundation
import RelayServer
import RelayTesting
import RelayWire
import Testing

/// Calls out through the SIP edge: a Relay dial or connect to a SIP device reachable on
/// loopback rings a real SIPp callee (scenarios in `Tests/Fixtures/sipp/`).
@Suite(.timeLimit(.minutes(2)))
struct SIPEdgeOutboundTests {
    static func sipDevice(port: Int, timeout: Int = 30) -> JSONValue {
        ["type": "sip", "params": ["from": "sip:bot@127.0.0.1", "to": .string("sip:alice@127.0.0.1:\(port)"), "timeout": .int(timeout)]]
    }

    /// A v2 consumer with the SIP edge running, and a free port for the SIPp callee.
    static func withEdge(world: SimulatedWorld = .standard, _ body: (RelayTestServer, BladeTestClient, Int) async throws -> Void) async throws {
        try await withRelayTestServer(speed: 1, world: world, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            _ = try await SIPEdgeTests.waitForSIPPort(server)
            let consumer = try await BladeTestClient.connect(server.url)
            try await consumer.handshake(project: server.project, token: server.token, contexts: ["office"])
            try await body(server, consumer, try SIPEdgeTests.freeUDPPort())
            await consumer.close()
        }
    }

    /// `calling.begin` to `device`; returns the call id.
    static func begin(_ consumer: BladeTestClient, _ device: JSONValue) async throws -> String {
        let begun = try await consumer.execute("calling.begin", ["tag": "out-1", "device": device])
        #expect(begun["code"] == "200", "\(begun)")
        return try #require(begun["call_id"]?.stringValue)
    }

    @Test func dialToASIPpCalleeAnswersPlaysAndHangsUp() async throws {
        try await Self.withEdge { server, consumer, port in
            async let callee = SIPEdgeTests.sippCallee("uas", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            let callID = try await Self.begin(consumer, Self.sipDevice(port: port))
            let answered = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "answered" }
            let ids: [String: JSONValue] = ["call_id": .string(callID), "node_id": answered["node_id"] ?? .null]
            var play = ids
            play["control_id"] = "p1"
            play["play"] = [["type": "silence", "params": ["duration": 1]]]
            #expect(try await consumer.execute("calling.play", .object(play))["code"] == "200")
            _ = try await consumer.event("calling.call.play", timeout: 30) { $0["state"] == "finished" }
            // Media flowed toward SIPp's SDP address while the call was up.
            let live = try #require(server.server.sipMediaCounters(callID: callID))
            #expect(live.packetsOut > 0, "\(live)")
            var end = ids
            end["reason"] = "hangup"
            #expect(try await consumer.execute("calling.end", .object(end))["code"] == "200")
            let ended = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "ended" }
            #expect(ended["end_reason"] == "hangup")
            // SIPp's uas takes our BYE and reports the call as successful.
            let result = try await callee
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
        }
    }

    @Test func busyCalleeEndsTheCallBusyThroughAWorldMappedNumber() async throws {
        let port = try SIPEdgeTests.freeUDPPort()
        var world = SimulatedWorld.standard
        world.sipURIs["+15550003333"] = "sip:alice@127.0.0.1:\(port)"
        try await Self.withEdge(world: world) { _, consumer, _ in
            async let callee = SIPEdgeTests.sippCallee("uas_busy.xml", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            let callID = try await Self.begin(consumer, ["type": "phone", "params": ["from_number": "+12015550100", "to_number": "+15550003333"]])
            let ended = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "ended" }
            #expect(ended["end_reason"] == "busy")
            let result = try await callee
            #expect(result.status == 0, "SIPp got its ACK: \(result.output.suffix(6000))")
        }
    }

    @Test func unansweredCalleeIsCancelledAtTheDeviceTimeout() async throws {
        try await Self.withEdge { _, consumer, port in
            async let callee = SIPEdgeTests.sippCallee("uas_ring_forever.xml", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            let callID = try await Self.begin(consumer, Self.sipDevice(port: port, timeout: 2))
            let ringing = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "ringing" }
            #expect(ringing["call_state"] == "ringing")
            let ended = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "ended" }
            #expect(ended["end_reason"] == "noAnswer")
            // The scenario passes only if our CANCEL came, and its 487 was acknowledged.
            let result = try await callee
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
        }
    }

    @Test func calleeByeEndsTheRelayCall() async throws {
        try await Self.withEdge { _, consumer, port in
            async let callee = SIPEdgeTests.sippCallee("uas_answer_then_bye.xml", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            let callID = try await Self.begin(consumer, Self.sipDevice(port: port))
            _ = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "answered" }
            let ended = try await consumer.event("calling.call.state", timeout: 30) { $0["call_id"] == .string(callID) && $0["call_state"] == "ended" }
            #expect(ended["end_reason"] == "hangup")
            let result = try await callee
            #expect(result.status == 0, "SIPp's BYE was answered: \(result.output.suffix(6000))")
        }
    }

    @Test func connectBridgesAnInboundCallToASIPpCallee() async throws {
        try await Self.withEdge { server, consumer, port in
            async let callee = SIPEdgeTests.sippCallee("uas", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            _ = try await server.server.injectCall(from: "+12015550199", to: "+12015550000", context: "office", script: PartyBehavior(answer: .never))
            let offer = try await consumer.event("calling.call.receive", timeout: 30)
            let ids: [String: JSONValue] = ["call_id": offer["call_id"] ?? .null, "node_id": offer["node_id"] ?? .null]
            #expect(try await consumer.execute("calling.answer", .object(ids))["code"] == "200")
            var connect = ids
            connect["devices"] = [[Self.sipDevice(port: port)]]
            #expect(try await consumer.execute("calling.connect", .object(connect))["code"] == "200")
            let connected = try await consumer.event("calling.call.connect", timeout: 30) { $0["connect_state"] == "connected" }
            let legID = try #require(connected["peer"]?["call_id"]?.stringValue)
            // The caller hangs up: the bridged SIP leg goes too, with a BYE SIPp takes.
            var end = ids
            end["reason"] = "hangup"
            #expect(try await consumer.execute("calling.end", .object(end))["code"] == "200")
            let result = try await callee
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
            let leg = try #require(server.server.sipMediaCounters(callID: legID))
            #expect(leg.packetsOut > 0, "\(leg)")
        }
    }

    @Test func v3DialWithASIPDeviceWinsWhenSIPpAnswers() async throws {
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            _ = try await SIPEdgeTests.waitForSIPPort(server)
            let port = try SIPEdgeTests.freeUDPPort()
            let client = try await V3TestClient.connect(server.url)
            try await client.connect(project: server.project, token: server.token, contexts: ["office"])
            async let callee = SIPEdgeTests.sippCallee("uas", port: port)
            try await SIPEdgeTests.waitUntilBound(udpPort: port)
            let dial = try await client.execute("calling.dial", ["tag": "d1", "devices": [[Self.sipDevice(port: port)]]])
            #expect(dial["code"] == "200", "\(dial)")
            let answered = try await client.event("calling.call.dial", timeout: 30) { $0["dial_state"] == "answered" }
            let legID = try #require(answered["call"]?["call_id"]?.stringValue)
            #expect(try await client.execute("calling.end", ["call_id": .string(legID), "node_id": answered["node_id"] ?? .null, "reason": "hangup"])["code"] == "200")
            let result = try await callee
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
            await client.close()
        }
    }
}
