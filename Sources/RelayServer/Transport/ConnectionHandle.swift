import RelayWire
import Synchronization

/// The server's handle on one WebSocket connection: a bounded outbound queue drained by the
/// connection's writer task.
///
/// The queue is bounded in frames (``RelayServerConfiguration/outboundBufferLimit``) and in
/// bytes (``RelayServerConfiguration/outboundByteLimit``). When a frame would exceed either,
/// the client is considered stalled: the frame is dropped and the socket is closed at once,
/// without waiting for the queue to drain (it never would). The session stays resumable.
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
    /// Finishes when the socket must close now (queue overflow): the transport closes the channel.
    let aborted: AsyncStream<Never>
    /// Finishes once the connection completed `blade.connect`.
    let authenticatedSignal: AsyncStream<Never>
    private let continuation: AsyncStream<Item>.Continuation
    private let authenticatedContinuation: AsyncStream<Never>.Continuation
    private let abortContinuation: AsyncStream<Never>.Continuation
    private let frameLimit: Int

    private struct State {
        var closed = false
        var overflowed = false
        var frames = 0
        var bytes = 0
        /// Frames the writer has taken from the queue, ever.
        var written = 0
        var byteLimit = 16 << 20
        var authenticated = false
        /// Ids of `blade.connect` requests not answered yet (transport-side authentication fallback).
    }

    private let state = Mutex(State())

    init(id: UInt64, remoteAddress: String, limit: Int) {
        self.id = id
        self.remoteAddress = remoteAddress
        frameLimit = max(1, limit)
        // Counting happens in `send`; the stream's own bound (one slot more, for the final
        // `.close`) is only a backstop.
        (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(frameLimit + 1))
        (aborted, abortContinuation) = AsyncStream.makeStream(of: Never.self)
        (authenticatedSignal, authenticatedContinuation) = AsyncStream.makeStream(of: Never.self)
    }

    /// Sets the byte bound of the outbound queue (the transport knows the configuration).
    func setByteLimit(_ bytes: Int) {
        state.withLock { $0.byteLimit = max(1024, bytes) }
    }

    /// Queues a frame. Returns `false` when the connection is already closed, or when this frame
    /// overflowed the queue (the socket is then closed at once and ``closedForOverflow`` becomes
    /// `true`). Never logs: the transport logs an overflow once per connection.
    @discardableResult
    func send(_ text: String, delay: Double = 0) -> Bool {
        let size = text.utf8.count
        enum Outcome { case queued, closed, overflow }
        let outcome: Outcome = state.withLock { state in
            if state.closed { return .closed }
            if state.frames + 1 > frameLimit || state.bytes + size > state.byteLimit {
                state.closed = true
                state.overflowed = true
                return .overflow
            }
            // Yield under the lock so concurrent senders keep their order in the queue.
            guard case .enqueued = continuation.yield(.text(text, delay: delay)) else {
                state.closed = true
                return .closed
            }
            state.frames += 1
            state.bytes += size
            return .queued
        }
        switch outcome {
        case .queued:
            return true
        case .closed:
            return false
        case .overflow:
            continuation.finish()
            abortContinuation.finish()
            return false
        }
    }

    /// Called by the writer when it takes a frame from the queue to write it.
    func didWrite(_ text: String) {
        let size = text.utf8.count
        state.withLock { state in
            state.frames = max(0, state.frames - 1)
            state.bytes = max(0, state.bytes - size)
            state.written += 1
        }
    }

    /// Frames the writer has handed to the socket so far. The rest of what was queued never
    /// left the process.
    var writtenFrames: Int { state.withLock { $0.written } }

    /// Closes the socket once the frames already queued are written.
    func close() {
        let wasClosed = state.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        if wasClosed { return }
        continuation.yield(.close)
        continuation.finish()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// `true` once the socket was closed because the client stopped reading (queue overflow).
    var closedForOverflow: Bool { state.withLock { $0.overflowed } }

    /// Frames and bytes waiting in the outbound queue.
    var queued: (frames: Int, bytes: Int) { state.withLock { ($0.frames, $0.bytes) } }

    /// Marks the connection as having completed `blade.connect`: the transport then allows
    /// messages up to ``RelayServerConfiguration/maximumMessageSize`` and stops the handshake timer.
    func markAuthenticated() {
        state.withLock { $0.authenticated = true }
        authenticatedContinuation.finish()
    }

    /// `true` once the connection completed `blade.connect`.
    var isAuthenticated: Bool { state.withLock { $0.authenticated } }
}
