import RelayWire
import Synchronization

/// Tasks (`POST /api/relay/rest/tasks`): each goes to one session receiving its context.
/// Keeps the last ``historyLimit`` for the lab API, refused ones included.
final class TaskDesk: Sendable {
    static let historyLimit = 1000

    private let tasks = Mutex<[TaskRecord]>([])
    private let registry: SessionRegistry
    private let feed: EventFeed

    init(registry: SessionRegistry, feed: EventFeed = EventFeed()) {
        self.registry = registry
        self.feed = feed
    }

    /// Delivers a task; returns the session that got it.
    func deliver(project: RelayProject, context: String, message: JSONValue) throws(DeliveryError) -> String {
        let session = registry.pickSession(project: project.id, context: context)
        let now = SimulationClock.unixNow
        let record = TaskRecord(project: project.id, context: context, message: message, session: session, time: now)
        feed.publish { .task(record) }
        tasks.withLock { tasks in
            tasks.append(record)
            if tasks.count > Self.historyLimit + Self.historyLimit / 4 { tasks.removeFirst(tasks.count - Self.historyLimit) }
        }
        guard let session else { throw .noConsumer(context: context) }
        registry.deliver(.task(TaskNotification(context: context, message: message, timestamp: now)), to: session)
        return session
    }

    var snapshots: [TaskRecord] { tasks.withLock { $0 } }
}
