// Event params (`params.params.params` of a `blade.broadcast`, RELAY-V2.md §5, §7.2, §8.2).
// Readers are lenient: only what the completion logic needs is required. The component events
// and the enum over every calling event are in CallingEvents.swift.

/// The other leg of a connected call.
package struct PeerInfo: Sendable, Hashable {
    /// `call_id` of the other leg.
    package var callID: String
    /// `node_id` of the other leg.
    package var nodeID: String?
    /// `device` of the other leg, when Relay sends it.
    package var device: Device?

    /// A peer from its members.
    package init(callID: String, nodeID: String?, device: Device? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.device = device
    }

    /// Reads a `peer` object; `nil` when it is absent or has no `call_id`.
    package init?(json: JSONValue?) {
        guard let json, let callID = json["call_id"]?.stringValue else { return nil }
        self.callID = callID
        nodeID = json["node_id"]?.stringValue
        device = json["device"].flatMap { try? Device(json: $0) }
    }

    /// The `peer` object as Relay sends it.
    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("device", device?.json)
        return members.value
    }
}

/// `calling.call.state` and `calling.call.receive`.
package struct CallStateEvent: JSONRepresentable, Hashable {
    /// `call_id`.
    package var callID: String
    /// `node_id`.
    package var nodeID: String?
    /// `tag`: the client's id for a call it started, before it knew `call_id`.
    package var tag: String?
    /// `call_state` as sent; `callState` is the typed value.
    package var state: String
    /// `direction`: `inbound` or `outbound`.
    package var direction: String?
    /// `device`: the far end of the call.
    package var device: Device?
    /// `end_reason` on `ending` and `ended`.
    package var endReason: String?
    /// `peer`: the leg this call was created for, on legs made by `calling.connect`.
    package var peer: PeerInfo?
    /// `context` of an inbound call (`calling.call.receive`).
    package var context: String?

    /// An event from its members.
    package init(callID: String, nodeID: String?, tag: String? = nil, state: String, direction: String? = nil, device: Device? = nil, endReason: String? = nil, peer: PeerInfo? = nil, context: String? = nil) {
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

    /// Reads the event params; `call_id` and `call_state` are required.
    package init(json: JSONValue) throws(WireError) {
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

    /// `call_state` as a `CallState`, or `nil` for a state this library does not know.
    package var callState: CallState? { CallState(rawValue: state) }

    /// The event params as Relay sends them.
    package var json: JSONValue {
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
package struct ConnectEvent: JSONRepresentable, Hashable {
    /// `call_id` of the call that was connected.
    package var callID: String
    /// `node_id`.
    package var nodeID: String?
    /// `connect_state`: `connecting`, `connected`, `failed` or `disconnected`.
    package var state: String
    /// `peer`: the leg this call is bridged with, once `connected`.
    package var peer: PeerInfo?
    /// `tag`, when Relay echoes it.
    package var tag: String?

    /// An event from its members.
    package init(callID: String, nodeID: String?, state: String, peer: PeerInfo? = nil, tag: String? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.state = state
        self.peer = peer
        self.tag = tag
    }

    /// Reads the event params; `call_id` and `connect_state` are required.
    package init(json: JSONValue) throws(WireError) {
        callID = try json.requireString("call_id", in: "calling.call.connect")
        state = try json.requireString("connect_state", in: "calling.call.connect")
        nodeID = json["node_id"]?.stringValue
        peer = PeerInfo(json: json["peer"])
        tag = json["tag"]?.stringValue
    }

    /// The event params as Relay sends them.
    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("connect_state", state)
        members.set("peer", peer?.json)
        members.set("tag", tag)
        return members.value
    }
}

/// The `result` of `calling.call.collect`.
package struct CollectResult: Sendable, Hashable {
    /// `digit`, `speech`, `no_input`, `no_match`, `error` (or `start_of_speech` with partial results).
    package var type: String
    /// `{"digits", "terminator"}` for `digit`, `{"text", "confidence"}` for `speech`.
    package var params: JSONValue

    /// A result from its members.
    package init(type: String, params: JSONValue = .object([:])) {
        self.type = type
        self.params = params
    }

    /// Reads a `result` object leniently: without a `type` it is an `error`.
    package init(json: JSONValue) {
        type = json["type"]?.stringValue ?? "error"
        params = json["params"] ?? .object([:])
    }

    /// Digits collected, with the terminator that ended them (if any).
    package static func digits(_ digits: String, terminator: String?) -> CollectResult {
        var params = JSONObjectBuilder()
        params.set("digits", digits)
        params.set("terminator", terminator)
        return CollectResult(type: "digit", params: params.value)
    }

    /// Speech recognised, with the recogniser's confidence.
    package static func speech(_ text: String, confidence: Double) -> CollectResult {
        CollectResult(type: "speech", params: ["text": .string(text), "confidence": .double(confidence)])
    }

    /// `params.digits` of a `digit` result.
    package var digits: String? { params["digits"]?.stringValue }
    /// `params.terminator` of a `digit` result.
    package var terminator: String? { params["terminator"]?.stringValue }
    /// `params.text` of a `speech` result.
    package var text: String? { params["text"]?.stringValue }

    /// The `result` object; only `digit` and `speech` carry `params`.
    package var json: JSONValue {
        if type == "digit" || type == "speech" { return ["type": .string(type), "params": params] }
        return ["type": .string(type)]
    }
}

/// `messaging.receive` and `messaging.state`.
package struct MessageEvent: JSONRepresentable, Hashable {
    /// `message_id`.
    package var messageID: String
    /// `message_state`: `received`, `queued`, `initiated`, `sent`, `delivered`, `undelivered` or `failed`.
    package var state: String
    /// `context` the message belongs to.
    package var context: String
    /// `direction`: `inbound` or `outbound`.
    package var direction: String?
    /// `from_number`.
    package var from: String?
    /// `to_number`.
    package var to: String?
    /// `body`.
    package var body: String?
    /// `media`: URLs.
    package var media: [String]
    /// `tags`.
    package var tags: [String]
    /// `segments`: SMS parts.
    package var segments: Int?
    /// `reason` a message was not delivered.
    package var reason: String?

    /// An event from its members.
    package init(messageID: String, state: String, context: String, direction: String? = nil, from: String? = nil, to: String? = nil, body: String? = nil, media: [String] = [], tags: [String] = [], segments: Int? = nil, reason: String? = nil) {
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

    /// Reads the event params; `message_id`, `message_state` and `context` are required.
    package init(json: JSONValue) throws(WireError) {
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

    /// The event params as Relay sends them.
    package var json: JSONValue {
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
package struct TaskNotification: JSONRepresentable, Hashable {
    /// `context` the task was delivered to.
    package var context: String
    /// `message`: what the sender posted, as posted.
    package var message: JSONValue
    /// `project_id`.
    package var projectID: String?
    /// `space_id`.
    package var spaceID: String?
    /// `timestamp`: Unix seconds.
    package var timestamp: Double?

    /// A task from its members.
    package init(context: String, message: JSONValue, projectID: String? = nil, spaceID: String? = nil, timestamp: Double? = nil) {
        self.context = context
        self.message = message
        self.projectID = projectID
        self.spaceID = spaceID
        self.timestamp = timestamp
    }

    /// Reads the notification object; only `context` is required.
    package init(json: JSONValue) throws(WireError) {
        context = try json.requireString("context", in: RelayEventName.tasks)
        message = json["message"] ?? .null
        projectID = json["project_id"]?.stringValue
        spaceID = json["space_id"]?.stringValue
        timestamp = json["timestamp"]?.doubleValue
    }

    /// The notification object as Relay sends it.
    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("context", context)
        members.set("message", message)
        members.set("project_id", projectID)
        members.set("space_id", spaceID)
        members.set("timestamp", timestamp.map(JSONValue.double))
        return members.value
    }
}
