import Synchronization

/// The server's handle on one WebSocket connection: a bounded outbound queue drained by the
/// connection's writer task.
///
/// When the queue holds ``RelayServerConfiguration/outboundBufferLimit`` frames the client is
/// considered stalled: the frame is dropped and the connection is closed (the session stays
/// resumable).
final class ConnectionHandle: Sendable {
    enum Item: Sendable {
        /// A text frame; `delay` (real seconds) is waited before writing it (event-delay fault).
        case text(String, delay: Double)
        /// Close the socket after everything queued before it was written.
        case close
    }

    let id: UInt64
    let remoteAddress: String
    let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let closed = Mutex(false)

    init(id: UInt64, remoteAddress: String, limit: Int) {
        self.id = id
        self.remoteAddress = remoteAddress
        // One slot is kept for the final `.close`.
        (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(limit + 1))
    }

    /// Queues a frame. Returns `false` (and closes the connection) when the queue is full or
    /// the connection is already closed.
    @discardableResult
    func send(_ text: String, delay: Double = 0) -> Bool {
        if closed.withLock({ $0 }) { return false }
        switch continuation.yield(.text(text, delay: delay)) {
        case .enqueued: return true
        case .dropped, .terminated:
            close()
            return false
        @unknown default: return false
        }
    }

    /// Closes the socket once the frames already queued are written.
    func close() {
        let wasClosed = closed.withLock { state in
            defer { state = true }
            return state
        }
        if wasClosed { return }
        continuation.yield(.close)
        continuation.finish()
    }

    var isClosed: Bool { closed.withLock { $0 } }
}
