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
    /// A call with real media (a SIP leg) plays, records or sends digits for real.
    case media(callID: String, MediaAction)
    /// Place call `callID` for real through the SIP edge: an INVITE to `uri`, cancelled after
    /// `timeout` real seconds; the edge reports the outcome back (``CallShard/sipDialResolved(callID:_:)``).
    case sipInvite(callID: String, uri: String, from: String, timeout: Double)
}
