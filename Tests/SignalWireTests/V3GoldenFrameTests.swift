import Foundation
import RelayWire
import SignalWire
import Synchronization
import Testing

/// The Swift SDK's RELAY v3 frames against `Tests/Fixtures/captured-v3` (the unmodified official
/// `signalwire-sdk` 3.7.5): same members, nesting and JSON types, ids, tags and control ids aside.
/// Each case repeats a captured scenario with the Swift API. The other end is a scripted peer
/// that answers like the capture's mock (results, then the events that complete the operation),
/// so every scenario the Swift API can express is compared, whatever the local server supports.
@Suite("v3 frames match the official Python 3.x SDK", .timeLimit(.minutes(2)))
struct V3GoldenFrameTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let scenario: String
        /// The methods whose frames are compared, in the order sent (each one's first frame).
        let methods: [String]
        let run: @Sendable (Call) async throws -> Void
        var testDescription: String { "\(scenario): \(methods.joined(separator: ", "))" }
    }

    static let cases: [Case] = [
        Case(scenario: "inbound_call_answer_hangup", methods: [RelayMethod.answer, RelayMethod.end]) { call in
            let answer = try await call.answer()
            #expect(answer.successful)
            let hangup = try await call.hangup()
            #expect(hangup.successful)
        },
        Case(scenario: "call_play_tts", methods: [RelayMethod.answer, RelayMethod.play, RelayMethod.end]) { call in
            _ = try await call.answer()
            let play = try await call.playTTSAsync(text: "Welcome to SignalWire!", language: "en-US", gender: "female", volume: 2)
            let played = try await play.wait()
            #expect(played.successful)
            _ = try await call.hangup()
        },
        Case(scenario: "call_play_and_collect_digits", methods: [RelayMethod.playAndCollect]) { call in
            _ = try await call.answer()
            let pin = try await call.promptTTS(.digits(max: 4, terminators: "#", digitTimeout: 3, initialTimeout: 5), text: "Enter your PIN followed by pound")
            #expect(pin.successful)
            #expect(pin.result == "1234")
        },
        Case(scenario: "call_record", methods: [RelayMethod.record]) { call in
            _ = try await call.answer()
            let record = try await call.record(
                beep: true, format: .wav, stereo: false, direction: .both, initialTimeout: 5, endSilenceTimeout: 2, terminators: "#")
            #expect(record.successful)
        },
        Case(scenario: "call_record_stop", methods: [RelayMethod.record, RelayMethod.recordStop]) { call in
            _ = try await call.answer()
            let record = try await call.recordAsync()
            #expect(await record.stop().successful)
        },
        Case(scenario: "call_error_400", methods: [RelayMethod.record]) { call in
            _ = try await call.answer()
            // Refused with 400: an unsuccessful result (Python 3.x raises).
            let record = try await call.record(format: "ogg")
            #expect(!record.successful)
        },
        Case(scenario: "call_send_digits", methods: [RelayMethod.sendDigits]) { call in
            _ = try await call.answer()
            let sent = try await call.sendDigits("1234w#")
            #expect(sent.successful)
        },
        Case(scenario: "call_connect_devices", methods: [RelayMethod.connect, RelayMethod.disconnect]) { call in
            _ = try await call.answer()
            let from = "+12025550199"
            let connected = try await call.connect(
                [[.phone(to: "+12025550001", from: from, timeout: 20)], [.phone(to: "+12025550002", from: from, timeout: 20), .phone(to: "+12025550003", from: from, timeout: 20)]],
                ringback: [.ringtone(name: "us")])
            #expect(connected.successful)
            let disconnected = try await call.disconnect()
            #expect(disconnected.successful)
        },
        Case(scenario: "call_gone_404", methods: [RelayMethod.play]) { call in
            _ = try await call.answer()
            let play = try await call.playTTS(text: "anyone there?")
            #expect(!play.successful)
            #expect(play.event?.isCallGone == true)
        },
    ]

    @Test(arguments: cases)
    func inboundScenarioMatchesPython(_ golden: Case) async throws {
        try await withScriptedPeer(responder: MiniRelay.respond) { peer in
            try await withV3Client(peer) { client in
                let offered = Mutex<Call?>(nil)
                try await client.calling.receive(contexts: ["office"]) { call in offered.withLock { $0 = call } }
                try await peer.push(MiniRelay.event("calling.call.receive", MiniRelay.inboundCall))
                #expect(await eventually { offered.withLock { $0 } != nil })
                let call = try #require(offered.withLock { $0 })
                try await golden.run(call)
                for method in golden.methods {
                    let ours = peer.received.first { $0["method"]?.stringValue == method }
                    V3Golden.expectMatch(ours, try V3Golden.request(golden.scenario, method: method), "\(golden.scenario) \(method)")
                }
                // Acks have exactly the captured form.
                let ack = peer.received.first { $0["method"] == nil }
                V3Golden.expectMatch(ack, try V3Golden.ack(golden.scenario), "\(golden.scenario) ack")
            }
        }
    }

    @Test func dialMatchesPython() async throws {
        try await withScriptedPeer(responder: MiniRelay.respond) { peer in
            try await withV3Client(peer) { client in
                let dial = try await client.calling.dial(from: "+12025550199", to: "+12025550001", timeout: 30)
                #expect(dial.successful)
                #expect(dial.call.id == "leg-1", "the leg is found by its tag")
                V3Golden.expectMatch(
                    peer.received.first { $0["method"]?.stringValue == RelayMethod.dial }, try V3Golden.request("dial_phone", method: RelayMethod.dial),
                    "calling.dial")
                #expect(!peer.received.contains { $0["method"]?.stringValue == RelayMethod.begin })
            }
        }
    }

    @Test func sessionFramesMatchPython() async throws {
        try await withScriptedPeer(responder: MiniRelay.respond) { peer in
            peer.authorizationState.withLock { $0 = "sealed:tag" }
            var configuration = v3Configuration()
            // See serverPingsAreAnsweredAndTheClientPingsToo: a keepalive soon, answerable when loaded.
            configuration.pingInterval = .seconds(1)
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: configuration, logger: quietLogger)
            try await client.connect()
            try await client.receive(contexts: ["sales", "support"])
            try await peer.push(#"{"jsonrpc":"2.0","id":"ping-1","method":"signalwire.ping","params":{}}"#)
            #expect(await eventually { peer.received.contains { $0["id"]?.stringValue == "ping-1" } })
            #expect(await eventually { peer.received.contains { $0["method"]?.stringValue == V3Method.ping } })
            peer.restoreSessions.store(true, ordering: .relaxed)
            await peer.dropAll()
            #expect(await eventually { peer.connections >= 2 && client.connected })
            await client.disconnect()
            let connects = peer.received.filter { $0["method"]?.stringValue == V3Method.connect }
            // The first connect of a client without contexts is the JWT scenario's shape apart
            // from the authentication form, and the captured one with contexts minus them.
            var first = try V3Golden.request("session_connect", method: V3Method.connect)
            first = first.removing(member: "contexts", inside: "params")
            V3Golden.expectMatch(connects.first, first, "signalwire.connect")
            V3Golden.expectMatch(
                connects.dropFirst().first?.removing(member: "contexts", inside: "params"),
                try V3Golden.request("session_socket_drop_reconnect", method: V3Method.connect, index: 1).removing(member: "contexts", inside: "params"),
                "signalwire.connect resuming")
            #expect(connects.dropFirst().first?["params"]?["contexts"] == ["sales", "support"], "contexts inline when reconnecting")
            V3Golden.expectMatch(
                peer.received.first { $0["method"]?.stringValue == V3Method.receive }, try V3Golden.request("session_receive_unreceive", method: V3Method.receive),
                "signalwire.receive")
            V3Golden.expectMatch(
                peer.received.first { $0["method"]?.stringValue == V3Method.ping }, try V3Golden.request("session_client_ping", method: V3Method.ping),
                "signalwire.ping")
            V3Golden.expectMatch(peer.received.first { $0["id"]?.stringValue == "ping-1" }, try V3Golden.ack("session_server_ping"), "ping answer")
        }
    }

    @Test(arguments: [false, true])
    func disconnectFramesMatchPython(restart: Bool) async throws {
        let scenario = restart ? "session_disconnect_restart_true" : "session_disconnect_restart_false"
        try await withScriptedPeer(responder: MiniRelay.respond) { peer in
            peer.authorizationState.withLock { $0 = "sealed:tag" }
            try await withV3Client(peer) { client in
                try await client.receive(contexts: ["office"])
                #expect(await eventually { peer.received.contains { $0["id"]?.stringValue?.hasPrefix("auth-") == true } })
                try await peer.push(#"{"jsonrpc":"2.0","id":"bye","method":"signalwire.disconnect","params":{"restart":\#(restart)}}"#)
                #expect(await eventually { peer.received.contains { $0["id"]?.stringValue == "bye" } })
                peer.restoreSessions.store(!restart, ordering: .relaxed)
                await peer.dropAll()
                #expect(await eventually { peer.connections >= 2 && client.connected })
                let again = peer.received.filter { $0["method"]?.stringValue == V3Method.connect }.dropFirst().first
                V3Golden.expectMatch(again, try V3Golden.request(scenario, method: V3Method.connect, index: 1), "\(scenario) reconnect")
                V3Golden.expectMatch(peer.received.first { $0["id"]?.stringValue == "bye" }, try V3Golden.ack(scenario), "\(scenario) answer")
            }
        }
    }
}

