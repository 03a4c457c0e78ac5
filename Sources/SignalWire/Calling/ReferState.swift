/// The state of a SIP REFER (`calling.call.refer` `state`), as Node 2.x names them.
///
/// A struct rather than an enum so that values Relay adds later are kept: an unknown value
/// arrives with its text in ``rawValue``.
public struct ReferState: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// The far end accepted the REFER and is calling the target.
    public static let inProgress = ReferState(rawValue: "inProgress")
    /// The target answered: the call was transferred and this leg is released.
    public static let success = ReferState(rawValue: "success")
    /// The target was busy.
    public static let busy = ReferState(rawValue: "busy")
    /// The target did not answer.
    public static let noAnswer = ReferState(rawValue: "noAnswer")
    /// The transfer was cancelled, for example because the call ended first.
    public static let cancel = ReferState(rawValue: "cancel")
    /// The far end declined the REFER, or the target could not be reached.
    public static let error = ReferState(rawValue: "error")

    /// The wire value.
    public var description: String { rawValue }
}
