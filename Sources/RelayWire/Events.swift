// Event params (`params.params.params` of a `blade.broadcast`, RELAY-V2.md §5, §7.2, §8.2).
// Readers are lenient: only what the completion logic needs is required.

/// The other leg of a connected call.
public struct PeerInfo: Sendable, Hashable {
    public var callID: String
    public var nodeID: String?
    public var device: Device?

    public init(callID: String, nodeID: String?, device: Device? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.device = device
    }

    public init?(json: JSONValue?) {
        guard let json, let callID = json["call_id"]?.stringValue else { return nil }
        self.callID = callID
        nodeID = json["node_id"]?.stringValue
        device = json["device"].flatMap { try? Device(json: $0) }
    }

    public var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("device", device?.json)
        return members.value
    }
}

/// `calling.call.state` and `calling.call.receive`.
public struct CallStateEvent: JSONRepresentable, Hashable {
    public var callID: String
    public var nodeID: String?
    public var tag: String?
    public var state: String
    public var direction: String?
    public var device: Device?
    public var endReason: String?
    public var peer: PeerInfo?
    public var context: String?

    public init(callID: String, nodeID: String?, tag: String? = nil, state: String, direction: String? = nil, device: Device? = nil, endReason: String? = nil, peer: PeerInfo? = nil, context: String? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.tag = tag
        self.state = state
        self.direction = direction
        self.device = device
        self.endReason = endReason
        self.peer = peer
        self.context = context
    }

    public init(json: JSONValue) throws(WireError) {
        callID = try json.requireString("call_id", in: "calling.call.state")
        state = try json.requireString("call_state", in: "calling.call.state")
        nodeID = json["node_id"]?.stringValue
        tag = json["tag"]?.stringValue
        direction = json["direction"]?.stringValue
        device = json["device"].flatMap { try? Device(json: $0) }
        endReason = json["end_reason"]?.stringValue
        peer = PeerInfo(json: json["peer"])
        context = json["context"]?.stringValue
    }

    public var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("tag", tag)
        members.set("call_state", state)
        members.set("direction", direction)
        members.set("device", device?.json)
        members.set("end_reason", endReason)
        members.set("peer", peer?.json)
        members.set("context", context)
        return members.value
    }
}

/// `calling.call.connect`.
public struct ConnectEvent: JSONRepresentable, Hashable {
    public var callID: String
    public var nodeID: String?
    public var state: String
    public var peer: PeerInfo?
    public var tag: String?

    public init(callID: String, nodeID: String?, state: String, peer: PeerInfo? = nil, tag: String? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.state = state
        self.peer = peer
        self.tag = tag
    }

    public init(json: JSONValue) throws(WireError) {
        callID = try json.requireString("call_id", in: "calling.call.connect")
        state = try json.requireString("connect_state", in: "calling.call.connect")
        nodeID = json["node_id"]?.stringValue
        peer = PeerInfo(json: json["peer"])
        tag = json["tag"]?.stringValue
    }

    public var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("connect_state", state)
        members.set("peer", peer?.json)
        members.set("tag", tag)
        return members.value
    }
}

/// Any component event: the address plus the rest of the members as sent.
/// Typed views (`state`, `collectResult`, `detect`, `fax`, …) read what each type carries.
public struct ComponentEvent: JSONRepresentable, Hashable {
    public var callID: String
    public var nodeID: String?
    public var controlID: String
    /// Every member of the event params, including the three above.
    public var params: JSONValue

    public init(callID: String, nodeID: String?, controlID: String, members: [String: JSONValue]) {
        self.callID = callID
        self.nodeID = nodeID
        self.controlID = controlID
        var all = members
        all["call_id"] = .string(callID)
        if let nodeID { all["node_id"] = .string(nodeID) }
        all["control_id"] = .string(controlID)
        params = .object(all)
    }

    public init(json: JSONValue) throws(WireError) {
        callID = try json.requireString("call_id", in: "component event")
        controlID = try json.requireString("control_id", in: "component event")
        nodeID = json["node_id"]?.stringValue
        params = json
    }

    public var json: JSONValue { params }

    /// `state` of play, record, tap and send_digits events.
    public var state: String? { params["state"]?.stringValue }
    /// `result` of a collect event.
    public var collectResult: CollectResult? { params["result"].map(CollectResult.init(json:)) }
    /// `detect` of a detect event: `(type, event)`.
    public var detect: (type: String, event: String)? {
        guard let detect = params["detect"], let event = detect["params"]?["event"]?.stringValue else { return nil }
        return (detect["type"]?.stringValue ?? "", event)
    }
    /// `fax` of a fax event: `(type, params)`.
    public var fax: (type: String, params: JSONValue)? {
        guard let fax = params["fax"], let type = fax["type"]?.stringValue else { return nil }
        return (type, fax["params"] ?? .object([:]))
    }
}

