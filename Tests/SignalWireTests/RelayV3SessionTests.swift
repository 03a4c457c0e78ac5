import Foundation
import Logging
import RelayWire
import SignalWire
import Synchronization
import Testing

/// What only RELAY v3 does (RELAY-V3.md §1–3) where the local server cannot show it because a
/// well-behaved server never does it on cue: the same event delivered twice, 2xx codes other
/// than "200" and numeric codes, a disconnect notice with either `restart`, a request lost with
/// its socket, a server that never answers, 404/410 for a call the client still holds, JSON-RPC
/// errors. A scripted peer does those. The rest (connect, bare commands, acks, pings both ways,
/// resume with contexts inline, refused credentials) runs against the real server in
/// `RelayV3ServerTests` and the parameterised suites.
@Suite(.timeLimit(.minutes(2)))
struct RelayV3SessionTests {
    @Test func anyTwoHundredCodeIsASuccessAndOthersFail() async throws {
        let codes: [JSONValue] = [.int(200), "202", .int(299), "400"]
        let next = Atomic<Int>(0)
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue else { return nil }
            let code = codes[min(next.wrappingAdd(1, ordering: .relaxed).oldValue, codes.count - 1)]
            return [BladeFrame.result(id: id, result: ["code": code, "message": "m", "message_id": "msg-1"]).json.jsonString]
        }) { peer in
            let client = try v3Client(peer)
            try await client.connect()
            for _ in 0..<3 {
                let send = try await client.messaging.send(context: "office", from: "+1", to: "+2", body: "hi")
                #expect(send.successful)
                #expect(send.messageID == "msg-1")
            }
            // A refusal is an unsuccessful result on both generations (Python 3.x raises).
            let refused = try await client.messaging.send(context: "office", from: "+1", to: "+2", body: "hi")
            #expect(!refused.successful)
            await client.disconnect()
        }
    }

    @Test func everyEventIsAckedAndHandledOncePerID() async throws {
        try await withScriptedPeer(responder: v3Responder()) { peer in
            let client = try v3Client(peer)
            let offered = Mutex<[String]>([])
            try await client.connect()
            try await client.calling.receive(contexts: ["office"]) { call in offered.withLock { $0.append(call.id ?? "") } }
            let receive = inboundCall(id: "call-1")
            // The same event twice (a redelivery), then another one.
            try await peer.push(v3Event(id: "ev-1", type: "calling.call.receive", params: receive))
            try await peer.push(v3Event(id: "ev-1", type: "calling.call.receive", params: receive))
            try await peer.push(v3Event(id: "ev-2", type: "calling.call.receive", params: inboundCall(id: "call-2")))
            #expect(await eventually { acks(peer).count == 3 })
            #expect(acks(peer) == ["ev-1", "ev-1", "ev-2"], "each delivery is acked, the redelivery too")
            #expect(await eventually { offered.withLock { $0.count } == 2 })
            #expect(offered.withLock { $0 } == ["call-1", "call-2"], "the redelivered event is handled once")
            let ack = try #require(peer.received.first { $0["id"]?.stringValue == "ev-1" && $0["method"] == nil })
            #expect(ack == ["jsonrpc": "2.0", "id": "ev-1", "result": [:]])
            await client.disconnect()
        }
    }

    @Test(arguments: [false, true])
    func disconnectIsAnsweredAndHonoured(restart: Bool) async throws {
        try await withScriptedPeer(responder: v3Responder()) { peer in
            peer.authorizationState.withLock { $0 = "sealed:tag" }
            let sink = LogSink()
            let logger = Logger(label: "test.capture", factory: { _ in CapturingHandler(sink: sink) })
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: v3Configuration(), logger: logger)
            try await client.connect()
            #expect(await eventually { acks(peer).contains { $0.hasPrefix("auth-") } })
            try await peer.push(#"{"jsonrpc":"2.0","id":"bye","method":"signalwire.disconnect","params":{"restart":\#(restart)}}"#)
            #expect(await eventually { acks(peer).contains("bye") })
            #expect(await eventually { sink.lines.contains { $0.contains("Relay announced a disconnect") } })
            // Requests wait for the next session instead of going to one that is leaving.
            async let send = client.messaging.send(context: "office", from: "+1", to: "+2", body: "queued")
            try await Task.sleep(for: .milliseconds(100))
            #expect(!peer.received.contains { $0["method"]?.stringValue == RelayMethod.messagingSend })
            peer.restoreSessions.store(!restart, ordering: .relaxed)
            await peer.dropAll()
            #expect(try await send.successful)
            let connects = peer.received.filter { $0["method"]?.stringValue == V3Method.connect }
            #expect(connects.count == 2)
            let again = try #require(connects.last)["params"]
            if restart {
                #expect(again?["protocol"] == nil && again?["authorization_state"] == nil, "restart forgets the session")
            } else {
                #expect(again?["protocol"]?.stringValue == peer.protocolName)
                #expect(again?["authorization_state"]?.stringValue == "sealed:tag")
            }
            await client.disconnect()
        }
    }

    @Test func aDroppedSocketResumesWithProtocolAndAuthorizationState() async throws {
        let answered = Atomic<Bool>(false)
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue, frame["method"] != nil else { return nil }
            // The first copy is lost with the connection; the resent one is answered.
            guard answered.exchange(true, ordering: .relaxed) else { return nil }
            return [BladeFrame.result(id: id, result: ["code": "200", "message": "Playing"]).json.jsonString]
        }) { peer in
            peer.authorizationState.withLock { $0 = "first:blob" }
            let client = try v3Client(peer)
            try await client.connect()
            #expect(await eventually { acks(peer).contains { $0.hasPrefix("auth-") } })
            peer.authorizationState.withLock { $0 = "second:blob" }
            async let pending = client.execute(RelayMethod.play, params: ["control_id": "c1"])
            #expect(await eventually { peer.received.contains { $0["method"]?.stringValue == RelayMethod.play } })
            peer.restoreSessions.store(true, ordering: .relaxed)
            await peer.dropAll()
            #expect(try await pending["message"]?.stringValue == "Playing")
            let plays = peer.received.filter { $0["method"]?.stringValue == RelayMethod.play }
            #expect(plays.count == 2 && Set(plays.compactMap { $0["id"]?.stringValue }).count == 1, "resent once, same id")
            let resume = try #require(peer.received.last { $0["method"]?.stringValue == V3Method.connect })["params"]
            #expect(resume?["protocol"]?.stringValue == peer.protocolName)
            #expect(resume?["authorization_state"]?.stringValue == "first:blob", "the latest blob received")
            await client.disconnect()
        }
    }

    @Test func aSessionThatIsNotResumedFailsWhatWasInFlight() async throws {
        try await withScriptedPeer(responder: { _ in nil }) { peer in
            let client = try v3Client(peer)
            try await client.connect()
            let pending = Task { try await client.execute(RelayMethod.play, params: [:]) }
            #expect(await eventually { peer.received.contains { $0["method"]?.stringValue == RelayMethod.play } })
            await peer.dropAll()
            await #expect(throws: RelayError.connectionLost) { try await pending.value }
            #expect(await eventually { peer.connections == 2 && client.connected })
            await client.disconnect()
        }
    }

    @Test(arguments: ["404", "410"])
    func callGoneResolvesActionsInsteadOfThrowing(code: String) async throws {
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue, let method = frame["method"]?.stringValue else { return nil }
            let result: JSONValue =
                method == RelayMethod.play || method == RelayMethod.record
                ? ["code": .string(code), "message": "call gone"] : ["code": "200", "message": "OK"]
            return [BladeFrame.result(id: id, result: result).json.jsonString]
        }) { peer in
            let client = try v3Client(peer)
            let offered = Mutex<Call?>(nil)
            try await client.connect()
            try await client.calling.receive(contexts: ["office"]) { call in offered.withLock { $0 = call } }
            try await peer.push(v3Event(id: "ev-1", type: "calling.call.receive", params: inboundCall(id: "call-1")))
            #expect(await eventually { offered.withLock { $0 } != nil })
            let call = try #require(offered.withLock { $0 })
            // A waiter on the call resolves too: the call is over.
            async let answered = call.waitForAnswered()
            let play = try await call.playTTSAsync(text: "hello")
            #expect(play.completed)
            #expect(!play.result.successful)
            #expect(play.result.event?.isCallGone == true)
            #expect(try await answered == false)
            #expect(call.ended && call.endReason == .gone)
            #expect(client.calling.call(id: "call-1") == nil, "a gone call is forgotten")
            // Later commands are skipped without a round trip.
            let record = try await call.record()
            #expect(!record.successful)
            #expect(!peer.received.contains { $0["method"]?.stringValue == RelayMethod.record })
            await client.disconnect()
        }
    }

    @Test func otherRefusalsStayFailuresAndRPCErrorsToo() async throws {
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue, let method = frame["method"]?.stringValue else { return nil }
            if method == RelayMethod.record { return [BladeFrame.result(id: id, result: ["code": "400", "message": "bad"]).json.jsonString] }
            if method == RelayMethod.play { return [BladeFrame.error(id: id, error: BladeError(code: -32601, message: "nope")).json.jsonString] }
            return [BladeFrame.result(id: id, result: ["code": "200", "message": "OK"]).json.jsonString]
        }) { peer in
            let client = try v3Client(peer)
            try await client.connect()
            await #expect(throws: RelayError.commandFailed(code: "400", message: "bad", method: RelayMethod.record)) {
                try await client.execute(RelayMethod.record, params: [:])
            }
            await #expect(throws: RelayError.rpc(code: -32601, message: "nope", method: RelayMethod.play)) {
                try await client.execute(RelayMethod.play, params: [:])
            }
            await client.disconnect()
        }
    }
}

