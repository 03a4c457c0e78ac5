import RelayWire
import Synchronization

/// The server's live event feed, shared by the web console (`GET /lab/events`), the terminal
/// lines of `relay serve` and ``RelayServer/events(bufferLimit:)``.
///
/// Publishing never waits for a subscriber. Each subscriber has a buffer of its own, bounded
/// (default ``defaultBufferLimit`` events): when a subscriber reads so slowly that its buffer is
/// full, the **oldest** buffered events are dropped for that subscriber only, and it sees the
/// jump in ``ConsoleEvent/sequence`` (the console then reloads its lists; the terminal prints
/// how many lines it skipped). At most ``subscriberLimit`` subscribers at once.
final class EventFeed: Sendable {
    static let defaultBufferLimit = 1024
    static let subscriberLimit = 64

    private struct State {
        var nextSequence = 1
        var nextID = 0
        var subscribers: [Int: AsyncStream<ConsoleEvent>.Continuation] = [:]
        var finished = false
        /// The last ``recentLimit`` events, for a console that opens later.
        var recent: [ConsoleEvent] = []
    }

    static let recentLimit = 200

    private let state = Mutex(State())
    /// Read without the lock on every engine step: publishing costs nothing while nobody listens.
    private let subscriberCount = Atomic<Int>(0)

    var hasSubscribers: Bool { subscriberCount.load(ordering: .relaxed) > 0 }

    /// Publishes the event `make` builds (only built when someone listens); the feed numbers it.
    func publish(_ make: () -> ConsoleEvent) {
        guard hasSubscribers else { return }
        var event = make()
        state.withLock { state in
            guard !state.finished, !state.subscribers.isEmpty else { return }
            event.sequence = state.nextSequence
            state.nextSequence += 1
            for continuation in state.subscribers.values { continuation.yield(event) }
            state.recent.append(event)
            if state.recent.count > Self.recentLimit * 2 { state.recent.removeFirst(state.recent.count - Self.recentLimit) }
        }
    }

    /// A new subscriber's events, from now on; `nil` when ``subscriberLimit`` are listening or
    /// the server stopped. The stream ends when the server stops.
    func subscribe(bufferLimit: Int = defaultBufferLimit) -> AsyncStream<ConsoleEvent>? {
        subscribeWithRecent(bufferLimit: bufferLimit)?.stream
    }

    /// Like ``subscribe(bufferLimit:)``, with the recent events published before (at most
    /// ``recentLimit``), none missing or repeated between the two.
    func subscribeWithRecent(bufferLimit: Int = defaultBufferLimit) -> (recent: [ConsoleEvent], stream: AsyncStream<ConsoleEvent>)? {
        let (stream, continuation) = AsyncStream.makeStream(of: ConsoleEvent.self, bufferingPolicy: .bufferingNewest(max(1, bufferLimit)))
        let subscribed: (Int, [ConsoleEvent])? = state.withLock { state in
            guard !state.finished, state.subscribers.count < Self.subscriberLimit else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            subscriberCount.store(state.subscribers.count, ordering: .relaxed)
            return (state.nextID, Array(state.recent.suffix(Self.recentLimit)))
        }
        guard let (id, recent) = subscribed else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return (recent, stream)
    }

    private func remove(_ id: Int) {
        state.withLock { state in
            state.subscribers[id] = nil
            subscriberCount.store(state.subscribers.count, ordering: .relaxed)
        }
    }

    /// Ends every subscriber's stream (server shutdown); later subscriptions get `nil`.
    func finish() {
        let ending = state.withLock { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            subscriberCount.store(0, ordering: .relaxed)
            return Array(state.subscribers.values)
        }
        for continuation in ending { continuation.finish() }
    }
}
