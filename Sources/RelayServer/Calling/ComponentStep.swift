import RelayWire

/// Steps of the components' simulated behaviour.
enum ComponentStep: Sendable, Equatable {
    case playFinished
    case promptPlayed
    case collected(CollectResult)
    case recordNoInput
    case recordFinished
    case detected(type: String, event: String)
    case detectTimedOut
    case faxFailed
    case faxPage(sending: Bool)
    case digitsSent
}
