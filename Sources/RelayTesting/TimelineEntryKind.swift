import RelayServer
import RelayWire

extension TimelineEntry {
    /// What a timeline entry records, typed. More kinds may be added: an entry of a kind this
    /// version does not know keeps its text in ``rawValue``.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The text in the lab API's `kind` member, such as `state`.
        public let rawValue: String
        /// Wraps a `kind` text, known or not.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The call changed state (`created`, `ringing`, `answered`, `ending`, `ended`).
        public static let state = Kind(rawValue: "state")
        /// Something was played.
        public static let play = Kind(rawValue: "play")
        /// Digits or speech were collected.
        public static let collect = Kind(rawValue: "collect")
        /// A recording was made.
        public static let record = Kind(rawValue: "record")
        /// A detector ran.
        public static let detect = Kind(rawValue: "detect")
        /// A fax was sent or received.
        public static let fax = Kind(rawValue: "fax")
        /// Media was tapped.
        public static let tap = Kind(rawValue: "tap")
        /// Digits were sent.
        public static let sendDigits = Kind(rawValue: "send_digits")
        /// The call was connected to other devices.
        public static let connect = Kind(rawValue: "connect")
        /// A command arrived from a client.
        public static let command = Kind(rawValue: "command")
        /// A remark of the server (who the call was offered to, …).
        public static let note = Kind(rawValue: "note")

        /// The raw text.
        public var description: String { rawValue }
    }

    /// `kind` typed: `entry.category == .collect`.
    public var category: Kind { Kind(rawValue: kind) }

    /// For a ``Kind/state`` entry, the state the call reached; otherwise nil.
    public var callState: CallState? {
        guard kind == Kind.state.rawValue else { return nil }
        return data["call_state"]?.stringValue.flatMap(CallState.init(rawValue:))
    }
}
