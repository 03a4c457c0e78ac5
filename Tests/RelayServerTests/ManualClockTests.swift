import Foundation
import RelayServer
import RelayTesting
import RelayWire
import Testing

/// The manual clock through the real server: sockets and HTTP as a user sees them, with
/// simulated time moving only when the test moves it, so nothing here waits on wall time.
@Suite("Manual clock", .timeLimit(.minutes(2)))
struct ManualClockTests {
    @Test func aRingTimeoutTakesNoWallTime() async throws {
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { server in
            let callID = try await server.injectCall(context: "nobody-home", ringTimeout: 30)
            #expect(await server.advanceClock(by: 29.9) == 0)
            #expect(await server.call(callID)?.state == .created)
            #expect(await server.advanceClock(by: 0.1) == 1)
            let call = try #require(await server.call(callID))
            #expect(call.state == .ended && call.endReason == "noAnswer")
            #expect(call.timeline.last?.time == 30)
        }
    }

    @Test func eventsComeOnlyWhenTimeIsAdvanced() async throws {
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token, contexts: ["office"])
            let callID = try await server.injectCall(context: "office")
            let offered = try await client.event("calling.call.receive")
            let call = (callID, offered["node_id"]?.stringValue ?? "")
            #expect(try await client.execute("calling.answer", ids(call))["code"] == "200")
            _ = try await client.event("calling.call.state") { $0["call_state"] == "answered" }
            let play = try await client.execute("calling.play", ids(call, ["control_id": "p", "play": [["type": "silence", "params": ["duration": 10]]]]))
            #expect(play["code"] == "200")
            _ = try await client.event("calling.call.play") { $0["state"] == "playing" }
            // The ring timer of the answered call is the only other timer; it does nothing.
            await server.advanceClock(by: 9.5)
            #expect(await client.peek { $0[path: "params", "params", "params", "state"] == "finished" }.isEmpty)
            await server.advanceClock(by: 0.5)
            // Every event of a fired timer is queued before advanceClock returns.
            let finished = try await client.event("calling.call.play") { $0["state"] == "finished" }
            #expect(finished["control_id"] == "p")
        }
    }

    @Test func theLabAPIAdvancesAManualClockAndRefusesAScaledOne() async throws {
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { server in
            _ = try await server.injectCall(context: "nobody-home", ringTimeout: 5)
            let body = try JSONSerialization.data(withJSONObject: ["seconds": 6])
            let (status, data) = try await TestHTTP.request("POST", "\(server.httpURL)/lab/clock/advance", body: body)
            #expect(status == 200)
            let answer = try JSONCodec.parse(Array(data))
            #expect(answer["mode"] == "manual" && answer["now"]?.doubleValue == 6 && answer["fired"] == 1)
            let (badStatus, _) = try await TestHTTP.request("POST", "\(server.httpURL)/lab/clock/advance", body: Data(#"{"seconds": -1}"#.utf8))
            #expect(badStatus == 400)
        }
        try await withRelayTestServer(speed: 50) { server in
            let body = try JSONSerialization.data(withJSONObject: ["seconds": 6])
            let (status, _) = try await TestHTTP.request("POST", "\(server.httpURL)/lab/clock/advance", body: body)
            #expect(status == 409)
            let (clockStatus, data) = try await TestHTTP.request("GET", "\(server.httpURL)/lab/clock")
            #expect(clockStatus == 200)
            #expect(try JSONCodec.parse(Array(data))["mode"] == "scaled")
        }
    }
}
