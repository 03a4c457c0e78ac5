import NIOCore

/// Runs a task's jobs on one NIO event loop. A connection's reader runs there, so a request is
/// read, executed and answered on the thread that owns the socket: no hop to another thread,
/// and the answer is flushed in the same loop turn as the other frames it produced.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `EventLoop` is Sendable and the class has no other state.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
