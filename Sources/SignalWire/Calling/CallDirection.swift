/// Whether a call was placed by this client or came in to it.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .inbound`) or with a string literal.
public struct CallDirection: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// The call came in on a context this client receives.
    public static let inbound = CallDirection(rawValue: "inbound")
    /// The call was dialled by a client.
    public static let outbound = CallDirection(rawValue: "outbound")

    /// The wire value.
    public var description: String { rawValue }
}
