// Component events (`calling.call.play`, `…collect`, `…record`, `…detect`, `…fax`, `…tap`,
// `…send_digits`) and the one enum over every calling event. Both ends use these: the server
// encodes them, the SDK decodes each broadcast once into a `CallingEvent`.

/// States a call moves through, in the order Relay moves through them.
public enum CallState: String, Sendable, Hashable, CaseIterable, Comparable {
    /// A lifecycle state: `created`, `ringing`, `answered`, `ending`, `ended`.
    case created, ringing, answered, ending, ended

    /// Position in the lifecycle: `created` is 0, `ended` is 4.
    public var index: Int {
        switch self {
        case .created: 0
        case .ringing: 1
        case .answered: 2
        case .ending: 3
        case .ended: 4
        }
    }

    /// Whether the call is ending or ended.
    public var isOver: Bool { self >= .ending }

    public static func < (lhs: CallState, rhs: CallState) -> Bool { lhs.index < rhs.index }
}

/// `{"call_id", "node_id", "control_id"}`: how every component event names its component.
package struct ComponentEventAddress: Sendable, Hashable {
    /// The call the component runs on.
    package var callID: String
    /// The node that owns the call.
    package var nodeID: String?
    /// The client-chosen id of the component.
    package var controlID: String

    package init(callID: String, nodeID: String?, controlID: String) {
        self.callID = callID
        self.nodeID = nodeID
        self.controlID = controlID
    }

    init(json: JSONValue, in context: String) throws(WireError) {
        callID = try json.requireString("call_id", in: context)
        controlID = try json.requireString("control_id", in: context)
        nodeID = json["node_id"]?.stringValue
    }

    var builder: JSONObjectBuilder {
        var members = JSONObjectBuilder()
        members.set("control_id", controlID)
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        return members
    }
}

/// `calling.call.play` and `calling.call.send_digits`: a component with just a `state`
/// (`playing`, `paused`, `finished`, `error`).
package struct ComponentStateEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    package var state: String

    package init(address: ComponentEventAddress, state: String) {
        self.address = address
        self.state = state
    }

    package init(json: JSONValue, in context: String) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: context)
        state = try json.requireString("state", in: context)
    }

    package var json: JSONValue {
        var members = address.builder
        members.set("state", state)
        return members.value
    }
}

/// `calling.call.collect`: the outcome of a prompt.
package struct CollectEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    package var result: CollectResult

    package init(address: ComponentEventAddress, result: CollectResult) {
        self.address = address
        self.result = result
    }

    package init(json: JSONValue) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: RelayEventName.callCollect)
        result = CollectResult(json: try json.requireObject("result", in: RelayEventName.callCollect))
    }

    package var json: JSONValue {
        var members = address.builder
        members.set("result", result.json)
        return members.value
    }
}

/// `calling.call.record`: `recording`, then `finished` (with `duration` and `size`), `no_input`
/// or `error`. `record` echoes the command's `record` object.
package struct RecordEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    package var state: String
    package var url: String?
    package var duration: Double?
    package var size: Int?
    package var record: JSONValue

    package init(address: ComponentEventAddress, state: String, url: String?, duration: Double? = nil, size: Int? = nil, record: JSONValue) {
        self.address = address
        self.state = state
        self.url = url
        self.duration = duration
        self.size = size
        self.record = record
    }

    package init(json: JSONValue) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: RelayEventName.callRecord)
        state = try json.requireString("state", in: RelayEventName.callRecord)
        url = json["url"]?.stringValue
        duration = json["duration"]?.doubleValue
        size = json["size"]?.intValue
        record = json["record"] ?? .object([:])
    }

    package var json: JSONValue {
        var members = address.builder
        members.set("state", state)
        members.set("url", url)
        // Whole seconds go out as integers, as Relay sends them (captured `"duration": 4`).
        members.set("duration", duration.map(JSONValue.number))
        members.set("size", size)
        members.set("record", record)
        return members.value
    }
}

