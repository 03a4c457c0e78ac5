import Foundation
import RelayWire
import Testing

/// One frame of Tests/Fixtures/vectors/events/<event_type>.json.
struct EventVector: Sendable, CustomTestStringConvertible {
    var file: String
    var index: Int
    var eventType: String
    var broadcastEvent: String
    var note: String
    var frame: JSONValue
    var testDescription: String { "\(file) #\(index) \(note)" }

    static func all() -> [EventVector] {
        let directory = Fixtures.root.appendingPathComponent("vectors/events")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasSuffix(".json") }.sorted() ?? []
        var vectors: [EventVector] = []
        for file in files {
            guard let document = try? Fixtures.load("vectors/events/\(file)") else { continue }
            for (index, item) in (document["frames"]?.arrayValue ?? []).enumerated() {
                vectors.append(EventVector(
                    file: file, index: index, eventType: document["event_type"]?.stringValue ?? "",
                    broadcastEvent: document["blade_broadcast_event"]?.stringValue ?? "",
                    note: item["note"]?.stringValue ?? item["origin"]?.stringValue ?? "", frame: item["frame"] ?? .null))
            }
        }
        return vectors
    }
}

/// Every member `written` has must be in `original` with the same value (numbers by value).
func expectWrittenMembersMatch(_ written: JSONValue, _ original: JSONValue, allowExtra: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let writtenMembers = written.objectValue, let originalMembers = original.objectValue else {
        Issue.record("not objects: \(written) / \(original)", sourceLocation: sourceLocation)
        return
    }
    for (key, value) in writtenMembers where !allowExtra.contains(key) {
        guard let source = originalMembers[key] else {
            Issue.record("wrote '\(key)' = \(value.jsonString), which the frame does not have", sourceLocation: sourceLocation)
            continue
        }
        if let difference = jsonDifference(value, source, path: key) {
            Issue.record("\(difference)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Typed events against vectors/events")
struct EventVectorTests {
    @Test func allEventFilesLoaded() {
        let vectors = EventVector.all()
        #expect(Set(vectors.map(\.file)).count >= 15)
        #expect(vectors.count >= 80)
    }

    @Test(arguments: EventVector.all())
    func decodes(_ vector: EventVector) throws {
        let frame = try BladeFrame(json: vector.frame)
        guard case .request(let id, let method, let params) = frame else {
            Issue.record("not a request: \(frame)")
            return
        }
        #expect(method == BladeMethod.broadcast)
        #expect(id == vector.frame["id"]?.stringValue)
        // The frame written back carries the same members.
        #expect(jsonDifference(frame.json, vector.frame) == nil || vector.frame["jsonrpc"] == nil, "\(jsonDifference(frame.json, vector.frame) ?? "")")

        let broadcast = try BroadcastParams(json: params)
        #expect(broadcast.protocolName == params["protocol"]?.stringValue)
        #expect(broadcast.event == vector.broadcastEvent)
        #expect(broadcast.channel == params["channel"]?.stringValue ?? "notifications")
        #expect(broadcast.broadcasterNodeID == params["broadcaster_nodeid"]?.stringValue)
        expectWrittenMembersMatch(broadcast.json, params, allowExtra: params["channel"] == nil ? ["channel"] : [])
        #expect(try BroadcastParams(json: broadcast.json) == broadcast)

        let members = broadcast.eventParams
        switch vector.eventType {
        case RelayEventName.callState, RelayEventName.callReceive:
            #expect(broadcast.eventType == vector.eventType)
            let event = try CallStateEvent(json: members)
            let typed = try CallingEvent(eventType: vector.eventType, params: members)
            #expect(typed == (vector.eventType == RelayEventName.callState ? .state(event) : .receive(event)))
            #expect(event.callState?.rawValue == members["call_state"]?.stringValue)
            #expect(event.callID == members["call_id"]?.stringValue)
            #expect(event.state == members["call_state"]?.stringValue)
            #expect(event.nodeID == members["node_id"]?.stringValue)
            #expect(event.tag == members["tag"]?.stringValue)
            #expect(event.endReason == members["end_reason"]?.stringValue)
            #expect(event.device?.type == members["device"]?["type"]?.stringValue)
            #expect(event.peer?.callID == members["peer"]?["call_id"]?.stringValue)
            if vector.eventType == RelayEventName.callReceive { #expect(event.context == members["context"]?.stringValue) }
            expectWrittenMembersMatch(event.json, members)
            #expect(try CallStateEvent(json: event.json) == event)
        case RelayEventName.callConnect:
            let event = try ConnectEvent(json: members)
            #expect(try CallingEvent(eventType: vector.eventType, params: members) == .connect(event))
            #expect(event.callID == members["call_id"]?.stringValue)
            #expect(event.state == members["connect_state"]?.stringValue)
            #expect(event.peer?.callID == members["peer"]?["call_id"]?.stringValue)
            #expect(event.peer?.device?.to == members["peer"]?["device"]?["params"]?["to_number"]?.stringValue ?? members["peer"]?["device"]?["params"]?["to"]?.stringValue)
            expectWrittenMembersMatch(event.json, members)
            #expect(try ConnectEvent(json: event.json) == event)
        case RelayEventName.callPlay, RelayEventName.callRecord, RelayEventName.callTap, RelayEventName.callSendDigits,
            RelayEventName.callCollect, RelayEventName.callDetect, RelayEventName.callFax:
            // The one decoder the SDK and the server share.
            let event = try CallingEvent(eventType: vector.eventType, params: members)
            #expect(event.eventType == vector.eventType)
            #expect(event.callID == members["call_id"]?.stringValue)
            #expect(event.controlID == members["control_id"]?.stringValue)
            switch event {
            case .collect(let collect):
                #expect(collect.address.nodeID == members["node_id"]?.stringValue)
                #expect(collect.result.type == members["result"]?["type"]?.stringValue)
                if collect.result.type == "digit" { #expect(collect.result.params["digits"]?.stringValue != nil) }
                if collect.result.type == "speech" { #expect(collect.result.params["confidence"]?.doubleValue != nil) }
            case .detect(let detect):
                #expect(detect.type == members["detect"]?["type"]?.stringValue)
                #expect(detect.event == members["detect"]?["params"]?["event"]?.stringValue)
            case .fax(let fax):
                #expect(fax.type == members["fax"]?["type"]?.stringValue)
                #expect(fax.params == members["fax"]?["params"] ?? [:])
            case .play(let component), .sendDigits(let component):
                #expect(component.state == members["state"]?.stringValue)
            case .record(let record):
                #expect(record.state == members["state"]?.stringValue)
                #expect(record.url == members["url"]?.stringValue)
            case .tap(let tap):
                #expect(tap.state == members["state"]?.stringValue)
            default:
                Issue.record("\(vector.eventType) decoded as \(event.eventType)")
            }
            // What is written back is what was read, and reads back the same.
            expectWrittenMembersMatch(event.params, members)
            #expect(try CallingEvent(eventType: event.eventType, params: event.params) == event)
        case RelayEventName.messagingReceive, RelayEventName.messagingState:
            let event = try MessageEvent(json: members)
            #expect(event.messageID == members["message_id"]?.stringValue)
            #expect(event.state == members["message_state"]?.stringValue)
            #expect(event.context == members["context"]?.stringValue)
            #expect(event.body == members["body"]?.stringValue)
            #expect(event.media == members["media"]?.stringArray ?? [])
            #expect(event.tags == members["tags"]?.stringArray ?? [])
            #expect(event.segments == members["segments"]?.intValue)
            #expect(event.reason == members["reason"]?.stringValue)
            expectWrittenMembersMatch(event.json, members, allowExtra: Set(["media", "tags"].filter { members[$0] == nil }))
            #expect(try MessageEvent(json: event.json) == event)
        case RelayEventName.tasks:
            #expect(broadcast.eventType == nil)
            let task = try TaskNotification(json: broadcast.notification)
            #expect(task.context == broadcast.notification["context"]?.stringValue)
            #expect(task.message == broadcast.notification["message"])
            #expect(task.projectID == broadcast.notification["project_id"]?.stringValue)
            #expect(task.timestamp == broadcast.notification["timestamp"]?.doubleValue)
            expectWrittenMembersMatch(task.json, broadcast.notification)
            #expect(try TaskNotification(json: task.json) == task)
        case RelayEventName.callDial, RelayEventName.callRefer:
            // No typed struct (yet): the envelope must still read, and the members be reachable.
            #expect(broadcast.eventType == vector.eventType)
            #expect(members.objectValue?.isEmpty == false)
        default:
            Issue.record("no decoder mapped for \(vector.eventType)")
        }
    }

    // MARK: Missing required members

    @Test func missingEventMembersAreNamed() throws {
        let state: JSONValue = ["call_id": "c", "call_state": "answered", "node_id": "n"]
        #expect(throws: Never.self) { try CallStateEvent(json: state) }
        for member in ["call_id", "call_state"] {
            expectNamed(member) { () throws(WireError) in _ = try CallStateEvent(json: removing(member, from: state)) }
        }
        let connect: JSONValue = ["call_id": "c", "connect_state": "connected"]
        for member in ["call_id", "connect_state"] {
            expectNamed(member) { () throws(WireError) in _ = try ConnectEvent(json: removing(member, from: connect)) }
        }
        let component: JSONValue = ["call_id": "c", "control_id": "k", "state": "finished"]
        for member in ["call_id", "control_id", "state"] {
            for type in [RelayEventName.callPlay, RelayEventName.callSendDigits, RelayEventName.callRecord] {
                expectNamed(member) { () throws(WireError) in _ = try CallingEvent(eventType: type, params: removing(member, from: component)) }
            }
        }
        expectNamed("result") { () throws(WireError) in _ = try CallingEvent(eventType: RelayEventName.callCollect, params: component) }
        expectNamed("detect") { () throws(WireError) in _ = try CallingEvent(eventType: RelayEventName.callDetect, params: component) }
        expectNamed("fax") { () throws(WireError) in _ = try CallingEvent(eventType: RelayEventName.callFax, params: component) }
        // An event type nobody models is kept as sent, not refused.
        #expect(try CallingEvent(eventType: "calling.call.future", params: component) == .other(eventType: "calling.call.future", params: component))
        let message: JSONValue = ["message_id": "m", "message_state": "queued", "context": "office"]
        for member in ["message_id", "message_state", "context"] {
            expectNamed(member) { () throws(WireError) in _ = try MessageEvent(json: removing(member, from: message)) }
        }
        expectNamed("context") { () throws(WireError) in _ = try TaskNotification(json: ["message": [:]]) }
        let envelope: JSONValue = ["protocol": "p", "event": "queuing.relay.events", "params": [:]]
        for member in ["protocol", "event", "params"] {
            expectNamed(member) { () throws(WireError) in _ = try BroadcastParams(json: removing(member, from: envelope)) }
        }
        // Wrong types count as missing.
        expectNamed("call_id") { () throws(WireError) in _ = try CallStateEvent(json: ["call_id": 5, "call_state": "ended"]) }
        expectNamed("params") { () throws(WireError) in _ = try BroadcastParams(json: ["protocol": "p", "event": "e", "params": "{}"]) }
    }

    @Test func bladeFrames() throws {
        #expect(try BladeFrame(json: ["jsonrpc": "2.0", "id": 7, "result": [:]]) == .result(id: "7", result: [:]))
        #expect(try BladeFrame(json: ["id": "x", "method": "blade.disconnect"]) == .request(id: "x", method: "blade.disconnect", params: [:]))
        #expect(try BladeFrame(json: ["method": "blade.ping"]).id == "")
        let error = try BladeFrame(json: ["id": "e", "error": ["code": -32601, "message": "nope"]])
        #expect(error == .error(id: "e", error: BladeError(code: -32601, message: "nope")))
        #expect(try BladeFrame(json: ["id": "e", "error": "garbage"]) == .error(id: "e", error: BladeError(code: BladeError.internalError, message: "unknown error")))
        for bad: JSONValue in [[], "frame", nil, 1, [:], ["id": "x"], ["id": 1.5, "result": 1], ["id": nil, "result": 1], ["method": 5, "id": true]] {
            #expect(throws: WireError.self, "\(bad)") { try BladeFrame(json: bad) }
        }
        // Written and read back.
        let frames: [BladeFrame] = [.request(id: "1", method: "blade.execute", params: ["protocol": "p", "volume": 6.0]), .result(id: "2", result: ["result": ["code": "200"]]), .error(id: "3", error: BladeError(code: -32000, message: "timeout"))]
        for frame in frames {
            #expect(try BladeFrame(bytes: frame.bytes) == frame)
        }
        #expect(RelayResult.isSuccess(["result": ["code": "200"]]))
        #expect(!RelayResult.isSuccess(["result": ["code": 200]]))
        #expect(!RelayResult.isSuccess(["result": ["message": "no code"]]))
        #expect(RelayResult.isSuccess(code: "200") && !RelayResult.isSuccess(code: 200) && !RelayResult.isSuccess(code: "400"))
        #expect(CommandResult(json: ["code": "200", "message": "OK"]).isSuccess)
        #expect(!CommandResult(json: ["code": 200, "message": "OK"]).isSuccess)
    }
}

func removing(_ member: String, from value: JSONValue) -> JSONValue {
    guard case .object(var members) = value else { return value }
    members[member] = nil
    return .object(members)
}
