import RelayWire

/// Steps of the components' simulated behaviour.
enum ComponentStep: Sendable, Equatable {
    case playFinished
    /// A media item could not be fetched: `play.error`.
    case playFailed(reason: String)
    /// A prompt's media could not be fetched: a collect result of type `error`.
    case promptFailed(reason: String)
    case promptPlayed
    case collected(CollectResult)
    case recordNoInput
    case recordFinished
    /// The party pressed one of the record's terminators.
    case recordTerminated(key: String)
    case detected(type: String, event: String)
    case detectTimedOut
    /// The detector fails: `detect.error`.
    case detectFailed
    case faxFailed
    /// The fax breaks off: `fax.error`.
    case faxError(reason: String)
    case faxPage(sending: Bool)
    case digitsSent
}
