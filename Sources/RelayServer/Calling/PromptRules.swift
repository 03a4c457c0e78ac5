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
