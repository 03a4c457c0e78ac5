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

    /// Real seconds for a simulated duration.
    func realSeconds(_ simulated: Double) -> Double { max(0, simulated) / speed }

    /// Unix time in seconds, for event `timestamp`s.
    static var unixNow: Double { Date().timeIntervalSince1970 }
}
