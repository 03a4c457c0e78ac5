import RelayWire

/// What a call with real media (a SIP leg) asks the media edge to do instead of simulating a
/// duration. The edge answers with the component's step (``EngineTimer/component``) when the
/// audio is done, on real time.
enum MediaAction: Sendable, Equatable {
    /// Play `media`; then `.playFinished` (or `.promptPlayed` for a prompt), or the failure
    /// step with the reason when the audio cannot be made.
    case play(controlID: String, token: Int, media: [Media], volume: Double, prompt: Bool)
    case stopPlay(controlID: String)
    case pausePlay(controlID: String, paused: Bool)
    case volume(controlID: String, decibels: Double)
    /// Record the call; the engine takes the audio when the recording ends
    /// (``EngineEnvironment/takeRecording``). With the caller's side recorded, silence ends it:
    /// `.recordNoInput` when nobody spoke within `initialTimeout` seconds, `.recordFinished`
    /// after `endSilenceTimeout` seconds of silence once they did (0 turns either off).
    case startRecording(controlID: String, token: Int, direction: String?, stereo: Bool, initialTimeout: Double, endSilenceTimeout: Double)
    /// The recording is over without being taken (no input): drop its audio.
    case discardRecording(controlID: String)
    /// Send DTMF; then `.digitsSent`.
    case sendDigits(controlID: String, token: Int, digits: String)
    case stopDigits(controlID: String)
    /// Feed tap `key` with the call's real audio (`listen`, `speak` or `both`).
    case startTap(key: String, direction: String)
    /// The call is bridged to `peer` (both real), or no longer bridged (`nil`): relay audio.
    case bridge(peer: String?)
}
