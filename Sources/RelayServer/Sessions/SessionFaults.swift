import Foundation
import RelayWire
import Synchronization

/// Faults injected through the lab API.
public struct SessionFaults: Sendable, Hashable {
    /// When `false`, `blade.ping` requests get no response.
    public var answerPings = true
    /// Real seconds every event frame is held before it is written.
    public var eventDelay: Double = 0
    /// Send every event frame twice.
    public var duplicateEvents = false

    /// Faults to inject; the defaults inject none.
    public init(answerPings: Bool = true, eventDelay: Double = 0, duplicateEvents: Bool = false) {
        self.answerPings = answerPings
        self.eventDelay = eventDelay
        self.duplicateEvents = duplicateEvents
    }

    /// The stricter of two fault sets.
    func combined(with other: SessionFaults) -> SessionFaults {
        SessionFaults(
            answerPings: answerPings && other.answerPings, eventDelay: max(eventDelay, other.eventDelay),
            duplicateEvents: duplicateEvents || other.duplicateEvents)
    }
}
