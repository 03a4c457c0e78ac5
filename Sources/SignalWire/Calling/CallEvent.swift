import RelayWire

/// Names of call events for `Call.on(_:_:)`, spelled as SignalWire's docs spell them.
public enum CallEventName: String, Sendable, Hashable, CaseIterable {
    /// Any change of the call's state.
    case stateChange = "stateChange"
    /// The call reached this state.
    case created, ringing, answered, ending, ended
    /// Any change of a connect operation.
    case connectStateChange = "connect.stateChange"
    /// Devices are ringing.
    case connectConnecting = "connect.connecting"
    /// A device answered and is connected.
    case connectConnected = "connect.connected"
    /// No device could be connected.
    case connectFailed = "connect.failed"
    /// The connected device left.
    case connectDisconnected = "connect.disconnected"
    /// Any change of a playback.
    case playStateChange = "play.stateChange"
    /// Playback started.
    case playPlaying = "play.playing"
    /// Playback finished.
    case playFinished = "play.finished"
    /// Playback failed.
    case playError = "play.error"
    /// A prompt collected its input (or gave up).
    case prompt = "prompt"
    /// Any change of a recording.
    case recordStateChange = "record.stateChange"
    /// Recording started.
    case recordRecording = "record.recording"
    /// Recording finished.
    case recordFinished = "record.finished"
    /// Nothing was said to record.
    case recordNoInput = "record.no_input"
    /// Any change of a fax.
    case faxStateChange = "fax.stateChange"
    /// A fax page was sent or received.
    case faxPage = "fax.page"
    /// The fax finished.
    case faxFinished = "fax.finished"
    /// The fax failed.
    case faxError = "fax.error"
    /// Any change of a digits send.
    case sendDigitsStateChange = "sendDigits.stateChange"
    /// The digits were sent.
    case sendDigitsFinished = "sendDigits.finished"
    /// Any change of a tap.
    case tapStateChange = "tap.stateChange"
    /// Tapping started.
    case tapTapping = "tap.tapping"
    /// Tapping finished.
    case tapFinished = "tap.finished"
    /// A detector reported something.
    case detectUpdate = "detect.update"
    /// A detector finished.
    case detectFinished = "detect.finished"
    /// A detector failed.
    case detectError = "detect.error"
    /// Any change of a SIP REFER (`refer(to:headers:)`).
    case referStateChange = "refer.stateChange"
    /// The far end accepted the REFER and is calling the target.
    case referInProgress = "refer.inProgress"
    /// The target answered: the call was transferred.
    case referSuccess = "refer.success"
    /// The target was busy.
    case referBusy = "refer.busy"
    /// The target did not answer.
    case referNoAnswer = "refer.noAnswer"
    /// The transfer was cancelled (the call ended first).
    case referCancel = "refer.cancel"
    /// The REFER was declined or the target could not be reached.
    case referError = "refer.error"

    init(stateName state: CallState) {
        switch state {
        case .created: self = .created
        case .ringing: self = .ringing
        case .answered: self = .answered
        case .ending: self = .ending
        case .ended: self = .ended
        }
    }

    /// The `<kind>.<state>` name, or nil when the seed has none for that state. A table, not
    /// string concatenation: this runs for every event.
    init?(kind: CallEvent.Kind, state: String) {
        let name: CallEventName? =
            switch (kind, state) {
            case (.connect, "connecting"): .connectConnecting
            case (.connect, "connected"): .connectConnected
            case (.connect, "failed"): .connectFailed
            case (.connect, "disconnected"): .connectDisconnected
            case (.play, "playing"): .playPlaying
            case (.play, "finished"): .playFinished
            case (.play, "error"): .playError
            case (.record, "recording"): .recordRecording
            case (.record, "finished"): .recordFinished
            case (.record, "no_input"): .recordNoInput
            case (.fax, "page"): .faxPage
            case (.fax, "finished"): .faxFinished
            case (.fax, "error"): .faxError
            case (.sendDigits, "finished"): .sendDigitsFinished
            case (.tap, "tapping"): .tapTapping
            case (.tap, "finished"): .tapFinished
            case (.detect, "finished"): .detectFinished
            case (.detect, "error"): .detectError
            case (.detect, _): .detectUpdate
            case (.refer, "inProgress"): .referInProgress
            case (.refer, "success"): .referSuccess
            case (.refer, "busy"): .referBusy
            case (.refer, "noAnswer"): .referNoAnswer
            case (.refer, "cancel"): .referCancel
            case (.refer, "error"): .referError
            case (.state, _): CallState(rawValue: state).map(CallEventName.init(stateName:))
            default: nil
            }
        guard let name else { return nil }
        self = name
    }
}

