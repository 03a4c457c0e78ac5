import RelayWire

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

/// A pending `calling.connect`: device groups dialled in series, each group in parallel.
struct ConnectAttempt: Sendable {
    var groups: [[Device]]
    var groupIndex = 0
    var legs: [String] = []
}

/// The engine's state of one call.
struct CallRecord: Sendable {
    static let timelineLimit = 500

    let id: String
    let nodeID: String
    let project: RelayProject
    /// Orders calls across shards for the lab API.
    let sequence: Int
    var owner: String?
    let direction: String
    let tag: String?
    let device: Device
    let from: String
    let to: String
    let context: String?
    var behavior: PartyBehavior
    var state: CallState = .created
    var endReason: String?
    var parent: String?
    var bridgedWith: String?
    let createdAt: Double
    var answeredAt: Double?
    var timeline: [TimelineEntry] = []
    var components: [String: ComponentRecord] = [:]
    var connect: ConnectAttempt?
    var digitsUsed = 0
    var speechUsed = 0

    init(
        id: String, nodeID: String, project: RelayProject, sequence: Int, owner: String?, direction: String, tag: String?, device: Device,
        from: String, to: String, context: String?, behavior: PartyBehavior, createdAt: Double
    ) {
        self.id = id
        self.nodeID = nodeID
        self.project = project
        self.sequence = sequence
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

    var isOver: Bool { state.isOver }

    mutating func log(_ now: Double, _ kind: String, _ text: String, _ data: JSONValue = .object([:])) {
        timeline.append(TimelineEntry(time: max(0, now - createdAt), kind: kind, text: text, data: data))
        // Trim in chunks: removing from the front on every entry is O(n) each.
        if timeline.count > Self.timelineLimit + Self.timelineLimit / 4 { timeline.removeFirst(timeline.count - Self.timelineLimit) }
    }

    var snapshot: CallSnapshot {
        CallSnapshot(
            id: id, nodeID: nodeID, project: project.id, direction: direction, from: from, to: to, context: context,
            state: state, endReason: endReason, owner: owner, parent: parent, bridgedWith: bridgedWith, timeline: timeline.suffix(Self.timelineLimit))
    }

    /// The next DTMF string the far end keys at a prompt, if any.
    mutating func nextDigits() -> String? {
        guard !behavior.digits.isEmpty else { return nil }
        if digitsUsed < behavior.digits.count {
            defer { digitsUsed += 1 }
            return behavior.digits[digitsUsed]
        }
        return behavior.repeatsInput ? behavior.digits.last : nil
    }

    mutating func nextSpeech() -> String? {
        guard !behavior.speech.isEmpty else { return nil }
        if speechUsed < behavior.speech.count {
            defer { speechUsed += 1 }
            return behavior.speech[speechUsed]
        }
        return behavior.repeatsInput ? behavior.speech.last : nil
    }
}

/// A running component of a call. Timers carry the `token` they were set with; stop and
/// pause bump it, so a stale timer does nothing.
struct ComponentRecord: Sendable {
    let controlID: String
    let kind: ComponentKind
    var token = 0
    var done = false
    /// Play: when the current schedule ends and what is left while paused (sim seconds).
    var finishAt: Double = 0
    var remaining: Double = 0
    var paused = false
    var volume: Double = 0
    /// Record: the `record` object echoed in events; start time, URL and channels.
    var record: JSONValue = .object([:])
    var startedAt: Double = 0
    var url = ""
    var channels = 1
    /// Fax: pages so far and in all, and the document.
    var pages = 0
    var totalPages = 0
    var document = ""
    /// Tap: `tap` and `device` echoed in events.
    var tap: JSONValue = .object([:])
    var tapDevice: JSONValue = .object([:])
    /// Prompt: what to collect once the prompt has played.
    var collect: CollectOptions?
    /// Detect: `machine`, `fax` or `digit`.
    var detectType = ""

    init(controlID: String, kind: ComponentKind) {
        self.controlID = controlID
        self.kind = kind
    }
}