/// `calling.call.detect`: `{"detect": {"type", "params": {"event", …}}}`.
package struct DetectEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    /// `machine`, `fax` or `digit`.
    package var type: String
    /// `HUMAN`, `MACHINE`, `READY`, `NOT_READY`, `UNKNOWN`, `CED`, `CNG`, a digit, `finished`
    /// or `error`.
    package var event: String

    package init(address: ComponentEventAddress, type: String, event: String) {
        self.address = address
        self.type = type
        self.event = event
    }

    package init(json: JSONValue) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: RelayEventName.callDetect)
        let detect = try json.requireObject("detect", in: RelayEventName.callDetect)
        type = detect["type"]?.stringValue ?? ""
        guard let event = detect["params"]?["event"]?.stringValue else { throw .missing("detect.params.event", in: RelayEventName.callDetect) }
        self.event = event
    }

    /// The inner `detect` object, as listeners receive it.
    package var detect: JSONValue { ["type": .string(type), "params": ["event": .string(event)]] }

    package var json: JSONValue {
        var members = address.builder
        members.set("detect", detect)
        return members.value
    }
}

/// `calling.call.fax`: `{"fax": {"type": "page"|"finished"|"error", "params": {…}}}`.
package struct FaxEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    package var type: String
    package var params: JSONValue

    package init(address: ComponentEventAddress, type: String, params: JSONValue) {
        self.address = address
        self.type = type
        self.params = params
    }

    package init(json: JSONValue) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: RelayEventName.callFax)
        let fax = try json.requireObject("fax", in: RelayEventName.callFax)
        type = try fax.requireString("type", in: RelayEventName.callFax)
        params = fax["params"] ?? .object([:])
    }

    /// A page sent or received: `{"direction": "send"|"receive", "number": n}`.
    package static func page(_ address: ComponentEventAddress, sending: Bool, number: Int) -> FaxEvent {
        FaxEvent(address: address, type: "page", params: ["direction": .string(sending ? "send" : "receive"), "number": .int(number)])
    }

    /// The inner `fax` object, as listeners receive it.
    package var fax: JSONValue { ["type": .string(type), "params": params] }

    package var json: JSONValue {
        var members = address.builder
        members.set("fax", fax)
        return members.value
    }
}

/// `calling.call.tap`: `state` plus the `tap` and `device` the command asked for.
package struct TapEvent: Sendable, Hashable {
    package var address: ComponentEventAddress
    package var state: String
    package var tap: JSONValue
    package var device: JSONValue

    package init(address: ComponentEventAddress, state: String, tap: JSONValue, device: JSONValue) {
        self.address = address
        self.state = state
        self.tap = tap
        self.device = device
    }

    package init(json: JSONValue) throws(WireError) {
        address = try ComponentEventAddress(json: json, in: RelayEventName.callTap)
        state = try json.requireString("state", in: RelayEventName.callTap)
        tap = json["tap"] ?? .object([:])
        device = json["device"] ?? .object([:])
    }

    package var json: JSONValue {
        var members = address.builder
        members.set("state", state)
        members.set("tap", tap)
        members.set("device", device)
        return members.value
    }
}

/// `calling.call.dial`: the progress of a `calling.dial`, correlated by `tag` (it has no
/// top-level `call_id`). `dial_state` is `dialing`, then `answered` (with the winner in `call`)
/// or `failed` (RELAY-V3.md §6.2).
package struct DialEvent: JSONRepresentable, Hashable {
    /// The leg that answered: `params.call`.
    package struct Leg: Sendable, Hashable {
        package var callID: String
        package var nodeID: String?
        package var tag: String?
        package var device: Device?
        package var dialWinner: Bool?

        package init(callID: String, nodeID: String?, tag: String?, device: Device?, dialWinner: Bool? = true) {
            self.callID = callID
            self.nodeID = nodeID
            self.tag = tag
            self.device = device
            self.dialWinner = dialWinner
        }

        init?(json: JSONValue?) {
            guard let json, let callID = json["call_id"]?.stringValue else { return nil }
            self.callID = callID
            nodeID = json["node_id"]?.stringValue
            tag = json["tag"]?.stringValue
            device = json["device"].flatMap { try? Device(json: $0) }
            dialWinner = json["dial_winner"]?.boolValue
        }

        var json: JSONValue {
            var members = JSONObjectBuilder()
            members.set("call_id", callID)
            members.set("node_id", nodeID)
            members.set("tag", tag)
            members.set("device", device?.json)
            members.set("dial_winner", dialWinner)
            return members.value
        }
    }

    package var tag: String
    package var nodeID: String?
    /// `dial_state` as sent: `dialing`, `answered` or `failed`.
    package var state: String
    package var call: Leg?

    package init(tag: String, nodeID: String?, state: String, call: Leg? = nil) {
        self.tag = tag
        self.nodeID = nodeID
        self.state = state
        self.call = call
    }

    package init(json: JSONValue) throws(WireError) {
        tag = try json.requireString("tag", in: RelayEventName.callDial)
        state = try json.requireString("dial_state", in: RelayEventName.callDial)
        nodeID = json["node_id"]?.stringValue
        call = Leg(json: json["call"])
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("node_id", nodeID)
        members.set("tag", tag)
        members.set("dial_state", state)
        members.set("call", call?.json)
        return members.value
    }
}

