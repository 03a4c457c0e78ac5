/// The audio format of a recording.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .mp3`) or with a string literal.
public struct RecordFormat: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// MP3 (Relay's default).
    public static let mp3 = RecordFormat(rawValue: "mp3")
    /// WAV.
    public static let wav = RecordFormat(rawValue: "wav")

    /// The wire value.
    public var description: String { rawValue }
}
