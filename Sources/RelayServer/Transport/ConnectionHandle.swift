import NIOCore
import NIOWebSocket
import RelayWire
import Synchronization

/// The server's handle on one WebSocket connection: a bounded outbound queue that the
/// connection's event loop drains straight onto the socket.
///
/// Any thread may ``send(_:delay:)``. The first frame queued while the loop is not already
/// draining schedules one drain; the drain writes everything queued by then and flushes once,
/// so a burst of events costs one hop to the loop and one `writev`, not one of each per frame.
///
/// The queue holds what the socket could not take yet (the channel is not writable). It is
/// bounded in frames (``RelayServerConfiguration/outboundBufferLimit``) and in bytes
/// (``RelayServerConfiguration/outboundByteLimit``). When a frame would exceed either, the
/// client is considered stalled: the frame is dropped and the socket is closed at once, without
/// waiting for the queue to drain (it never would). The session stays resumable.
final class ConnectionHandle: Sendable {
    let id: UInt64
    let remoteAddress: String
    /// Finishes when the socket must close now (queue overflow): the transport closes the channel.
    let aborted: AsyncStream<Never>
    /// Finishes once everything queued before ``close()`` was written: the transport ends the connection.
    let drained: AsyncStream<Never>
    /// Finishes once the connection completed `blade.connect`.
    let authenticatedSignal: AsyncStream<Never>
    private let authenticatedContinuation: AsyncStream<Never>.Continuation
    private let abortContinuation: AsyncStream<Never>.Continuation
    private let drainedContinuation: AsyncStream<Never>.Continuation
    private let frameLimit: Int

    private struct Frame {
        var data: ByteBuffer
        /// Real seconds to wait before writing it (event-delay fault); zero once waited.
        var delay: Double
        /// Outside the queue's bounds (a resume's replay).
        var exempt: Bool
    }

    private struct State {
        var queue = CircularBuffer<Frame>()
        var channel: (any Channel)?
        /// A drain is scheduled on the loop, running, or waiting out a delayed frame.
        var draining = false
        /// `close()` was called: no more frames; the socket closes once `queue` is written.
        var closing = false
        var closed = false
        var overflowed = false
        var bytes = 0
        /// The part of `queue` outside the bounds (replayed frames), in frames and bytes.
        var exemptFrames = 0
        var exemptBytes = 0
        /// Frames and bytes handed to the socket, ever.
        var written = 0
        var writtenBytes = 0
        var byteLimit = 16 << 20
        var authenticated = false
    }

    private let state = Mutex(State())
    /// Frames handed to the channel per drain before it checks writability again.
    private static let batch = 256

    init(id: UInt64, remoteAddress: String, limit: Int) {
        self.id = id
        self.remoteAddress = remoteAddress
        frameLimit = max(1, limit)
        (aborted, abortContinuation) = AsyncStream.makeStream(of: Never.self)
        (drained, drainedContinuation) = AsyncStream.makeStream(of: Never.self)
        (authenticatedSignal, authenticatedContinuation) = AsyncStream.makeStream(of: Never.self)
    }

    /// Sets the byte bound of the outbound queue (the transport knows the configuration).
    func setByteLimit(_ bytes: Int) {
        state.withLock { $0.byteLimit = max(1024, bytes) }
    }

    /// Binds the socket: frames queued so far go out now. The transport calls this once, after
    /// it put a ``ConnectionWritabilityHandler`` for this handle into the channel's pipeline.
    func attach(_ channel: any Channel) {
        let schedule = state.withLock { state -> Bool in
            state.channel = channel
            return Self.claimDrain(&state)
        }
        if schedule { channel.eventLoop.execute { self.drain() } }
    }

    /// Queues a frame. Returns `false` when the connection is closing or closed, or when this
    /// frame overflowed the queue (the socket is then closed at once and ``closedForOverflow``
    /// becomes `true`). Never logs: the transport logs an overflow once per connection.
    @discardableResult
    ///
    /// - Parameter bounded: `false` for a resume's replay, which is bounded by what the session
    ///   remembers: a replay larger than the queue would otherwise close every new connection
    ///   before the client could read it, and the session could never be resumed.
    func send(_ frame: ByteBuffer, delay: Double = 0, bounded: Bool = true) -> Bool {
        enum Outcome { case queued(schedule: (any Channel)?), refused, overflow }
        let outcome: Outcome = state.withLock { state in
            if state.closing || state.closed { return .refused }
            if bounded,
                state.queue.count - state.exemptFrames + 1 > frameLimit
                    || state.bytes - state.exemptBytes + frame.readableBytes > state.byteLimit
            {
                state.closed = true
                state.overflowed = true
                state.queue.removeAll()
                state.bytes = 0
                state.exemptFrames = 0
                state.exemptBytes = 0
                return .overflow
            }
            state.queue.append(Frame(data: frame, delay: delay, exempt: !bounded))
            state.bytes += frame.readableBytes
            if !bounded {
                state.exemptFrames += 1
                state.exemptBytes += frame.readableBytes
            }
            return .queued(schedule: Self.claimDrain(&state) ? state.channel : nil)
        }
        switch outcome {
        case .queued(let channel):
            channel?.eventLoop.execute { self.drain() }
            return true
        case .refused:
            return false
        case .overflow:
            abortContinuation.finish()
            drainedContinuation.finish()
            return false
        }
    }

