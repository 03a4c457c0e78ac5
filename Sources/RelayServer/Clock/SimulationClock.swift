import Foundation
import NIOCore
import Synchronization

/// How simulated time passes in a server.
public struct ClockMode: Sendable, Hashable, CustomStringConvertible {
    enum Mode: Sendable, Hashable {
        case scaled(Double)
        case manual
    }

    let mode: Mode

    /// Simulated seconds pass `speed` times faster than real seconds: `50` turns a 2 s ring into
    /// 40 ms while keeping the order of events.
    public static func scaled(speed: Double) -> ClockMode { ClockMode(mode: .scaled(speed > 0 && speed.isFinite ? speed : 1)) }

    /// Simulated time stands still until it is advanced (``RelayServer/advanceClock(by:)``,
    /// `POST /lab/clock/advance`), so a 30 s ring timeout takes no wall time at all.
    public static let manual = ClockMode(mode: .manual)

    public var description: String {
        switch mode {
        case .scaled(let speed): "scaled(\(speed))"
        case .manual: "manual"
        }
    }
}

/// The clock behind every simulated duration, and the timers set on it. Timers run on the
/// event loop they were set for: the scaled clock schedules them on that loop, the manual clock
/// keeps them until ``advance(by:)`` reaches them and runs them in order.
final class SimulationClock: Sendable {
    let mode: ClockMode
    private let origin = ContinuousClock.now
    private let speed: Double
    private let manual = Mutex(ManualState())

    /// About 31 years: longer than any call lives. Durations from the network are capped so
    /// nothing can overflow.
    static let longestDuration: Double = 1e9

    struct Timer {
        let deadline: Double
        let sequence: Int
        let loop: any EventLoop
        let action: @Sendable () -> Void
    }

    struct ManualState {
        var now: Double = 0
        var sequence = 0
        var timers: [Timer] = []
    }

    init(mode: ClockMode) {
        self.mode = mode
        switch mode.mode {
        case .scaled(let speed): self.speed = speed
        case .manual: self.speed = 1
        }
    }

    var isManual: Bool { mode == .manual }

    /// Simulated seconds since the server started.
    var now: Double {
        if isManual { return manual.withLock { $0.now } }
        let elapsed = ContinuousClock.now - origin
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * speed
    }

    /// The simulated span that takes `seconds` of real time (on the manual clock, which has no
    /// real time, the same number of simulated seconds). For protocol timers that must not run
    /// faster with `--speed`, yet follow the manual clock in tests.
    func simulated(realSeconds seconds: Double) -> Double { isManual ? seconds : seconds * speed }

    /// Unix time in seconds, for event `timestamp`s.
    static var unixNow: Double { Date().timeIntervalSince1970 }

    /// Runs `action` on `loop` after `seconds` of simulated time. Returns a handle that can
    /// cancel it (scaled clock only; manual timers are dropped by ``cancelAll()``).
    @discardableResult
    func schedule(after seconds: Double, on loop: any EventLoop, _ action: @escaping @Sendable () -> Void) -> Scheduled<Void>? {
        let simulated = seconds.isFinite && seconds > 0 ? min(seconds, Self.longestDuration) : 0
        if isManual {
            manual.withLock { state in
                state.sequence += 1
                state.timers.append(Timer(deadline: state.now + simulated, sequence: state.sequence, loop: loop, action: action))
            }
            return nil
        }
        let nanoseconds = Int64(min(simulated / speed * 1e9, Double(Int64.max / 2)))
        return loop.scheduleTask(in: .nanoseconds(nanoseconds), action)
    }

    /// Manual clock: moves time forward by `seconds`, firing every timer that falls due, in
    /// deadline order, each finished before the next (timers set while
    /// advancing fire too when they fall within the step). Returns how many fired.
    @discardableResult
    func advance(by seconds: Double) async -> Int {
        guard isManual else { return 0 }
        let target = manual.withLock { $0.now } + max(0, seconds.isFinite ? seconds : 0)
        var fired = 0
        while true {
            let next: Timer? = manual.withLock { state in
                guard let index = state.timers.indices.min(by: { Self.earlier(state.timers[$0], state.timers[$1]) }),
                    state.timers[index].deadline <= target
                else { return nil }
                let timer = state.timers.remove(at: index)
                state.now = max(state.now, timer.deadline)
                return timer
            }
            guard let next else { break }
            // Timer actions take their part's lock themselves: run them right here, in order.
            next.action()
            fired += 1
            await Task.yield()
        }
        manual.withLock { $0.now = max($0.now, target) }
        return fired
    }

    /// Manual clock: timers waiting, and the simulated time of the next one.
    var pendingTimers: (count: Int, next: Double?) {
        manual.withLock { state in (state.timers.count, state.timers.map(\.deadline).min()) }
    }

    func cancelAll() {
        manual.withLock { $0.timers.removeAll() }
    }

    private static func earlier(_ lhs: Timer, _ rhs: Timer) -> Bool {
        lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.sequence < rhs.sequence
    }
}
