import RelayWire

/// A pending `calling.dial`: its device groups rung in series, each group in parallel, with
/// the same progress record as a connect. Legs are calls of their own, tagged with the dial's tag.
struct DialAttempt: Sendable {
    let tag: String
    /// The session that dialled: it gets the `calling.call.dial` events.
    let owner: String
    let project: RelayProject
    /// The node named by the dial's events and its legs.
    let nodeID: String
    /// Minutes an answered leg may last, unless its device says otherwise.
    let maxDuration: Int?
    var progress: ConnectAttempt
}
