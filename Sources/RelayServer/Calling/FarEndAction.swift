/// What the far end of a live call does when a person drives it (the console's phone panel)
/// instead of a caller script.
public struct FarEndAction: Sendable, Hashable {
    enum Action: Sendable, Hashable {
        case keys(String)
        case says(String)
        case hangsUp
    }

    let action: Action

    /// Keys DTMF (`0-9`, `*`, `#`, `A-D`). A running prompt takes them at once (they barge in
    /// on a prompt still playing); with no prompt running they wait for the next one.
    public static func keys(_ digits: String) -> FarEndAction { FarEndAction(action: .keys(digits)) }
    /// Says a phrase: a running speech prompt takes it; otherwise it waits for the next one.
    public static func says(_ phrase: String) -> FarEndAction { FarEndAction(action: .says(phrase)) }
    /// Hangs up (`end_reason` `hangup`).
    public static let hangsUp = FarEndAction(action: .hangsUp)
}
