import RelayWire

/// A pending `calling.connect`: device groups dialled in series, each group in parallel.
struct ConnectAttempt: Sendable {
    var groups: [[Device]]
    var groupIndex = 0
    var legs: [String] = []
}
