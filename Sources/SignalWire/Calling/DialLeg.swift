/// One leg of a multi-device dial, as ``MultiDialResult`` reports it.
public struct DialLeg: Sendable, Hashable {
    /// Relay's `call_id` of the leg.
    public let callID: String
    /// The device the leg rang.
    public let device: CallDevice
    /// Whether this leg answered first and is the dial's call.
    public let winner: Bool
    /// The leg's latest state when the dial completed.
    public let state: CallState?
    /// Why the leg ended (`cancel`, `busy`, `noAnswer`, `error`, …); nil while it is up.
    public let endReason: CallEndReason?
}
