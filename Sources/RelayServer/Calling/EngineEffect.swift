import RelayWire

/// What the call engine asks its driver to do. The engine itself does no I/O.
enum EngineEffect: Sendable, Equatable {
    /// Send a calling event to a session (it goes after the command's reply).
    case event(session: String, CallingEvent)
    /// Fire `timer` after this many simulated seconds.
    case timer(after: Double, EngineTimer)
    /// Start streaming tap media to a loopback target; `key` stops it later.
    case startTap(key: String, TapTarget)
    case stopTap(key: String)
}

/// Where a tap sends its media.
enum TapTarget: Sendable, Equatable {
    case rtp(host: String, port: Int, ptime: Int)
    case webSocket(uri: String)
}

/// A timer of the engine: plain data, so tests can fire it on a manual clock.
enum EngineTimer: Sendable, Equatable {
    /// An outbound call (dial or connect leg) reaches its outcome.
    case dialOutcome(callID: String, DialOutcome)
    /// An inbound call nobody answered in time.
    case ringTimeout(callID: String, seconds: Double)
    /// The far end hangs up an answered call.
    case farEndHangup(callID: String)
    /// The next step of a component, valid while the component's token is `token`.
    case component(callID: String, controlID: String, token: Int, ComponentStep)
}

enum DialOutcome: Sendable, Equatable {
    case answer, busy, noAnswer, failure
}

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
