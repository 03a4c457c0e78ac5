/// Which detector produced a detect result.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .machine`) or with a string literal.
public struct DetectType: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// Answering machine detection.
    public static let machine = DetectType(rawValue: "machine")
    /// Fax tone detection.
    public static let fax = DetectType(rawValue: "fax")
    /// DTMF digit detection.
    public static let digit = DetectType(rawValue: "digit")

    /// The wire value.
    public var description: String { rawValue }
}
