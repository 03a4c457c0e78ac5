import Foundation
import RelayWire
import Testing

/// One `blade.broadcast` a server sent to the official Python SDK 2.1.1 in a captured scenario.
struct CapturedBroadcast: Sendable, CustomTestStringConvertible {
    var scenario: String
    var index: Int
    var params: JSONValue
    var testDescription: String { "\(scenario) frame \(index)" }

    /// Every broadcast in Tests/Fixtures/captured, and in ../shared/protocol/captured when that
    /// checkout is there and holds scenarios the snapshot lacks or has changed.
    static func all() -> [CapturedBroadcast] {
        let snapshot = Fixtures.root.appendingPathComponent("captured")
        let shared = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/protocol/captured")
        var seen: [String: Data] = [:]
        var found: [CapturedBroadcast] = []
        for directory in [snapshot, shared] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasSuffix(".json") }.sorted() ?? []
            for name in names {
                guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)), seen[name] != data else { continue }
                let label = seen[name] == nil ? name : "shared/\(name)"
                seen[name] = data
                guard let document = try? JSONCodec.parse([UInt8](data)) else { continue }
                for (index, frame) in (document["frames"]?.arrayValue ?? []).enumerated() {
                    guard let json = frame["json"], json["method"]?.stringValue == BladeMethod.broadcast, let params = json["params"] else { continue }
                    found.append(CapturedBroadcast(scenario: label, index: index, params: params))
                }
            }
        }
        return found
    }
}

/// The first difference between two values where numbers must also have the same JSON kind
/// (`4` is not `4.0`), or nil when they are the same JSON member for member.
func strictDifference(_ lhs: JSONValue, _ rhs: JSONValue, path: String = "$") -> String? {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
        let keys = Set(a.keys).symmetricDifference(b.keys)
        guard keys.isEmpty else { return "\(path): members differ: \(keys.sorted())" }
        for name in a.keys.sorted() {
            guard let left = a[name], let right = b[name] else { continue }
            if let difference = strictDifference(left, right, path: "\(path).\(name)") { return difference }
        }
        return nil
    case (.array(let a), .array(let b)):
        guard a.count == b.count else { return "\(path): \(a.count) items != \(b.count) items" }
        for (index, pair) in zip(a, b).enumerated() {
            if let difference = strictDifference(pair.0, pair.1, path: "\(path)[\(index)]") { return difference }
        }
        return nil
    default:
        return identical(lhs, rhs) ? nil : "\(path): wrote \(lhs.jsonString), captured \(rhs.jsonString)"
    }
}

/// The judge of the typed event model: both the SDK (decoding) and the server (encoding) use
/// these types, so every event Python 2.1.1 received must decode into the right case and encode
/// back to exactly what was captured.
@Suite("Captured events through the typed model")
struct CapturedEventTests {
    /// The `CallingEvent` case each `event_type` must decode to.
    static let expectedCase: [String: String] = [
        RelayEventName.callState: "state", RelayEventName.callReceive: "receive", RelayEventName.callConnect: "connect",
        RelayEventName.callPlay: "play", RelayEventName.callCollect: "collect", RelayEventName.callRecord: "record",
        RelayEventName.callDetect: "detect", RelayEventName.callFax: "fax", RelayEventName.callTap: "tap",
        RelayEventName.callSendDigits: "sendDigits",
    ]

    static func caseName(_ event: CallingEvent) -> String {
        switch event {
        case .state: "state"
        case .receive: "receive"
        case .connect: "connect"
        case .play: "play"
        case .collect: "collect"
        case .record: "record"
        case .detect: "detect"
        case .fax: "fax"
        case .tap: "tap"
        case .sendDigits: "sendDigits"
        case .dial: "dial"
        case .refer: "refer"
        case .other: "other"
        }
    }

    @Test func everyKindIsCaptured() {
        let broadcasts = CapturedBroadcast.all()
        #expect(broadcasts.count >= 400, "only \(broadcasts.count) captured broadcasts")
        let types = Set(broadcasts.compactMap { $0.params["params"]?["event_type"]?.stringValue })
        #expect(Set(Self.expectedCase.keys).isSubset(of: types), "not captured: \(Set(Self.expectedCase.keys).subtracting(types).sorted())")
        let events = Set(broadcasts.compactMap { $0.params["event"]?.stringValue })
        #expect(events == [RelayEventName.calling, RelayEventName.messaging, RelayEventName.tasks])
    }

    @Test(arguments: CapturedBroadcast.all())
    func decodesAndEncodesBackExactly(_ captured: CapturedBroadcast) throws {
        let broadcast = try BroadcastParams(json: captured.params)
        let members = broadcast.notification
        if members.objectValue?.isEmpty == true {
            // A deliberately empty notification (another protocol's): it must not decode.
            #expect(throws: WireError.self) { try RelayNotification(event: broadcast.event, notification: members) }
            return
        }
        let notification = try RelayNotification(event: broadcast.event, notification: members)
        #expect(notification.event == broadcast.event)
        switch notification {
        case .calling(let event):
            let eventType = try #require(members["event_type"]?.stringValue)
            #expect(Self.caseName(event) == Self.expectedCase[eventType], "\(eventType) decoded as .\(Self.caseName(event))")
            #expect(event.eventType == eventType)
            let params = try #require(members["params"])
            #expect(event.callID == params["call_id"]?.stringValue)
            #expect(event.controlID == params["control_id"]?.stringValue)
            if let difference = strictDifference(event.params, params) { Issue.record("params: \(difference)") }
        case .messaging(let message, let received):
            #expect(received == (members["event_type"]?.stringValue == RelayEventName.messagingReceive))
            if let difference = strictDifference(message.json, members["params"] ?? .null) { Issue.record("params: \(difference)") }
        case .task(let task):
            #expect(task.context == members["context"]?.stringValue)
        }
        // The whole notification and envelope, as the server writes them from the typed value.
        let written = notification.json(
            protocolName: try members.requireString("event_channel", in: "captured"), projectID: try members.requireString("project_id", in: "captured"),
            spaceID: try members.requireString("space_id", in: "captured"), timestamp: members["timestamp"]?.doubleValue ?? .nan)
        if let difference = strictDifference(written, members) { Issue.record("notification: \(difference)") }
        let envelope = BroadcastParams(
            protocolName: broadcast.protocolName, event: notification.event, notification: written, channel: broadcast.channel,
            broadcasterNodeID: broadcast.broadcasterNodeID)
        if let difference = strictDifference(envelope.json, captured.params) { Issue.record("broadcast: \(difference)") }
    }
}
