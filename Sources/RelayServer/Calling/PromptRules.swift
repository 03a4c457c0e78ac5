import RelayWire

/// How the far end answers a prompt.
enum PromptRules {
    /// The far end keys `keys` at a digits prompt: what is collected, and when (0.3 s a key,
    /// plus the digit timeout when neither `max` nor a terminator completed the input).
    static func collectDigits(_ keys: String, options: CollectOptions.Digits) -> (wait: Double, result: CollectResult) {
        let maximum = options.max ?? max(1, keys.count)
        let terminators = options.terminators ?? ""
        var collected = ""
        var terminator = ""
        var pressed = 0
        for key in keys {
            pressed += 1
            if terminators.contains(key) {
                terminator = String(key)
                break
            }
            collected.append(key)
            if collected.count >= maximum { break }
        }
        let complete = !terminator.isEmpty || collected.count >= maximum
        let wait = Double(pressed) * 0.3 + (complete ? 0 : options.digitTimeout ?? 5)
        if collected.isEmpty && terminator.isEmpty { return (wait, CollectResult(type: "no_input")) }
        return (wait, CollectResult(type: "digit", params: ["digits": .string(collected), "terminator": .string(terminator)]))
    }
}

extension PromptRules {
    /// Seconds a party takes to say one word.
    static let secondsPerWord = 0.4
    /// Below this confidence the recogniser reports `no_match`.
    static let matchThreshold = 50.0
    /// What a hint that the words match adds to the confidence.
    static let hintBoost = 30.0

    /// The party says `words` at a speech prompt: what is recognised, and when (after the
    /// prompt). It starts after 0.5 s and says a word every 0.4 s; the result comes
    /// `end_silence_timeout` (1 s) after the last word, or at `speech_timeout` (5 s) of speech,
    /// which cuts off the words not yet said. `no_match` when the prompt's language differs
    /// from the party's (by primary subtag), when no word was said in time, or when the
    /// confidence (the party's, plus 30 when the words match a hint) is below 50.
    static func collectSpeech(_ words: String, options: CollectOptions.Speech, party: PartyBehavior) -> (wait: Double, result: CollectResult) {
        let spoken = words.split(separator: " ")
        // Bounded before it becomes a word count: a client may send any number (1e308 included).
        let limit = min(max(options.speechTimeout.flatMap { $0.isFinite ? $0 : nil } ?? 5, 0), 86_400)
        var heard = spoken
        var wait = 0.5 + Double(spoken.count) * secondsPerWord + (options.endSilenceTimeout ?? 1)
        if Double(spoken.count) * secondsPerWord > limit {
            heard = Array(spoken.prefix(max(0, Int((limit / secondsPerWord).rounded(.down)))))
            wait = 0.5 + limit
        }
        let noMatch = CollectResult(type: "no_match")
        guard !heard.isEmpty, primaryLanguage(options.language ?? "en-US") == primaryLanguage(party.speechLanguage) else { return (wait, noMatch) }
        let text = heard.joined(separator: " ")
        var confidence = party.speechConfidence
        if let hints = options.hints, hints.contains(where: { matches(text, hint: $0) }) { confidence = min(100, confidence + hintBoost) }
        guard confidence >= matchThreshold else { return (wait, noMatch) }
        return (wait, .speech(text, confidence: confidence))
    }

    static func primaryLanguage(_ tag: String) -> String {
        String(tag.lowercased().prefix { $0.isLetter })
    }

    /// Whether the hint's words occur, whole, in `text` (ignoring case and punctuation).
    static func matches(_ text: String, hint: String) -> Bool {
        func words(_ string: String) -> [String] {
            string.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init)
        }
        let said = words(text)
        let wanted = words(hint)
        guard !wanted.isEmpty, wanted.count <= said.count else { return false }
        return (0...(said.count - wanted.count)).contains { Array(said[$0..<($0 + wanted.count)]) == wanted }
    }
}
