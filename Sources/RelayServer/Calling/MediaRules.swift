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
        case .ringtone(let name, _): "ringtone \(name)" + (Ringtones.cadence(name).map { " (\($0.text))" } ?? "")
        case .audio(let url): "audio \(url)"
        case .other(let type, _): type
        }
    }

    /// Why the server refuses an item that the shared wire rule (`Media.problem`) lets through:
    /// a ringtone name the reference does not list.
    static func serverProblem(_ media: Media) -> String? {
        if case .ringtone(let name, _) = media, Ringtones.cadence(name) == nil { return Ringtones.unknown(name) }
        return nil
    }

    /// Where a play list fails: the first audio item whose URL fails (``MediaFault``), reached
    /// after the items before it have played plus the fetch time. `nil` when every item plays.
    static func failure(of media: [Media], world: SimulatedWorld, recordings: (String) -> Double?) -> (at: Double, index: Int, reason: String)? {
        var elapsed = 0.0
        for (index, item) in media.enumerated() {
            if case .audio(let url) = item, recordings(url) == nil, let fault = world.mediaFault(url: url) {
                return (elapsed + fault.seconds, index, "play[\(index)] \(url): \(fault)")
            }
            elapsed += duration(of: item, recordings: recordings) ?? 0
        }
        return nil
    }

    /// Seconds to send DTMF: 0.1 s per key, 0.5 s per `w`, 1 s per `W`.
    static func sendDuration(_ digits: String) -> Double {
        digits.reduce(0) { total, key in total + (key == "w" ? 0.5 : key == "W" ? 1 : 0.1) }
    }
}