    /// Queues a frame given as text.
    @discardableResult
    func send(_ text: String) -> Bool { send(ByteBuffer(string: text)) }

    /// Whether the caller must schedule a drain (and now owns it).
    private static func claimDrain(_ state: inout State) -> Bool {
        guard !state.draining, state.channel != nil, !state.closed, !state.queue.isEmpty || state.closing else { return false }
        state.draining = true
        return true
    }

    /// Runs on the channel's loop: writes what is queued while the socket takes it, with one flush.
    private func drain() {
        enum Next { case done, wait(Double), blocked, finished }
        guard let channel = state.withLock({ $0.channel }) else { return }
        channel.eventLoop.assertInEventLoop()
        var wroteAny = false
        var next = Next.done
        while true {
            if !channel.isWritable {
                next = .blocked
                break
            }
            let (frames, after): ([ByteBuffer], Next?) = state.withLock { state in
                var frames: [ByteBuffer] = []
                while frames.count < Self.batch, let first = state.queue.first {
                    if first.delay > 0 {
                        // Wait before this one; the frames after it wait with it, keeping order.
                        state.queue[state.queue.startIndex].delay = 0
                        return (frames, .wait(first.delay))
                    }
                    state.queue.removeFirst()
                    state.bytes -= first.data.readableBytes
                    if first.exempt {
                        state.exemptFrames -= 1
                        state.exemptBytes -= first.data.readableBytes
                    }
                    state.written += 1
                    state.writtenBytes += first.data.readableBytes
                    frames.append(first.data)
                }
                if frames.count == Self.batch { return (frames, nil) }
                if state.closing || state.closed {
                    state.closed = true
                    return (frames, .finished)
                }
                state.draining = false
                return (frames, .done)
            }
            for frame in frames {
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: frame), promise: nil)
            }
            wroteAny = wroteAny || !frames.isEmpty
            if let after {
                next = after
                break
            }
        }
        if wroteAny { channel.flush() }
        switch next {
        case .done:
            break
        case .wait(let seconds):
            channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1_000_000_000))) { self.drain() }
        case .blocked:
            // ``writabilityChanged(writable:)`` resumes. The flush above may already have made
            // the socket writable again (its event then found this drain still running), so look
            // once more now that the next event will find none.
            let again = state.withLock { state in
                state.draining = false
                return channel.isWritable && Self.claimDrain(&state)
            }
            if again { channel.eventLoop.execute { self.drain() } }
        case .finished:
            drainedContinuation.finish()
        }
    }

    /// The socket can take more (called on the loop by ``ConnectionWritabilityHandler``).
    func writabilityChanged(writable: Bool) {
        guard writable else { return }
        let channel = state.withLock { Self.claimDrain(&$0) ? $0.channel : nil }
        // Not inline: this can be called from inside a flush that a drain is running.
        channel?.eventLoop.execute { self.drain() }
    }

    /// Frames handed to the socket so far. The rest of what was queued never left the process.
    var writtenFrames: Int { state.withLock { $0.written } }

    /// Frames and bytes handed to the socket so far.
    var written: (frames: Int, bytes: Int) { state.withLock { ($0.written, $0.writtenBytes) } }

    /// Closes the socket once the frames already queued are written.
    func close() {
        let schedule: (any Channel)?? = state.withLock { state in
            if state.closing || state.closed { return nil }
            state.closing = true
            return .some(Self.claimDrain(&state) ? state.channel : nil)
        }
        guard let schedule else { return }
        if let channel = schedule {
            channel.eventLoop.execute { self.drain() }
        } else if state.withLock({ $0.channel == nil }) {
            // Never attached (or attaching failed): nothing can be written any more.
            state.withLock { $0.closed = true }
            drainedContinuation.finish()
        }
    }

    /// Ends the handle for a socket that is gone: nothing queued will be written.
    func socketClosed() {
        state.withLock { state in
            state.closed = true
            state.queue.removeAll()
            state.bytes = 0
            state.exemptFrames = 0
            state.exemptBytes = 0
        }
        drainedContinuation.finish()
    }

    var isClosed: Bool { state.withLock { $0.closed || $0.closing } }

    /// `true` once the socket was closed because the client stopped reading (queue overflow).
    var closedForOverflow: Bool { state.withLock { $0.overflowed } }

    /// Frames and bytes waiting in the outbound queue.
    var queued: (frames: Int, bytes: Int) { state.withLock { ($0.queue.count, $0.bytes) } }

    /// Marks the connection as having completed `blade.connect`: the transport then allows
    /// messages up to ``RelayServerConfiguration/maximumMessageSize`` and stops the handshake timer.
    func markAuthenticated() {
        state.withLock { $0.authenticated = true }
        authenticatedContinuation.finish()
    }

    /// `true` once the connection completed `blade.connect`.
    var isAuthenticated: Bool { state.withLock { $0.authenticated } }
}

/// Sits at the end of a Blade connection's pipeline and tells its ``ConnectionHandle`` when
/// the socket can take more frames.
final class ConnectionWritabilityHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    private let handle: ConnectionHandle

    init(handle: ConnectionHandle) {
        self.handle = handle
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        handle.writabilityChanged(writable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }
}
