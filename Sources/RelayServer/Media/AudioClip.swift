import Foundation

/// Mono 16-bit audio at 8 kHz: what a G.711 call carries, and what every media source
/// (speech, files, tones) is turned into before it is paced out as RTP.
struct AudioClip: Sendable, Equatable {
    static let sampleRate = 8000

    var samples: [Int16]

    init(samples: [Int16] = []) { self.samples = samples }

    static func silence(seconds: Double) -> AudioClip {
        AudioClip(samples: [Int16](repeating: 0, count: sampleCount(seconds: seconds)))
    }

    static func sampleCount(seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int((min(seconds, AudioClip.longestSeconds) * Double(sampleRate)).rounded())
    }

    /// The longest clip any source may make (a bound on memory: about 9.6 MB).
    static let longestSeconds: Double = 600

    var seconds: Double { Double(samples.count) / Double(Self.sampleRate) }

    /// `source` at `rate` Hz as 8 kHz: a short moving average (against aliasing) then linear
    /// interpolation. Good enough for speech over G.711, which keeps nothing above 4 kHz.
    init(resampling source: [Int16], from rate: Int) {
        guard rate != Self.sampleRate, rate > 0, !source.isEmpty else {
            samples = source
            return
        }
        let ratio = Double(rate) / Double(Self.sampleRate)
        // Averaging over about one output period removes most of what would alias.
        let width = max(1, Int(ratio.rounded(.down)))
        var smoothed = source
        if width > 1 {
            var sum = 0
            for index in source.indices {
                sum += Int(source[index])
                if index >= width { sum -= Int(source[index - width]) }
                smoothed[index] = Int16(sum / min(index + 1, width))
            }
        }
        let count = min(Int(Double(source.count) / ratio), Int(Self.longestSeconds) * Self.sampleRate)
        var out = [Int16]()
        out.reserveCapacity(count)
        for index in 0..<count {
            let position = Double(index) * ratio
            let lower = Int(position)
            let upper = min(lower + 1, smoothed.count - 1)
            let fraction = position - Double(lower)
            out.append(Int16(Double(smoothed[lower]) * (1 - fraction) + Double(smoothed[upper]) * fraction))
        }
        samples = out
    }

    /// Scaled by `decibels` (Relay's play `volume`, −40…40), clipped to 16 bits.
    func adjusted(decibels: Double) -> AudioClip {
        guard decibels != 0, decibels.isFinite else { return self }
        let gain = Self.gain(decibels: decibels)
        return AudioClip(samples: samples.map { Self.clip(Double($0) * gain) })
    }

    static func gain(decibels: Double) -> Double { pow(10, max(-40, min(40, decibels)) / 20) }

    static func clip(_ value: Double) -> Int16 { Int16(max(-32768, min(32767, value.rounded()))) }

    /// Root mean square level, 0…32768: how loud the clip is.
    var rms: Double {
        guard !samples.isEmpty else { return 0 }
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(samples.count)).squareRoot()
    }
}
