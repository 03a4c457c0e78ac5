/// What a detector found. For digit detection ``rawValue`` holds the digits.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .human`) or with a string literal.
public struct DetectOutcome: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// A person answered.
    public static let human = DetectOutcome(rawValue: "HUMAN")
    /// An answering machine answered.
    public static let machine = DetectOutcome(rawValue: "MACHINE")
    /// The machine detector could not tell.
    public static let unknown = DetectOutcome(rawValue: "UNKNOWN")
    /// A fax answering tone.
    public static let ced = DetectOutcome(rawValue: "CED")
    /// A fax calling tone.
    public static let cng = DetectOutcome(rawValue: "CNG")
    /// The detector finished without a result.
    public static let finished = DetectOutcome(rawValue: "finished")
    /// The detector failed.
    public static let error = DetectOutcome(rawValue: "error")

    /// The wire value.
    public var description: String { rawValue }
}
