import RelayWire

enum DialOutcome: Sendable, Equatable {
    case answer, busy, noAnswer, failure
}
