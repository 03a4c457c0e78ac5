import Foundation

/// The scaled clock behind every simulated duration. Simulated seconds pass `speed` times
/// faster than real seconds, so `--speed 50` turns a 2 s ring into 40 ms while keeping the
/// order of events.
struct SimClock: Sendable {
    let speed: Double
    let origin: ContinuousClock.Instant

    init(speed: Double) {
        self.speed = speed
        self.origin = .now
    }

    /// Simulated seconds since the server started.
    var now: Double {
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds * speed
    }

    /// Real seconds for a simulated duration. Durations come from the network: anything not
    /// finite counts as 0 and anything huge is capped, so `Task.sleep` can never trap.
    func realSeconds(_ simulated: Double) -> Double {
        guard simulated.isFinite, simulated > 0 else { return 0 }
        return min(simulated, Self.longestDuration) / speed
    }

    /// About 31 years: longer than any call lives.
    static let longestDuration: Double = 1e9

    /// Unix time in seconds, for event `timestamp`s.
    static var unixNow: Double { Date().timeIntervalSince1970 }
}
