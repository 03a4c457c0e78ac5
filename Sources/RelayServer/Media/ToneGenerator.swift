import Foundation

/// Tones a call can play: ringtones by cadence, and DTMF keys in band (for a far end that
/// negotiated no RFC 4733 events).
enum ToneGenerator {
    /// `seconds` of a ringtone's cadence, repeated.
    static func ringtone(_ cadence: Ringtones.Cadence, seconds: Double) -> AudioClip {
        let total = AudioClip.sampleCount(seconds: seconds)
        var samples = [Int16](repeating: 0, count: total)
        let steps = cadence.pattern.map { AudioClip.sampleCount(seconds: $0) }
        guard steps.reduce(0, +) > 0 else { return AudioClip(samples: samples) }
        var index = 0, step = 0
        while index < total {
            let length = min(steps[step % steps.count], total - index)
            if step % 2 == 0 { tone(cadence.hertz, into: &samples, from: index, count: length, level: 6000) }
            index += length
            step += 1
        }
        return AudioClip(samples: samples)
    }

    /// The two frequencies of each DTMF key (ITU-T Q.23).
    static func dtmf(_ key: Character) -> [Int]? {
        let rows = [697, 770, 852, 941], columns = [1209, 1336, 1477, 1633]
        let layout: [Character] = ["1", "2", "3", "A", "4", "5", "6", "B", "7", "8", "9", "C", "*", "0", "#", "D"]
        guard let position = layout.firstIndex(of: Character(key.uppercased())) else { return nil }
        return [rows[position / 4], columns[position % 4]]
    }

    /// Keys in band: 100 ms of each key's tones, then 50 ms of silence (`w`/`W` wait 0.5/1 s).
    static func dtmf(_ keys: String) -> AudioClip {
        var samples: [Int16] = []
        for key in keys {
            switch key {
            case "w": samples += [Int16](repeating: 0, count: AudioClip.sampleRate / 2)
            case "W": samples += [Int16](repeating: 0, count: AudioClip.sampleRate)
            default:
                guard let hertz = dtmf(key) else { continue }
                var tone = [Int16](repeating: 0, count: 800)
                Self.tone(hertz, into: &tone, from: 0, count: 800, level: 8000)
                samples += tone + [Int16](repeating: 0, count: 400)
            }
        }
        return AudioClip(samples: samples)
    }

    private static func tone(_ hertz: [Int], into samples: inout [Int16], from start: Int, count: Int, level: Double) {
        let share = level / Double(max(1, hertz.count))
        for offset in 0..<count {
            let time = Double(offset) / Double(AudioClip.sampleRate)
            let value = hertz.reduce(0.0) { $0 + sin(2 * Double.pi * Double($1) * time) * share }
            samples[start + offset] = AudioClip.clip(value)
        }
    }
}