private func withV3Client<T: Sendable>(_ peer: ScriptedPeer, _ body: @Sendable (RelayClient) async throws -> T) async throws -> T {
    let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: v3Configuration(), logger: quietLogger)
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

/// Answers like the captures' mock: a flat result, then the events that complete the command.
enum MiniRelay {
    static let callID = "call-1"
    static let nodeID = "node-1"
    static let inboundCall: JSONValue = [
        "call_state": "created", "context": "office", "direction": "inbound", "node_id": .string(nodeID), "call_id": .string(callID),
        "device": ["type": "phone", "params": ["from_number": "+12025550100", "to_number": "+12025550199"]],
    ]

    static func event(_ type: String, _ params: JSONValue) -> String {
        String(decoding: V3EventParams(eventType: type, timestamp: 1, params: params).requestBytes(id: UUID().uuidString), as: UTF8.self)
    }

    static func state(_ state: String, callID: String = callID, tag: String? = nil) -> String {
        var params: [String: JSONValue] = ["call_id": .string(callID), "node_id": .string(nodeID), "call_state": .string(state)]
        if let tag { params["tag"] = .string(tag) }
        if state == "ended" { params["end_reason"] = "hangup" }
        return event(RelayEventName.callState, .object(params))
    }

    static func respond(_ frame: JSONValue) -> [String]? {
        guard let id = frame["id"]?.stringValue, let method = frame["method"]?.stringValue else { return nil }
        let params = frame["params"] ?? [:]
        let control = params["control_id"] ?? .null
        func result(_ code: String, _ extra: [String: JSONValue] = [:]) -> String {
            var members: [String: JSONValue] = ["code": .string(code), "message": "OK"]
            members.merge(extra) { $1 }
            return BladeFrame.result(id: id, result: .object(members)).json.jsonString
        }
        func component(_ type: String, _ members: [String: JSONValue]) -> String {
            var all: [String: JSONValue] = ["call_id": .string(callID), "node_id": .string(nodeID), "control_id": control]
            all.merge(members) { $1 }
            return event(type, .object(all))
        }
        switch method {
        case RelayMethod.answer: return [result("200"), state("answered")]
        case RelayMethod.end: return [result("200"), state("ending"), state("ended")]
        case RelayMethod.play:
            if params["play"]?[0]?["params"]?["text"]?.stringValue == "anyone there?" { return [result("404")] }
            return [result("200"), component(RelayEventName.callPlay, ["state": "finished"])]
        case RelayMethod.playAndCollect:
            return [result("200"), component(RelayEventName.callCollect, ["result": ["type": "digit", "params": ["digits": "1234", "terminator": "#"]]])]
        case RelayMethod.record:
            if params["record"]?["audio"]?["format"]?.stringValue == "ogg" { return [result("400")] }
            if params["record"]?["audio"] == [:] { return [result("200", ["url": "https://example.test/r.wav"])] }
            return [
                result("200"),
                component(RelayEventName.callRecord, ["state": "finished", "record": ["audio": ["url": "https://example.test/r.wav", "duration": 3, "size": 1024]]]),
            ]
        case RelayMethod.recordStop:
            return [result("200"), component(RelayEventName.callRecord, ["state": "finished", "record": ["audio": ["url": "https://example.test/r.wav"]]])]
        case RelayMethod.sendDigits: return [result("200"), component(RelayEventName.callSendDigits, ["state": "finished"])]
        case RelayMethod.connect:
            return [
                result("200"),
                event(RelayEventName.callConnect, ["call_id": .string(callID), "node_id": .string(nodeID), "connect_state": "connecting"]),
                event(
                    RelayEventName.callConnect,
                    ["call_id": .string(callID), "node_id": .string(nodeID), "connect_state": "connected", "peer": ["call_id": "peer-1", "node_id": .string(nodeID)]]),
            ]
        case RelayMethod.disconnect:
            return [result("200"), event(RelayEventName.callConnect, ["call_id": .string(callID), "node_id": .string(nodeID), "connect_state": "disconnected"])]
        case RelayMethod.dial:
            let tag = params["tag"]?.stringValue ?? ""
            return [result("200"), state("created", callID: "leg-1", tag: tag), state("ringing", callID: "leg-1", tag: tag), state("answered", callID: "leg-1", tag: tag)]
        default: return [result("200")]
        }
    }
}

