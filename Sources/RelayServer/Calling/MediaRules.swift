import RelayWire

/// Deterministic durations of simulated media, in simulated seconds.
///
/// - `tts`: 0.06 s per character of `text`, at least 0.5 s.
/// - `silence`: its `duration`.
/// - `ringtone`: its `duration`, else 3 s.
/// - `audio`: the number after `duration=` in the URL query or fragment (`…/a.mp3?duration=7`),
///   the duration of a recording this server made, else 2 s.
enum MediaRules {
    /// `nil` for media that cannot be played (see `Media.problem`).
    static func duration(of media: Media, recordings: (String) -> Double?) -> Double? {
        guard media.problem == nil else { return nil }
        switch media {
        case .tts(let text, _, _): return max(0.5, Double(text.count) * 0.06)
        case .silence(let seconds): return seconds
        case .ringtone(_, let seconds): return seconds ?? 3
        case .audio(let url):
            if let recorded = recordings(url) { return recorded }
            if let range = url.range(of: "duration=") {
                let digits = url[range.upperBound...].prefix { $0.isNumber || $0 == "." }.prefix(12)
                if let seconds = Double(digits), seconds.isFinite { return seconds }
            }
            return 2
        case .other: return nil
        }
    }

    /// A short description for timelines: `tts "Hello"`, `silence 2.0s`, … .
    static func describe(_ media: Media) -> String {
        switch media {
        case .tts(let text, _, _): "tts \"\(text)\""
        case .silence(let seconds): "silence \(seconds)s"
        case .ringtone(let name, _): "ringtone \(name)"
        case .audio(let url): "audio \(url)"
        case .other(let type, _): type
        }
    }

    /// Seconds to send DTMF: 0.1 s per key, 0.5 s per `w`, 1 s per `W`.
    static func sendDuration(_ digits: String) -> Double {
        digits.reduce(0) { total, key in total + (key == "w" ? 0.5 : key == "W" ? 1 : 0.1) }
    }
}

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

/// Percent-encoding for ids that end up in URL paths (`control_id` is chosen by the client).
enum URLPath {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func encode(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            if unreserved.contains(byte), !(byte == UInt8(ascii: ".") && (segment == "." || segment == "..")) {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
