/// Which side of a call a tap or recording takes in.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .listen`) or with a string literal.
public struct MediaDirection: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// What the caller hears.
    public static let listen = MediaDirection(rawValue: "listen")
    /// What the caller says.
    public static let speak = MediaDirection(rawValue: "speak")
    /// Both sides.
    public static let both = MediaDirection(rawValue: "both")

    /// The wire value.
    public var description: String { rawValue }
}
