import NIOCore

/// Runs Swift tasks on a SwiftNIO event loop. Code that awaits Relay responses in a tight
/// loop runs fastest here: the response completes on the loop that reads the socket, so the
/// waiting task resumes without a thread hop (ws-latency.md, design c). Keep heavy work off
/// it: a task on the loop blocks every socket the loop serves.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `EventLoop` is Sendable and the class has no other state.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
