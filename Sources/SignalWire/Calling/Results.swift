import RelayWire

// Final results of blocking call methods (`Relay.Calling.*Result`). Each is a snapshot taken
// when the operation completed.

public struct DialResult: Sendable {
    /// Whether the remote party answered.
    public let successful: Bool
    public let event: RelayEvent?
    public let call: Call
}

public struct AnswerResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
}

public struct HangupResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    /// The `end_reason` Relay reported, or the requested reason.
    public let reason: CallEndReason
}

public struct ConnectResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    /// The remote leg bridged with this call.
    public let call: Call?
}

public struct DisconnectResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
}

public struct PlayResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
}

public struct PromptResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    /// `digit` or `speech` on success; otherwise the collect result type (`no_input`, …).
    public let type: String?
    /// The digits or the recognised text.
    public let result: String?
    public let terminator: String?
    public let confidence: Double?
}

public struct RecordResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    public let url: String
    public let duration: Double
    public let size: Int
}

public struct DetectResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    /// Which detector ran: `machine`, `fax` or `digit`.
    public let type: DetectType?
    /// What it found: `HUMAN`, `MACHINE`, `UNKNOWN`, `CED`, `CNG`, the digits, or `finished`/`error`.
    public let result: DetectOutcome?
}

public struct FaxResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    public let direction: String?
    public let identity: String?
    public let remoteIdentity: String?
    public let document: String?
    public let pages: Int?
}

public struct SendDigitsResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
}

public struct TapResult: Sendable {
    public let successful: Bool
    public let event: RelayEvent?
    /// `{"type": "audio", "params": {"direction": …}}` as Relay applied it.
    public let tap: JSONValue?
    /// Where Relay sends the media from.
    public let sourceDevice: JSONValue
    /// Where the media goes, as Relay applied it.
    public let destinationDevice: JSONValue?
}

/// Result of `stop()` on an action.
public struct StopResult: Sendable {
    public let successful: Bool
}

public struct PlayPauseResult: Sendable { public let successful: Bool }
public struct PlayResumeResult: Sendable { public let successful: Bool }
public struct PlayVolumeResult: Sendable { public let successful: Bool }
public struct PromptVolumeResult: Sendable { public let successful: Bool }

extension Component.Store {
    var playResult: PlayResult { PlayResult(successful: successful, event: event) }
    var promptResult_: PromptResult {
        PromptResult(successful: successful, event: event, type: promptType, result: promptResult, terminator: terminator, confidence: confidence)
    }
    var recordResult: RecordResult {
        RecordResult(successful: successful, event: event, url: url ?? "", duration: duration ?? 0, size: size ?? 0)
    }
    var detectResult_: DetectResult { DetectResult(
            successful: successful, event: event, type: detectType.map(DetectType.init(rawValue:)),
            result: detectResult.map(DetectOutcome.init(rawValue:))) }
    var faxResult: FaxResult {
        FaxResult(
            successful: successful, event: event, direction: faxParams?["direction"]?.stringValue,
            identity: faxParams?["identity"]?.stringValue, remoteIdentity: faxParams?["remote_identity"]?.stringValue,
            document: faxParams?["document"]?.stringValue, pages: faxParams?["pages"]?.intValue)
    }
    var sendDigitsResult: SendDigitsResult { SendDigitsResult(successful: successful, event: event) }
    var tapResult: TapResult {
        TapResult(successful: successful, event: event, tap: tap, sourceDevice: sourceDevice, destinationDevice: destinationDevice)
    }
}