/// `calling.call.refer`: `state` is `inProgress`, then `success`, `busy`, `noAnswer`, `cancel` or
/// `error` (Node 2.x `CallReferState`), with the SIP codes of the REFER and of the NOTIFY
/// that reported the transfer's outcome.
package struct ReferEvent: JSONRepresentable, Hashable {
    package var callID: String
    package var nodeID: String?
    package var state: String
    /// `sip_refer_to`: the URI the call was referred to.
    package var referTo: String?
    /// `sip_refer_response_code`: the far end's answer to the REFER (`202` accepted).
    package var referResponseCode: String?
    /// `sip_notify_response_code`: the transfer target's answer, reported by NOTIFY (`200`).
    package var notifyResponseCode: String?

    package init(callID: String, nodeID: String?, state: String, referTo: String?, referResponseCode: String? = nil, notifyResponseCode: String? = nil) {
        self.callID = callID
        self.nodeID = nodeID
        self.state = state
        self.referTo = referTo
        self.referResponseCode = referResponseCode
        self.notifyResponseCode = notifyResponseCode
    }

    package init(json: JSONValue) throws(WireError) {
        callID = try json.requireString("call_id", in: RelayEventName.callRefer)
        state = try json.requireString("state", in: RelayEventName.callRefer)
        nodeID = json["node_id"]?.stringValue
        referTo = json["sip_refer_to"]?.stringValue
        // Codes are strings in Node's typings; numbers are accepted too.
        referResponseCode = Self.code(json["sip_refer_response_code"])
        notifyResponseCode = Self.code(json["sip_notify_response_code"])
    }

    private static func code(_ value: JSONValue?) -> String? {
        value?.stringValue ?? value?.intValue.map { String($0) }
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("call_id", callID)
        members.set("node_id", nodeID)
        members.set("state", state)
        members.set("sip_refer_to", referTo)
        members.set("sip_refer_response_code", referResponseCode)
        members.set("sip_notify_response_code", notifyResponseCode)
        return members.value
    }
}

/// Every `queuing.relay.events` event, decoded once by `event_type`.
package enum CallingEvent: Sendable, Hashable {
    case state(CallStateEvent)
    case receive(CallStateEvent)
    case connect(ConnectEvent)
    case play(ComponentStateEvent)
    case collect(CollectEvent)
    case record(RecordEvent)
    case detect(DetectEvent)
    case fax(FaxEvent)
    case tap(TapEvent)
    case sendDigits(ComponentStateEvent)
    case dial(DialEvent)
    case refer(ReferEvent)
    /// An event type this library does not model, kept as sent.
    case other(eventType: String, params: JSONValue)

    /// Reads the `params` of a notification with the given `event_type`.
    package init(eventType: String, params: JSONValue) throws(WireError) {
        switch eventType {
        case RelayEventName.callState: self = .state(try CallStateEvent(json: params))
        case RelayEventName.callReceive: self = .receive(try CallStateEvent(json: params))
        case RelayEventName.callConnect: self = .connect(try ConnectEvent(json: params))
        case RelayEventName.callPlay: self = .play(try ComponentStateEvent(json: params, in: eventType))
        case RelayEventName.callCollect: self = .collect(try CollectEvent(json: params))
        case RelayEventName.callRecord: self = .record(try RecordEvent(json: params))
        case RelayEventName.callDetect: self = .detect(try DetectEvent(json: params))
        case RelayEventName.callFax: self = .fax(try FaxEvent(json: params))
        case RelayEventName.callTap: self = .tap(try TapEvent(json: params))
        case RelayEventName.callSendDigits: self = .sendDigits(try ComponentStateEvent(json: params, in: eventType))
        case RelayEventName.callDial: self = .dial(try DialEvent(json: params))
        case RelayEventName.callRefer: self = .refer(try ReferEvent(json: params))
        default: self = .other(eventType: eventType, params: params)
        }
    }

    /// The `event_type` member.
    package var eventType: String {
        switch self {
        case .state: RelayEventName.callState
        case .receive: RelayEventName.callReceive
        case .connect: RelayEventName.callConnect
        case .play: RelayEventName.callPlay
        case .collect: RelayEventName.callCollect
        case .record: RelayEventName.callRecord
        case .detect: RelayEventName.callDetect
        case .fax: RelayEventName.callFax
        case .tap: RelayEventName.callTap
        case .sendDigits: RelayEventName.callSendDigits
        case .dial: RelayEventName.callDial
        case .refer: RelayEventName.callRefer
        case .other(let eventType, _): eventType
        }
    }

    /// The `params` member.
    package var params: JSONValue {
        switch self {
        case .state(let event), .receive(let event): event.json
        case .connect(let event): event.json
        case .play(let event), .sendDigits(let event): event.json
        case .collect(let event): event.json
        case .record(let event): event.json
        case .detect(let event): event.json
        case .fax(let event): event.json
        case .tap(let event): event.json
        case .dial(let event): event.json
        case .refer(let event): event.json
        case .other(_, let params): params
        }
    }

    /// The call the event is about (`nil` for `calling.call.dial`, which names its dial by `tag`,
    /// and for an unmodelled event without `call_id`).
    package var callID: String? {
        switch self {
        case .state(let event), .receive(let event): event.callID
        case .connect(let event): event.callID
        case .play(let event), .sendDigits(let event): event.address.callID
        case .collect(let event): event.address.callID
        case .record(let event): event.address.callID
        case .detect(let event): event.address.callID
        case .fax(let event): event.address.callID
        case .tap(let event): event.address.callID
        case .dial: nil
        case .refer(let event): event.callID
        case .other(_, let params): params["call_id"]?.stringValue
        }
    }

    /// The component the event belongs to, for component events.
    package var controlID: String? {
        switch self {
        case .state, .receive, .connect, .dial, .refer: nil
        case .play(let event), .sendDigits(let event): event.address.controlID
        case .collect(let event): event.address.controlID
        case .record(let event): event.address.controlID
        case .detect(let event): event.address.controlID
        case .fax(let event): event.address.controlID
        case .tap(let event): event.address.controlID
        case .other(_, let params): params["control_id"]?.stringValue
        }
    }
}

