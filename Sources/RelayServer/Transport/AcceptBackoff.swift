import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Pauses accepting when `accept` fails for want of resources (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM), with exponential backoff, and logs one warning per episode.
///
/// NIO's own `AcceptBackoffHandler` delays the next `read()`, but after a failed accept NIO
/// keeps the listening socket registered for readability (no accept succeeded, so its read is
/// still pending): the level-triggered poller wakes it again at once and the loop spins on the
/// same error, silently. Turning `autoRead` off deregisters the socket until the backoff ends.
/// Installed first in the server channel's pipeline so it sees the error before NIO's handler.
final class AcceptBackoff: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never
    typealias OutboundOut = Never

    static let minimumDelay = TimeAmount.milliseconds(100)
    static let maximumDelay = TimeAmount.seconds(1)

    private let logger: Logger
    private var delay = AcceptBackoff.minimumDelay
    private var paused = false
    private var resume: Scheduled<Void>?
    /// Failures in the current episode (`0`: accepting normally).
    private(set) var failures = 0
    /// Pauses in the current episode.
    private(set) var pauses = 0

    init(logger: Logger) {
        self.logger = logger
    }

    static func isResourceExhaustion(_ error: any Error) -> Bool {
        guard let error = error as? IOError else { return false }
        return [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard Self.isResourceExhaustion(error) else {
            context.fireErrorCaught(error)
            return
        }
        failures += 1
        if failures == 1 {
            logger.warning(
                "cannot accept connections (\(error)); pausing accepts and retrying with backoff",
                metadata: ["relay.open_connections_hint": "raise the file descriptor limit (ulimit -n) or close idle clients"])
        }
        pause(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if failures > 0 {
            logger.notice("accepting connections again", metadata: ["relay.failed_accepts": "\(failures)", "relay.pauses": "\(pauses)"])
            failures = 0
            pauses = 0
            delay = Self.minimumDelay
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        // While paused, reads wait for the timer.
        if !paused { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }

    private func pause(context: ChannelHandlerContext) {
        guard !paused, let options = context.channel.syncOptions else { return }
        paused = true
        pauses += 1
        do {
            // Deregisters the listening socket (setting the same value would do nothing).
            if try !options.getOption(ChannelOptions.autoRead) { try options.setOption(ChannelOptions.autoRead, value: true) }
            try options.setOption(ChannelOptions.autoRead, value: false)
        } catch {
            logger.debug("could not pause accepting", metadata: ["relay.error": "\(error)"])
        }
        let wait = delay
        delay = min(delay * 2, Self.maximumDelay)
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: wait) { [self] in
            resume = nil
            paused = false
            // Registers the socket again and reads: the next accept either succeeds or fails into another pause.
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }
}

@available(*, unavailable)
extension AcceptBackoff: Sendable {}
