import RelayWire

/// What a detector hears on a call, and when.
enum DetectRules {
    /// `(simulated seconds after start, event)` in order. `keys` are the far end's next digits,
    /// for digit detection.
    static func plan(_ detect: DetectOptions, behavior: PartyBehavior, outbound: Bool, keys: String?) -> [(Double, String)] {
        switch detect {
        case .machine:
            switch behavior.kind {
            case .human: return [(1.5, "HUMAN")]
            case .machine: return [(1.5, "MACHINE"), (2.5, "NOT_READY"), (max(2.6, behavior.greetingSeconds), "READY")]
            case .fax: return [(1.5, "UNKNOWN")]
            }
        case .fax(let wanted):
            guard behavior.kind == .fax else { return [] }
            let tone = outbound ? "CED" : "CNG"
            if let wanted, wanted != tone { return [] }
            return [(1, tone)]
        case .digit(let allowed):
            guard let keys else { return [] }
            var plan: [(Double, String)] = []
            var at = 1.0
            for key in keys where allowed.map({ $0.contains(key) }) ?? true {
                plan.append((at, String(key)))
                at += 0.3
            }
            return plan
        }
    }
}