/// The notification inside a `blade.broadcast` (`params.params`): a calling event, a messaging
/// event or a task, each under its `event` name.
package enum RelayNotification: Sendable, Hashable {
    case calling(CallingEvent)
    /// `messaging.receive` (`received == true`) or `messaging.state`.
    case messaging(MessageEvent, received: Bool)
    case task(TaskNotification)

    /// The broadcast's `event`: `queuing.relay.events`, `…messaging` or `…tasks`.
    package var event: String {
        switch self {
        case .calling: RelayEventName.calling
        case .messaging: RelayEventName.messaging
        case .task: RelayEventName.tasks
        }
    }

    /// Reads the notification object of a broadcast whose `event` is given.
    package init(event: String, notification: JSONValue) throws(WireError) {
        switch event {
        case RelayEventName.calling:
            let type = try notification.requireString("event_type", in: event)
            self = .calling(try CallingEvent(eventType: type, params: notification["params"] ?? .object([:])))
        case RelayEventName.messaging:
            let type = try notification.requireString("event_type", in: event)
            let params = try notification.requireObject("params", in: event)
            self = .messaging(try MessageEvent(json: params), received: type == RelayEventName.messagingReceive)
        case RelayEventName.tasks:
            self = .task(try TaskNotification(json: notification))
        default:
            throw WireError("blade.broadcast: unknown event '\(event)'")
        }
    }

    /// The notification object as a server sends it, with every member a server SHOULD send
    /// (RELAY-V2.md §3.1, §12.8): `event_channel`, `project_id`, `space_id`, `timestamp`.
    package func json(protocolName: String, projectID: String, spaceID: String, timestamp: Double) -> JSONValue {
        var members = JSONObjectBuilder()
        switch self {
        case .calling(let event):
            members.set("event_type", event.eventType)
            // Relay repeats an inbound call's context on the notification (captured receives).
            if case .receive(let receive) = event { members.set("context", receive.context) }
            members.set("params", event.params)
        case .messaging(let message, let received):
            members.set("event_type", received ? RelayEventName.messagingReceive : RelayEventName.messagingState)
            members.set("context", message.context)
            members.set("params", message.json)
        case .task(let task):
            members.set("context", task.context)
            members.set("message", task.message)
        }
        members.set("event_channel", protocolName)
        members.set("project_id", projectID)
        members.set("space_id", spaceID)
        if case .task(let task) = self, let own = task.timestamp {
            members.set("timestamp", own)
        } else {
            members.set("timestamp", timestamp)
        }
        return members.value
    }
}