/// One event of a call, as delivered to listeners and to `Call.events`.
public struct CallEvent: Sendable, Hashable, CustomStringConvertible {
    /// `play.finished {payload JSON}`: the event's name and what Relay sent.
    public var description: String { "\(name.rawValue) \(payload)" }

    /// Which operation (or the call itself) the event is about.
    public enum Kind: String, Sendable, Hashable {
        /// The operation an event belongs to.
        case state, connect, play, prompt, record, fax, sendDigits, tap, detect
        /// A SIP REFER (`refer(to:headers:)`).
        case refer
    }

    /// Which operation (or the call itself) the event is about.
    public let kind: Kind
    /// The most specific name (`play.finished`, `answered`, …).
    public let name: CallEventName
    /// The event as decoded from the wire, once, for listeners, streams and operations alike.
    package let wire: CallingEvent

    /// The event params as Relay sent them (for `detect.*` and `fax.*`, the inner object).
    /// Built from `wire` when read, so events nobody reads cost no JSON.
    public var payload: JSONValue { wire.listenerPayload }

    /// `call_state`, `connect_state`, `state`, the collect result type, the fax type or the
    /// detect event, whichever this kind carries.
    public var state: String? { wire.stateValue }

    /// `control_id` of the operation the event belongs to, if any.
    public var controlID: String? { wire.controlID }

    /// The name every event of this kind is announced under (`play.stateChange`, …); detect
    /// events have only their own name.
    var generalName: CallEventName { kind == .detect ? name : Self.general(of: kind) }

    /// The listener event for a calling event; nil for events listeners never see
    /// (`calling.call.receive`, unmodelled types, a call state this library does not know).
    init?(_ wire: CallingEvent) {
        let kind: Kind
        switch wire {
        case .state: kind = .state
        case .connect: kind = .connect
        case .play: kind = .play
        case .collect: kind = .prompt
        case .record: kind = .record
        case .fax: kind = .fax
        case .sendDigits: kind = .sendDigits
        case .tap: kind = .tap
        case .detect: kind = .detect
        case .refer: kind = .refer
        case .receive, .dial, .other: return nil
        }
        let specific = wire.stateValue.flatMap { CallEventName(kind: kind, state: $0) }
        if kind == .state && specific == nil { return nil }
        self.kind = kind
        self.wire = wire
        name = kind == .prompt ? .prompt : specific ?? Self.general(of: kind)
    }

    private static func general(of kind: Kind) -> CallEventName {
        switch kind {
        case .state: .stateChange
        case .connect: .connectStateChange
        case .play: .playStateChange
        case .prompt: .prompt
        case .record: .recordStateChange
        case .fax: .faxStateChange
        case .sendDigits: .sendDigitsStateChange
        case .tap: .tapStateChange
        case .detect: .detectUpdate
        case .refer: .referStateChange
        }
    }
}

extension CallingEvent {
    /// What listeners get as `payload` (Python's handler argument): the params, or the inner
    /// `detect` / `fax` object.
    var listenerPayload: JSONValue {
        switch self {
        case .detect(let event): event.detect
        case .fax(let event): event.fax
        default: params
        }
    }

    /// What a result's `event.payload` is (RELAY-V2.md §6.2): as for listeners, except that a
    /// prompt's is the collect `result` object.
    var resultPayload: JSONValue {
        switch self {
        case .collect(let event): event.result.json
        default: listenerPayload
        }
    }

    /// The state-like value each kind carries (see `CallEvent.state`).
    var stateValue: String? {
        switch self {
        case .state(let event), .receive(let event): event.state
        case .connect(let event): event.state
        case .play(let event), .sendDigits(let event): event.state
        case .collect(let event): event.result.type
        case .record(let event): event.state
        case .detect(let event): event.event
        case .fax(let event): event.type
        case .tap(let event): event.state
        case .dial(let event): event.state
        case .refer(let event): event.state
        case .other(_, let params): params["state"]?.stringValue
        }
    }
}