/// The `result` of `calling.call.collect`.
public struct CollectResult: Sendable, Hashable {
    /// `digit`, `speech`, `no_input`, `no_match`, `error` (or `start_of_speech` with partial results).
    public var type: String
    public var params: JSONValue

    public init(type: String, params: JSONValue = .object([:])) {
        self.type = type
        self.params = params
    }

    public init(json: JSONValue) {
        type = json["type"]?.stringValue ?? "error"
        params = json["params"] ?? .object([:])
    }

    public static func digits(_ digits: String, terminator: String?) -> CollectResult {
        var params = JSONObjectBuilder()
        params.set("digits", digits)
        params.set("terminator", terminator)
        return CollectResult(type: "digit", params: params.value)
    }

    public static func speech(_ text: String, confidence: Double) -> CollectResult {
        CollectResult(type: "speech", params: ["text": .string(text), "confidence": .double(confidence)])
    }

    public var json: JSONValue {
        if type == "digit" || type == "speech" { return ["type": .string(type), "params": params] }
        return ["type": .string(type)]
    }
}

/// `messaging.receive` and `messaging.state`.
public struct MessageEvent: JSONRepresentable, Hashable {
    public var messageID: String
    public var state: String
    public var context: String
    public var direction: String?
    public var from: String?
    public var to: String?
    public var body: String?
    public var media: [String]
    public var tags: [String]
    public var segments: Int?
    public var reason: String?

    public init(messageID: String, state: String, context: String, direction: String? = nil, from: String? = nil, to: String? = nil, body: String? = nil, media: [String] = [], tags: [String] = [], segments: Int? = nil, reason: String? = nil) {
        self.messageID = messageID
        self.state = state
        self.context = context
        self.direction = direction
        self.from = from
        self.to = to
        self.body = body
        self.media = media
        self.tags = tags
        self.segments = segments
        self.reason = reason
    }

    public init(json: JSONValue) throws(WireError) {
        messageID = try json.requireString("message_id", in: "messaging event")
        state = try json.requireString("message_state", in: "messaging event")
        context = try json.requireString("context", in: "messaging event")
        direction = json["direction"]?.stringValue
        from = json["from_number"]?.stringValue
        to = json["to_number"]?.stringValue
        body = json["body"]?.stringValue
        media = json["media"]?.stringArray ?? []
        tags = json["tags"]?.stringArray ?? []
        segments = json["segments"]?.intValue
        reason = json["reason"]?.stringValue
    }

    public var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("message_id", messageID)
        members.set("message_state", state)
        members.set("context", context)
        members.set("direction", direction)
        members.set("from_number", from)
        members.set("to_number", to)
        members.set("body", body)
        members.set("media", media)
        members.set("tags", tags)
        members.set("segments", segments)
        members.set("reason", reason)
        return members.value
    }
}

/// The notification object of `queuing.relay.tasks` (no `event_type`, no nested `params`).
public struct TaskNotification: JSONRepresentable, Hashable {
    public var context: String
    public var message: JSONValue
    public var projectID: String?
    public var spaceID: String?
    public var timestamp: Double?

    public init(context: String, message: JSONValue, projectID: String? = nil, spaceID: String? = nil, timestamp: Double? = nil) {
        self.context = context
        self.message = message
        self.projectID = projectID
        self.spaceID = spaceID
        self.timestamp = timestamp
    }

    public init(json: JSONValue) throws(WireError) {
        context = try json.requireString("context", in: RelayEventName.tasks)
        message = json["message"] ?? .null
        projectID = json["project_id"]?.stringValue
        spaceID = json["space_id"]?.stringValue
        timestamp = json["timestamp"]?.doubleValue
    }

    public var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("context", context)
        members.set("message", message)
        members.set("project_id", projectID)
        members.set("space_id", spaceID)
        members.set("timestamp", timestamp.map(JSONValue.double))
        return members.value
    }
}

/// Builds the notification object (`params.params` of a broadcast) for calling and messaging
/// events, with every member a server SHOULD send (§3.1, §12.8).
public enum NotificationBuilder {
    public static func event(type: String, params: JSONValue, protocolName: String, projectID: String, spaceID: String, timestamp: Double, context: String? = nil) -> JSONValue {
        var members = JSONObjectBuilder()
        members.set("event_type", type)
        members.set("event_channel", protocolName)
        members.set("timestamp", .double(timestamp))
        members.set("project_id", projectID)
        members.set("space_id", spaceID)
        members.set("context", context)
        members.set("params", params)
        return members.value
    }
}
