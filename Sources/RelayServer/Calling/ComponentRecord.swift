import RelayWire

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
    /// Play: the step that ends it (`playFinished`, or `playFailed` for media that fails), kept for resume.
    var endStep: ComponentStep = .playFinished
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
    /// Record: the keys that end it (`terminators`, default `#*`).
    var terminators = "#*"

    init(controlID: String, kind: ComponentKind) {
        self.controlID = controlID
        self.kind = kind
    }
}
