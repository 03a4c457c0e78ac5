/// Whether a message was sent by a client or received on a context.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .inbound`) or with a string literal.
public struct MessageDirection: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// Received on a context this client receives.
    public static let inbound = MessageDirection(rawValue: "inbound")
    /// Sent by a client.
    public static let outbound = MessageDirection(rawValue: "outbound")

    /// The wire value.
    public var description: String { rawValue }
}
