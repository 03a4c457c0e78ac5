/// The state of a message: `received` for inbound ones, the rest for outbound ones.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .received`) or with a string literal.
public struct MessageState: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// An inbound message arrived.
    public static let received = MessageState(rawValue: "received")
    /// Accepted and waiting to be sent.
    public static let queued = MessageState(rawValue: "queued")
    /// Being sent.
    public static let initiated = MessageState(rawValue: "initiated")
    /// Handed to the carrier.
    public static let sent = MessageState(rawValue: "sent")
    /// The carrier confirmed delivery.
    public static let delivered = MessageState(rawValue: "delivered")
    /// The carrier could not deliver it.
    public static let undelivered = MessageState(rawValue: "undelivered")
    /// Sending failed.
    public static let failed = MessageState(rawValue: "failed")

    /// The wire value.
    public var description: String { rawValue }
}
