import Synchronization

/// A counter shared across threads.
final class AtomicCounter: Sendable {
    private let value = Synchronization.Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
