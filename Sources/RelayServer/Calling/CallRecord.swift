import RelayWire

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
    /// Entries ever logged (the timeline keeps the last ones): the console feed's cursor.
    private(set) var logCount = 0
    var components: [String: ComponentRecord] = [:]
    var connect: ConnectAttempt?
    /// The `calling.dial` this call is a leg of (its key in the engine's dials).
    var dial: String?
    /// Dial legs report `ending` before `ended` even when never answered (RELAY-V3.md §6.2).
    var reportsEnding = false
    /// Seconds an answered call may last (`max_duration`), then it ends `max_duration`.
    var maxDuration: Double?
    /// The `calling.refer` in progress: its target URI.
    var referTo: String?
    /// Sessions that passed this inbound call (`calling.pass`); it is not offered to them again.
    var passedBy: [String] = []
    /// A SIP leg: media verbs play, record and send digits for real, and its timers run on
    /// real time whatever the clock's speed.
    var realMedia = false
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
        logCount += 1
        // Trim in chunks: removing from the front on every entry is O(n) each.
        if timeline.count > Self.timelineLimit + Self.timelineLimit / 4 { timeline.removeFirst(timeline.count - Self.timelineLimit) }
    }

    var snapshot: CallSnapshot {
        CallSnapshot(
            id: id, nodeID: nodeID, project: project.id, direction: direction, from: from, to: to, device: device.json, tag: tag, context: context,
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
