import RelayWire

/// States of a call, in the order the protocol defines them.
public enum CallState: String, Sendable, Hashable, Comparable {
    case created, ringing, answered, ending, ended

    var rank: Int {
        switch self {
        case .created: 0
        case .ringing: 1
        case .answered: 2
        case .ending: 3
        case .ended: 4
        }
    }

    public static func < (lhs: CallState, rhs: CallState) -> Bool { lhs.rank < rhs.rank }
}

/// One line of a call's timeline.
public struct TimelineEntry: Sendable, Hashable {
    /// Simulated seconds since the call was created.
    public var time: Double
    /// What happened: `state`, `play`, `collect`, `record`, `detect`, `fax`, `tap`,
    /// `send_digits`, `connect`, `command`, `note`.
    public var kind: String
    /// A readable one-line description, e.g. `played tts "Enter your PIN"`.
    public var text: String
    /// Structured details (the event params or command params).
    public var data: JSONValue

    public var json: JSONValue {
        ["time": .double((time * 1000).rounded() / 1000), "kind": .string(kind), "text": .string(text), "data": data]
    }
}

/// A read-only copy of a call for the lab API and tests.
public struct CallSnapshot: Sendable, Hashable {
    public var id: String
    public var nodeID: String
    public var project: String
    public var direction: String
    public var from: String
    public var to: String
    public var context: String?
    public var state: CallState
    public var endReason: String?
    /// Session that receives this call's events (`nil` when nobody took it).
    public var owner: String?
    /// `call_id` of the call this leg was created for by `calling.connect`.
    public var parent: String?
    /// Leg currently bridged with this call.
    public var bridgedWith: String?
    public var timeline: [TimelineEntry]

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("call_id", id)
        builder.set("node_id", nodeID)
        builder.set("project", project)
        builder.set("direction", direction)
        builder.set("from", from)
        builder.set("to", to)
        builder.set("context", context)
        builder.set("state", state.rawValue)
        builder.set("end_reason", endReason)
        builder.set("owner_session", owner)
        builder.set("parent_call_id", parent)
        builder.set("bridged_with", bridgedWith)
        builder.set("timeline", .array(timeline.map(\.json)))
        return builder.value
    }
}

/// Kinds of long-running operations, keyed by `control_id`.
enum ComponentKind: String, Sendable {
    case play, collect, record, detect, sendFax = "send_fax", receiveFax = "receive_fax", tap, sendDigits = "send_digits"
}

/// A running component. Timers check `token` so a stop/pause invalidates pending timers.
struct Component {
    let controlID: String
    let kind: ComponentKind
    var token = 0
    var done = false
    /// Play: media still to play and when the current schedule ends (sim seconds).
    var finishAt: Double = 0
    var remaining: Double = 0
    var paused = false
    var volume: Double = 0
    /// The command's inner params (echoed in events: record, tap device, …).
    var params: JSONValue = .object([:])
    /// Record: start time and URL.
    var startedAt: Double = 0
    var url: String = ""
    var channels = 1
    /// Fax: pages sent/received so far and total.
    var pages = 0
    var totalPages = 0
    var document = ""
    /// Tap: the switch that stops the RTP/WS sender.
    var tapSwitch: TapSwitch?
    /// Detect: events still to send.
    var detectType = ""
}

/// A pending `calling.connect`.
struct ConnectAttempt {
    var groups: [[JSONValue]]
    var groupIndex = 0
    var legs: [String] = []
    var token = 0
}

final class CallRecord {
    let id: String
    let nodeID: String
    let project: RelayProject
    var owner: String?
    let direction: String
    let tag: String?
    let device: JSONValue
    let from: String
    let to: String
    let context: String?
    var behavior: PartyBehavior
    var state: CallState = .created
    var endReason: String?
    var peer: String?
    var parent: String?
    var bridgedWith: String?
    var createdAt: Double
    var answeredAt: Double?
    var timeline: [TimelineEntry] = []
    var components: [String: Component] = [:]
    var connect: ConnectAttempt?
    var digitsUsed = 0
    var speechUsed = 0
    var timerToken = 0

    init(
        id: String, nodeID: String, project: RelayProject, owner: String?, direction: String, tag: String?, device: JSONValue,
        from: String, to: String, context: String?, behavior: PartyBehavior, createdAt: Double
    ) {
        self.id = id
        self.nodeID = nodeID
        self.project = project
        self.owner = owner
        self.direction = direction
        self.tag = tag
        self.device = device
        self.from = from
        self.to = to
        self.context = context
        self.behavior = behavior
        self.createdAt = createdAt
    }

    var isOver: Bool { state >= .ending }

    func log(_ now: Double, _ kind: String, _ text: String, _ data: JSONValue = .object([:])) {
        timeline.append(TimelineEntry(time: max(0, now - createdAt), kind: kind, text: text, data: data))
        if timeline.count > 500 { timeline.removeFirst(timeline.count - 500) }
    }

    var snapshot: CallSnapshot {
        CallSnapshot(
            id: id, nodeID: nodeID, project: project.id, direction: direction, from: from, to: to, context: context,
            state: state, endReason: endReason, owner: owner, parent: parent, bridgedWith: bridgedWith, timeline: timeline)
    }

    /// The next DTMF string the far end keys at a prompt, if any.
    func nextDigits() -> String? {
        guard !behavior.digits.isEmpty else { return nil }
        if digitsUsed < behavior.digits.count {
            defer { digitsUsed += 1 }
            return behavior.digits[digitsUsed]
        }
        return behavior.repeatsInput ? behavior.digits.last : nil
    }

    func nextSpeech() -> String? {
        guard !behavior.speech.isEmpty else { return nil }
        if speechUsed < behavior.speech.count {
            defer { speechUsed += 1 }
            return behavior.speech[speechUsed]
        }
        return behavior.repeatsInput ? behavior.speech.last : nil
    }
}
