import RelayWire

/// One line of a call's timeline.
public struct TimelineEntry: Sendable, Hashable {
    /// Simulated seconds since the call was created.
    public var time: Double
    /// What happened: `state`, `play`, `collect`, `record`, `detect`, `fax`, `tap`,
    /// `send_digits`, `connect`, `command`, `note`.
    public var kind: String
    /// A readable one-line description, e.g. `played tts "Enter your PIN"`.
    public var text: String
    /// Structured details (the event params or command params).
    public var data: JSONValue

    /// The lab API's JSON form.
    public var json: JSONValue {
        ["time": .double((time * 1000).rounded() / 1000), "kind": .string(kind), "text": .string(text), "data": data]
    }
}
