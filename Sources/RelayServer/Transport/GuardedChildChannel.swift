import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps Hummingbird's HTTP/WebSocket child channel: puts a ``ConnectionGuard`` in front of the
/// HTTP decoder and an ``HTTPRequestTracker`` right after it.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let registry: ConnectionRegistry

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connectionGuard: EventLoopFuture<NIOLoopBound<ConnectionGuard>> = channel.eventLoop.makeCompletedFuture {
            let handler = ConnectionGuard(registry: registry, logger: logger)
            try channel.pipeline.syncOperations.addHandlers(TLSOnPlainPortDetector(logger: logger), handler)
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }
        return connectionGuard.flatMap { bound in
            base.setup(channel: channel, logger: logger).flatMapThrowing { value in
                let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try channel.pipeline.syncOperations.addHandler(
                    HTTPRequestTracker(connectionGuard: bound.value), position: .after(decoder))
                return value
            }
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