func v3Configuration() -> RelayConfiguration {
    var configuration = testConfiguration()
    configuration.wireGeneration = .relayV3
    return configuration
}

private func v3Client(_ peer: ScriptedPeer) throws -> RelayClient {
    try RelayClient(project: "p", token: "t", host: peer.url, configuration: v3Configuration(), logger: quietLogger)
}

/// Answers every request with a flat v3 success.
private func v3Responder() -> ScriptedPeer.Responder {
    { frame in
        guard let id = frame["id"]?.stringValue, frame["method"] != nil else { return nil }
        return [BladeFrame.result(id: id, result: ["code": "200", "message": "OK", "message_id": "m-1"]).json.jsonString]
    }
}

private func v3Event(id: String, type: String, params: JSONValue) -> String {
    String(decoding: V3EventParams(eventType: type, timestamp: 1, params: params).requestBytes(id: id), as: UTF8.self)
}

private func inboundCall(id: String) -> JSONValue {
    [
        "call_state": "created", "context": "office", "direction": "inbound", "node_id": "node-1", "call_id": .string(id),
        "device": ["type": "phone", "params": ["from_number": "+12025550100", "to_number": "+12025550199"]],
    ]
}

/// Ids of the empty results (acks and answers) the client sent.
private func acks(_ peer: ScriptedPeer) -> [String] {
    peer.received.compactMap { frame in
        guard frame["method"] == nil, frame["result"] == [:] else { return nil }
        return frame["id"]?.stringValue
    }
}

/// A `calling.dial` that fails with no leg event at all: the local server always announces the
/// legs it rings first, so only a scripted peer shows that `dial()` still returns.
@Suite(.timeLimit(.minutes(1)))
struct RelayV3DialTests {
    @Test func aDialThatFailsWithoutLegEventsEndsUnsuccessfully() async throws {
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue, let method = frame["method"]?.stringValue else { return nil }
            var replies = [BladeFrame.result(id: id, result: ["code": "200", "message": "Dialing"]).json.jsonString]
            if method == RelayMethod.dial, let tag = frame["params"]?["tag"] {
                let failed = V3EventParams(eventType: RelayEventName.callDial, params: ["tag": tag, "node_id": "n", "dial_state": "failed"])
                replies.append(String(decoding: failed.requestBytes(id: "dial-1"), as: UTF8.self))
            }
            return replies
        }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: v3Configuration(), logger: quietLogger)
            try await client.connect()
            let dial = try await client.calling.dial(from: "+12025550199", to: "+12025550001")
            #expect(!dial.successful)
            #expect(dial.call.ended)
            #expect(dial.call.failed)
            #expect(client.calling.activeCalls.isEmpty)
            await client.disconnect()
        }
    }
}
