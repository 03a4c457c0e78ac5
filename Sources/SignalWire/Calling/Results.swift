import RelayWire

// Final results of blocking call methods (`Relay.Calling.*Result`). Each is a snapshot taken
// when the operation completed.

/// What `dial()` returns.
public struct DialResult: Sendable {
    /// Whether the remote party answered.
    public let successful: Bool
    /// The event that completed the dial.
    public let event: RelayEvent?
    /// The call that was dialled.
    public let call: Call
}

/// What ``Calling/dial(devices:maxDuration:region:)`` returns: the leg that answered first,
/// and every leg Relay rang for the dial.
public struct MultiDialResult: Sendable {
    /// Whether a device answered.
    public let successful: Bool
    /// The `calling.call.dial` event that completed the dial (`answered` or `failed`); nil when
    /// Relay refused the command.
    public let event: RelayEvent?
    /// The winning call, answered; nil when every device failed.
    public let call: Call?
    /// Every leg, in the order Relay created them: the winner and the losers.
    public let legs: [DialLeg]

    /// The legs that did not win, each with why it ended (`cancel` for the other devices of the
    /// winner's group; `busy`, `noAnswer`, `error`, … for earlier groups).
    public var losers: [DialLeg] { legs.filter { !$0.winner } }
}

/// What `pass()` returns.
public struct PassResult: Sendable {
    /// Whether Relay took the call back to offer it to another consumer.
    public let successful: Bool
}

/// What `refer(to:headers:)` returns.
public struct ReferResult: Sendable {
    /// Whether the transfer target answered (state `success`).
    public let successful: Bool
    /// The `calling.call.refer` event that completed the operation.
    public let event: RelayEvent?
    /// The final state: `success`, `busy`, `noAnswer`, `cancel` or `error`.
    public let state: ReferState?
    /// The SIP URI the call was referred to (`sip_refer_to`).
    public let referTo: String?
    /// The far end's SIP answer to the REFER, such as `202` (`sip_refer_response_code`).
    public let referResponseCode: String?
    /// The target's SIP answer reported by NOTIFY, such as `200` or `486` (`sip_notify_response_code`).
    public let notifyResponseCode: String?
}

/// What `answer()` returns.
public struct AnswerResult: Sendable {
    /// Whether the call is answered.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
}

/// What `hangup(reason:)` returns.
public struct HangupResult: Sendable {
    /// Whether the call ended.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// The `end_reason` Relay reported, or the requested reason.
    public let reason: CallEndReason
}

/// What `connect` returns.
public struct ConnectResult: Sendable {
    /// Whether a device answered and was connected.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// The remote leg bridged with this call.
    public let call: Call?
}

/// What `disconnect()` returns.
public struct DisconnectResult: Sendable {
    /// Whether the connected leg was released.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
}

/// What `play` and the `play…` methods return.
public struct PlayResult: Sendable {
    /// Whether playback finished (false when it failed or the call ended).
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
}

/// What `prompt` and the `prompt…` methods return.
public struct PromptResult: Sendable {
    /// Whether input was collected.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// `digit` or `speech` on success; otherwise the collect result type (`no_input`, …).
    public let type: String?
    /// The digits or the recognised text.
    public let result: String?
    /// The digit that ended digit input (`#`, …).
    public let terminator: String?
    /// How sure the speech recogniser is, 0 … 100.
    public let confidence: Double?
}

/// What `record` returns.
public struct RecordResult: Sendable {
    /// Whether a recording was made.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// Where the recording can be downloaded.
    public let url: String
    /// Its length in seconds.
    public let duration: Double
    /// Its size in bytes.
    public let size: Int
}

/// What `detect` and the `detect…` methods return.
public struct DetectResult: Sendable {
    /// Whether the detector found something.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// Which detector ran: `machine`, `fax` or `digit`.
    public let type: DetectType?
    /// What it found: `HUMAN`, `MACHINE`, `UNKNOWN`, `CED`, `CNG`, the digits, or `finished`/`error`.
    public let result: DetectOutcome?
}

/// What `faxSend` and `faxReceive` return.
public struct FaxResult: Sendable {
    /// Whether the fax went through.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
    /// `send` or `receive`.
    public let direction: String?
    /// This side's fax identity.
    public let identity: String?
    /// The other side's fax identity.
    public let remoteIdentity: String?
    /// The document sent, or where the received one can be downloaded.
    public let document: String?
    /// Pages transferred.
    public let pages: Int?
}

/// What `sendDigits` returns.
public struct SendDigitsResult: Sendable {
    /// Whether the digits were sent.
    public let successful: Bool
    /// The event that completed the operation.
    public let event: RelayEvent?
}

/// What `tap` returns.
public struct TapResult: Sendable {
    /// Whether the tap ran.
    public let successful: Bool
    /// The event that completed the operation.
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
    /// Whether Relay accepted the stop.
    public let successful: Bool
}

/// What `pause()` on a play action returns.
public struct PlayPauseResult: Sendable {
    /// Whether Relay accepted the command.
    public let successful: Bool
}
/// What `resume()` on a play action returns.
public struct PlayResumeResult: Sendable {
    /// Whether Relay accepted the command.
    public let successful: Bool
}
/// What `volume(_:)` on a play action returns.
public struct PlayVolumeResult: Sendable {
    /// Whether Relay accepted the command.
    public let successful: Bool
}
/// What `volume(_:)` on a prompt action returns.
public struct PromptVolumeResult: Sendable {
    /// Whether Relay accepted the command.
    public let successful: Bool
}

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
    var referResult: ReferResult {
        ReferResult(
            successful: successful, event: event, state: referState.map(ReferState.init(rawValue:)), referTo: referTo,
            referResponseCode: referResponseCode, notifyResponseCode: notifyResponseCode)
    }
    var sendDigitsResult: SendDigitsResult { SendDigitsResult(successful: successful, event: event) }
    var tapResult: TapResult {
        TapResult(successful: successful, event: event, tap: tap, sourceDevice: sourceDevice, destinationDevice: destinationDevice)
    }
}
