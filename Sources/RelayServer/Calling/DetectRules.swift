import RelayWire

/// What a detector hears on a call, and when.
enum DetectRules {
    /// `(simulated seconds after start, event)` in order. `keys` are the far end's next digits,
    /// for digit detection.
    static func plan(_ detect: DetectOptions, behavior: PartyBehavior, outbound: Bool, keys: String?) -> [(Double, String)] {
        switch detect {
        case .machine(let initialTimeout, let endSilenceTimeout, let voiceThreshold, let wordsThreshold):
            guard behavior.kind != .fax else { return [(1.5, "UNKNOWN")] }
            return answeringMachine(
                behavior, initialTimeout: initialTimeout ?? 4.5, endSilenceTimeout: endSilenceTimeout ?? 1,
                voiceThreshold: voiceThreshold ?? 1.25, wordsThreshold: wordsThreshold ?? 6)
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

    /// Answering-machine detection on a party that talks from `speaks_after` (0.25 s) until the
    /// end of its greeting (a machine: `greeting_seconds` after the answer, delayed as much as
    /// `speaks_after` is beyond 0.25 s; a human: `hello_seconds` after it starts).
    /// - No voice by `initial_timeout` (4.5 s): `UNKNOWN` then.
    /// - Voice still going after `machine_voice_threshold` seconds (1.25) or
    ///   `machine_words_threshold` words (6, at 0.4 s a word), whichever comes first: `MACHINE`,
    ///   `NOT_READY` 1 s later while the greeting goes on, `READY` at the beep (`beep_delay` after
    ///   the greeting; for a human, when it stops talking).
    /// - Voice that stops before that: `HUMAN`, `end_silence_timeout` (1 s) after it stopped.
    ///
    /// The defaults give a human `HUMAN` at 1.5 s and the standard machine (4 s greeting)
    /// `MACHINE` at 1.5 s, `NOT_READY` at 2.5 s and `READY` at 4 s.
    static func answeringMachine(
        _ party: PartyBehavior, initialTimeout: Double, endSilenceTimeout: Double, voiceThreshold: Double, wordsThreshold: Double
    ) -> [(Double, String)] {
        let start = party.speaksAfter ?? 0.25
        if initialTimeout > 0, start >= initialTimeout { return [(initialTimeout, "UNKNOWN")] }
        // `greeting_seconds` counts from the answer with the default start; a later start delays it all.
        let voiceEnd = party.kind == .machine ? max(start, start - 0.25 + party.greetingSeconds) : start + party.helloSeconds
        let machineAt = start + max(0, min(voiceThreshold, wordsThreshold * PromptRules.secondsPerWord))
        guard voiceEnd > machineAt else { return [(voiceEnd + max(0, endSilenceTimeout), "HUMAN")] }
        let ready = max(machineAt + 0.1, voiceEnd + (party.kind == .machine ? party.beepDelay : 0))
        var plan = [(machineAt, "MACHINE")]
        if machineAt + 1 < ready { plan.append((machineAt + 1, "NOT_READY")) }
        plan.append((ready, "READY"))
        return plan
    }
}
