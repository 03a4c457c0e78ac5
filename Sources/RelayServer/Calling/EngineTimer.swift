import RelayWire

/// A timer of the engine: plain data, so tests can fire it on a manual clock.
enum EngineTimer: Sendable, Equatable {
    /// An outbound call (dial or connect leg) reaches its outcome.
    case dialOutcome(callID: String, DialOutcome)
    /// An inbound call nobody answered in time.
    case ringTimeout(callID: String, seconds: Double)
    /// The far end hangs up an answered call.
    case farEndHangup(callID: String)
    /// An answered call reached its `max_duration`.
    case maxDuration(callID: String)
    /// The transfer target of a pending `calling.refer` answered the NOTIFY: `state` is the
    /// refer state to report (`success`, `busy`, `noAnswer`, `error`).
    case referOutcome(callID: String, state: String, notifyCode: String)
    /// The next step of a component, valid while the component's token is `token`.
    case component(callID: String, controlID: String, token: Int, ComponentStep)
}
