import RelayWire

/// Names of call events for `Call.on(_:_:)`, spelled as SignalWire's docs spell them.
public enum CallEventName: String, Sendable, Hashable, CaseIterable {
    case stateChange = "stateChange"
    case created, ringing, answered, ending, ended
    case connectStateChange = "connect.stateChange"
    case connectConnecting = "connect.connecting"
    case connectConnected = "connect.connected"
    case connectFailed = "connect.failed"
    case connectDisconnected = "connect.disconnected"
    case playStateChange = "play.stateChange"
    case playPlaying = "play.playing"
    case playFinished = "play.finished"
    case playError = "play.error"
    case prompt = "prompt"
    case recordStateChange = "record.stateChange"
    case recordRecording = "record.recording"
    case recordFinished = "record.finished"
    case recordNoInput = "record.no_input"
    case faxStateChange = "fax.stateChange"
    case faxPage = "fax.page"
    case faxFinished = "fax.finished"
    case faxError = "fax.error"
    case sendDigitsStateChange = "sendDigits.stateChange"
    case sendDigitsFinished = "sendDigits.finished"
    case tapStateChange = "tap.stateChange"
    case tapTapping = "tap.tapping"
    case tapFinished = "tap.finished"
    case detectUpdate = "detect.update"
    case detectFinished = "detect.finished"
    case detectError = "detect.error"

    init(stateName state: CallState) {
        switch state {
        case .created: self = .created
        case .ringing: self = .ringing
        case .answered: self = .answered
        case .ending: self = .ending
        case .ended: self = .ended
        }
    }
}

/// One event of a call, as delivered to listeners and to `Call.events`.
public struct CallEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case state, connect, play, prompt, record, fax, sendDigits, tap, detect
    }

    public let kind: Kind
    /// The most specific name (`play.finished`, `answered`, …).
    public let name: CallEventName
    /// The event params as Relay sent them (for `detect.*` and `fax.*`, the inner object).
    public let payload: JSONValue

    /// `call_state`, `connect_state`, `state`, the collect result type, the fax type or the
    /// detect event, whichever this kind carries.
    public var state: String? {
        switch kind {
        case .state: payload["call_state"]?.stringValue
        case .connect: payload["connect_state"]?.stringValue
        case .prompt: payload["result"]?["type"]?.stringValue
        case .fax: payload["type"]?.stringValue
        case .detect: payload["params"]?["event"]?.stringValue
        default: payload["state"]?.stringValue
        }
    }

    /// `control_id` of the operation the event belongs to, if any.
    public var controlID: String? { payload["control_id"]?.stringValue }

    /// Builds the listener events for a component event: `(event, names to notify)`.
    static func make(eventType: String, params: JSONValue) -> [(CallEvent, [CallEventName])] {
        func named(_ kind: Kind, _ prefix: String, state: String?, payload: JSONValue, stateChange: CallEventName) -> [(CallEvent, [CallEventName])] {
            let specific = state.flatMap { CallEventName(rawValue: "\(prefix).\($0)") }
            return [(CallEvent(kind: kind, name: specific ?? stateChange, payload: payload), [stateChange] + (specific.map { [$0] } ?? []))]
        }
        switch eventType {
        case RelayEventName.callPlay:
            return named(.play, "play", state: params["state"]?.stringValue, payload: params, stateChange: .playStateChange)
        case RelayEventName.callRecord:
            return named(.record, "record", state: params["state"]?.stringValue, payload: params, stateChange: .recordStateChange)
        case RelayEventName.callTap:
            return named(.tap, "tap", state: params["state"]?.stringValue, payload: params, stateChange: .tapStateChange)
        case RelayEventName.callSendDigits:
            return named(.sendDigits, "sendDigits", state: params["state"]?.stringValue, payload: params, stateChange: .sendDigitsStateChange)
        case RelayEventName.callFax:
            let fax = params["fax"] ?? .object([:])
            return named(.fax, "fax", state: fax["type"]?.stringValue, payload: fax, stateChange: .faxStateChange)
        case RelayEventName.callCollect:
            return [(CallEvent(kind: .prompt, name: .prompt, payload: params), [.prompt])]
        case RelayEventName.callDetect:
            let detect = params["detect"] ?? .object([:])
            let value = detect["params"]?["event"]?.stringValue
            let name: CallEventName = value == "finished" ? .detectFinished : value == "error" ? .detectError : .detectUpdate
            return [(CallEvent(kind: .detect, name: name, payload: detect), [name])]
        default:
            return []
        }
    }
}
