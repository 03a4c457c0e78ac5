/// Why a call ended (`end_reason`), or the reason given to `hangup(reason:)`.
///
/// A struct rather than an enum so that values Relay adds later are kept, not dropped: an
/// unknown value arrives with its text in ``rawValue``. Compare with the static members
/// (`== .hangup`) or with a string literal.
public struct CallEndReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value exactly as Relay spells it on the wire.
    public let rawValue: String

    /// Wraps a wire value, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a wire value written as a literal.
    public init(stringLiteral value: String) { rawValue = value }

    /// A party hung up normally.
    public static let hangup = CallEndReason(rawValue: "hangup")
    /// The call was cancelled before it was answered.
    public static let cancel = CallEndReason(rawValue: "cancel")
    /// The line was busy.
    public static let busy = CallEndReason(rawValue: "busy")
    /// Nobody answered before the timeout.
    public static let noAnswer = CallEndReason(rawValue: "noAnswer")
    /// The called party declined.
    public static let decline = CallEndReason(rawValue: "decline")
    /// The call could not be placed.
    public static let error = CallEndReason(rawValue: "error")
    /// Set by this SDK, not Relay: the session that knew the call was lost and not resumed.
    public static let connectionLost = CallEndReason(rawValue: "connectionLost")
    /// Set by this SDK, not Relay: RELAY v3 answered a command on the call with `404` or `410`,
    /// so the call no longer exists there.
    public static let gone = CallEndReason(rawValue: "gone")

    /// The wire value.
    public var description: String { rawValue }
}
