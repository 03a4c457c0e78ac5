/// The params of a `signalwire.event` (RELAY-V3.md §3.1): `event_type`, `timestamp` and the
/// event payload, which is the same object v2 nests three levels deep in `blade.broadcast`.
package struct V3EventParams: Sendable, Hashable {
    /// The task event keeps its v2 broadcast name as its `event_type` (RELAY-V3.md §10).
    package static let taskEventType = RelayEventName.tasks

    package var eventType: String
    package var timestamp: Double?
    /// The event-specific members.
    package var params: JSONValue
    /// `project_id`, sent by servers beside the payload (clients ignore it).
    package var projectID: String?

    package init(eventType: String, timestamp: Double? = nil, params: JSONValue = .object([:]), projectID: String? = nil) {
        self.eventType = eventType
        self.timestamp = timestamp
        self.params = params
        self.projectID = projectID
    }

    package init(json: JSONValue) throws(WireError) {
        eventType = try json.requireString("event_type", in: V3Method.event)
        timestamp = json["timestamp"]?.doubleValue
        params = json["params"] ?? .object([:])
        guard params.objectValue != nil else { throw WireError("\(V3Method.event): 'params.params' must be an object") }
        projectID = json["project_id"]?.stringValue
    }

    /// The v3 form of a notification both wire generations carry.
    package init(_ notification: RelayNotification, projectID: String?, timestamp: Double) {
        self.timestamp = timestamp
        self.projectID = projectID
        switch notification {
        case .calling(let event):
            eventType = event.eventType
            params = event.params
        case .messaging(let message, let received):
            eventType = received ? RelayEventName.messagingReceive : RelayEventName.messagingState
            params = message.json
        case .task(let task):
            eventType = Self.taskEventType
            var task = task
            if task.timestamp == nil { task.timestamp = timestamp }
            if task.projectID == nil { task.projectID = projectID }
            params = task.json
        }
    }

    /// The notification this event carries, or `nil` for an event that exists only on the v3
    /// wire (such as ``V3EventName/authorizationState``). Throws when a known event is malformed.
    package func notification() throws(WireError) -> RelayNotification? {
        switch eventType {
        case Self.taskEventType:
            return .task(try TaskNotification(json: params))
        case RelayEventName.messagingReceive, RelayEventName.messagingState:
            return .messaging(try MessageEvent(json: params), received: eventType == RelayEventName.messagingReceive)
        case V3EventName.authorizationState:
            return nil
        default:
            guard eventType.hasPrefix("calling.") else { return nil }
            return .calling(try CallingEvent(eventType: eventType, params: params))
        }
    }

    /// `params.authorization_state` of a ``V3EventName/authorizationState`` event.
    package var authorizationState: String? {
        eventType == V3EventName.authorizationState ? params["authorization_state"]?.stringValue : nil
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("event_type", eventType)
        members.set("timestamp", timestamp)
        members.set("project_id", projectID)
        members.set("params", params)
        return members.value
    }

    /// The whole `signalwire.event` request with request id `id`, as compact JSON bytes, written
    /// without building the envelope's objects (a server sends one per event).
    package func requestBytes(id: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        output.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONCodec.writeString(id, into: &output)
        output.append(contentsOf: #","method":"signalwire.event","params":{"event_type":"#.utf8)
        JSONCodec.writeString(eventType, into: &output)
        if let timestamp {
            output.append(contentsOf: #","timestamp":"#.utf8)
            JSONCodec.write(.double(timestamp), into: &output, sortedKeys: false)
        }
        if let projectID {
            output.append(contentsOf: #","project_id":"#.utf8)
            JSONCodec.writeString(projectID, into: &output)
        }
        output.append(contentsOf: #","params":"#.utf8)
        JSONCodec.write(params, into: &output, sortedKeys: false)
        output.append(contentsOf: "}}".utf8)
        return output
    }
}