/// Reads `Tests/Fixtures/captured-v3` and compares with the rules of ``Golden``.
enum V3Golden {
    static func frames(_ scenario: String) throws -> [JSONValue] {
        let data = try Data(contentsOf: Golden.fixtures.appendingPathComponent("captured-v3/\(scenario).json"))
        return try JSONCodec.parse([UInt8](data))["frames"]?.arrayValue ?? []
    }

    /// The `index`-th request of `method` the official client sent, whole.
    static func request(_ scenario: String, method: String, index: Int = 0) throws -> JSONValue {
        let matches = try frames(scenario).compactMap { frame -> JSONValue? in
            guard frame["dir"]?.stringValue == "client->server", frame["json"]?["method"]?.stringValue == method else { return nil }
            return frame["json"]
        }
        guard matches.indices.contains(index) else { throw GoldenError("scenario \(scenario) has no \(method) #\(index)") }
        return matches[index]
    }

    /// The official client's first answer to a server request (an ack).
    static func ack(_ scenario: String) throws -> JSONValue {
        guard let ack = try frames(scenario).first(where: { $0["dir"]?.stringValue == "client->server" && $0["json"]?["method"] == nil })?["json"] else {
            throw GoldenError("scenario \(scenario) has no answer to a server request")
        }
        return ack
    }

    static func expectMatch(_ ours: JSONValue?, _ golden: JSONValue, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        Golden.expectMatch(ours, golden, comment, sourceLocation: sourceLocation)
    }
}

extension JSONValue {
    /// A copy without `member` in the object at `key`.
    func removing(member: String, inside key: String) -> JSONValue {
        guard case .object(var members) = self, case .object(var inner)? = members[key] else { return self }
        inner[member] = nil
        members[key] = .object(inner)
        return .object(members)
    }
}
