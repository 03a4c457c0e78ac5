import RelayWire
import Testing

/// The v3 session envelope against the frames the official v3 client (3.7.5) sent and read.
@Suite struct V3EnvelopeTests {
    /// Every frame of every captured-v3 scenario with its direction.
    static func frames() throws -> [(scenario: String, direction: String, json: JSONValue)] {
        var all: [(String, String, JSONValue)] = []
        for url in Fixtures.allJSONFiles() where url.path.contains("/captured-v3/") {
            let document = try JSONCodec.parse(Fixtures.bytes(url))
            for frame in document["frames"]?.arrayValue ?? [] {
                guard let direction = frame["dir"]?.stringValue, let json = frame["json"] else { continue }
                all.append((url.deletingPathExtension().lastPathComponent, direction, json))
            }
        }
        return all
    }

    @Test func everyCapturedConnectDecodesAndReencodesWithTheSameMembers() throws {
        let connects = try Self.frames().filter { $0.direction == "client->server" && $0.json["method"]?.stringValue == V3Method.connect }
        #expect(connects.count >= 10)
        for frame in connects {
            let params = try #require(frame.json["params"])
            let decoded = try V3ConnectParams(json: params)
            // The same members, nesting and JSON types as the official client sends.
            #expect(decoded.json == params, "\(frame.scenario)")
            #expect(decoded.eventAcks)
        }
        let jwt = try #require(connects.first { $0.scenario == "session_connect_jwt" })
        guard case .jwt = try V3ConnectParams(json: #require(jwt.json["params"])).authentication else {
            Issue.record("a jwt_token connect must read as .jwt")
            return
        }
        let resumed = connects.filter { $0.json["params"]?["protocol"] != nil }
        #expect(!resumed.isEmpty)
        for frame in resumed { #expect(try V3ConnectParams(json: #require(frame.json["params"])).authorizationState != nil) }
    }

    @Test func everyServerEventDecodesIntoTheSharedNotifications() throws {
        let events = try Self.frames().filter { $0.direction == "server->client" && $0.json["method"]?.stringValue == V3Method.event }
        #expect(events.count > 50)
        var kinds: Set<String> = []
        for frame in events {
            let params = try V3EventParams(json: #require(frame.json["params"]))
            if params.eventType == V3EventName.authorizationState {
                #expect(params.authorizationState?.isEmpty == false)
                #expect(try params.notification() == nil)
                continue
            }
            let notification = try #require(try params.notification(), "\(frame.scenario): \(params.eventType)")
            kinds.insert(notification.event)
            // Written back by the server's encoder, it reads as the same typed event.
            let rewritten = V3EventParams(notification, projectID: params.projectID, timestamp: params.timestamp ?? 0)
            #expect(rewritten.eventType == params.eventType)
            #expect(try rewritten.notification() == notification, "\(frame.scenario): \(params.eventType)")
        }
        #expect(kinds == [RelayEventName.calling, RelayEventName.messaging, RelayEventName.tasks])
    }

    @Test func eventBytesEqualTheEncodedEnvelope() throws {
        let params = V3EventParams(eventType: "calling.call.play", timestamp: 12.5, params: ["call_id": "c", "state": "playing"], projectID: "p")
        let frame = BladeFrame.request(id: "e1", method: V3Method.event, params: params.json)
        #expect(try JSONCodec.parse(params.requestBytes(id: "e1")) == frame.json)
    }

    @Test func resultsSucceedOnAny2xxStringOrNumberAndCallGoneIs404Or410() {
        #expect(V3Result.isSuccess(["code": "200", "message": "Playing"]))
        #expect(V3Result.isSuccess(["code": .int(204)]))
        #expect(V3Result.isSuccess(["protocol": "p"]))
        #expect(!V3Result.isSuccess(["code": "400"]))
        #expect(!V3Result.isSuccess(["code": "abc"]))
        #expect(V3Result.isCallGone(["code": "404"]) && V3Result.isCallGone(["code": .int(410)]))
        #expect(!V3Result.isCallGone(["code": "400"]))
    }

    @Test func connectParamsRejectWhatAServerCannotUse() {
        #expect(throws: WireError.self) { try V3ConnectParams(json: ["authentication": ["project": "p"]]) }
        #expect(throws: WireError.self) { try V3ConnectParams(json: ["authentication": ["token": "t"]]) }
        #expect(throws: WireError.self) { try V3ConnectParams(json: ["authentication": ["project": "p", "token": "t"], "contexts": "office"]) }
        #expect(throws: WireError.self) { try V3ConnectParams(json: ["authentication": ["project": "p", "token": "t"], "contexts": [1]]) }
        // Any version is accepted: the method names the dialect, not the number.
        #expect((try? V3ConnectParams(json: ["version": ["major": 4, "minor": 0, "revision": 0], "authentication": ["jwt_token": "j"]])) != nil)
    }
}
