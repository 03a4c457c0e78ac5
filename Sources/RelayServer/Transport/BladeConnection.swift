import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import RelayWire
import Synchronization

/// Serves one Blade WebSocket connection: a reader feeding the hub, the connection's bounded
/// queue drained by its event loop (``ConnectionHandle``), and a pinger sending WebSocket ping control frames. When any
/// of them ends (client gone, server closing the socket) the others are cancelled and the
/// socket closes.
///
/// Until the session completed `blade.connect` the connection is held to tighter bounds: a
/// small message size, a handshake deadline and a cap on such connections at once.
enum BladeConnection {
    /// Why the transport itself ended a connection.
    private enum Ending: Sendable {
        /// Keep serving (a task finished without ending the connection).
        case none
        /// The client or the hub ended it.
        case normal
        /// The outbound queue overflowed: the client stopped reading.
        case overflow
        /// A message over the unauthenticated limit.
        case tooBig(Int)
        /// No `blade.connect` in time.
        case handshakeTimeout
    }

    static func serve(
        hub: RelayHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, remoteAddress: String,
        configuration: RelayServerConfiguration, registry: ConnectionRegistry, logger: Logger
    ) async {
        let limits = registry.limits
        guard registry.reserveUnauthenticated() else {
            logger.warning(
                "refused a websocket: too many connections waiting for blade.connect",
                metadata: ["relay.remote": "\(remoteAddress)", "relay.limit": "\(limits.maximumUnauthenticatedConnections)"])
            try? await outbound.close(WebSocketErrorCode(codeNumber: 1013), reason: "too many unauthenticated connections")
            channel.close(promise: nil)
            return
        }
        let slot = UnauthenticatedSlot(registry: registry)
        let handle = await hub.openConnection(remoteAddress: remoteAddress)
        handle.setByteLimit(limits.outboundByteLimit)
        registry.link(for: channel)?.attach(handle)
        // Frames go from `handle.send` straight onto the channel's loop; this handler resumes
        // them when a full socket drains.
        do {
            try await channel.pipeline.addHandler(ConnectionWritabilityHandler(handle: handle)).get()
            handle.attach(channel)
        } catch {
            handle.socketClosed()
        }
        logger.debug("websocket connected", metadata: ["relay.connection": "\(handle.id)", "relay.remote": "\(remoteAddress)"])
        let pingInterval = configuration.pingInterval
        let maximumSize = configuration.maximumMessageSize * 4
        let unauthenticatedSize = limits.maximumUnauthenticatedMessageSize
        let handshakeTimeout = limits.handshakeTimeout
        let ending = await withTaskGroup(of: Ending.self) { group -> Ending in
            group.addTask {
                // Finishes once what was queued before `close()` is written (the loop writes it).
                for await _ in handle.drained {}
                return handle.closedForOverflow ? .overflow : .normal
            }
            group.addTask {
                // Finishes at once when the queue overflows: the writer may be stuck on a full socket.
                for await _ in handle.aborted {}
                return handle.closedForOverflow ? .overflow : .none
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .seconds(pingInterval))
                        try await outbound.write(.custom(.init(fin: true, opcode: .ping, data: ByteBuffer(string: "relay"))))
                        await hub.keepalive(handle)
                    } catch {
                        return .normal
                    }
                }
                return .normal
            }
            group.addTask {
                // Authenticated in time frees the slot; otherwise the connection ends.
                let authenticated = await withTaskGroup(of: Bool.self) { race in
                    race.addTask {
                        for await _ in handle.authenticatedSignal {}
                        return handle.isAuthenticated
                    }
                    race.addTask {
                        try? await Task.sleep(for: .seconds(handshakeTimeout))
                        return handle.isAuthenticated
                    }
                    let first = await race.next() ?? false
                    race.cancelAll()
                    return first
                }
                if authenticated {
                    slot.release()
                    return .none
                }
                return Task.isCancelled ? .none : .handshakeTimeout
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: maximumSize) {
                        let size: Int
                        switch message {
                        case .text(let text): size = text.utf8.count
                        case .binary(let buffer): size = buffer.readableBytes
                        }
                        if !handle.isAuthenticated {
                            // Refused before the hub parses it: parsing megabytes costs seconds.
                            if size > unauthenticatedSize { return .tooBig(size) }
                        }
                        switch message {
                        case .text(let text): await hub.receive(text: text, from: handle)
                        case .binary(let buffer): await hub.receiveBinary(size: buffer.readableBytes, from: handle)
                        }
                    }
                } catch {
                    logger.debug("websocket read ended", metadata: ["relay.connection": "\(handle.id)", "relay.error": "\(error)"])
                }
                return .normal
            }
            var ending = Ending.none
            while let finished = await group.next() {
                if case .none = finished { continue }
                ending = finished
                break
            }
            switch ending {
            case .overflow:
                // Logged once per connection (later sends to it just return false), before the
                // close, which the client sees at once.
                let queued = handle.queued
                logger.warning(
                    "closed a connection whose client stopped reading: outbound queue full (the session stays resumable)",
                    metadata: [
                        "relay.connection": "\(handle.id)", "relay.remote": "\(remoteAddress)", "relay.queued_frames": "\(queued.frames)",
                        "relay.queued_bytes": "\(queued.bytes)",
                    ])
                // The writer may be stuck on a full socket: only closing the channel frees it.
                channel.close(promise: nil)
            case .tooBig, .handshakeTimeout:
                // The close frame (below) may never get out to a client that does not read.
                _ = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            case .none, .normal:
                break
            }
            group.cancelAll()
            return ending
        }
        slot.release()
        let metadata: Logger.Metadata = ["relay.connection": "\(handle.id)", "relay.remote": "\(remoteAddress)"]
        switch ending {
        case .none, .normal, .overflow:
            break
        case .tooBig(let size):
            logger.notice(
                "closed a websocket that sent \(size) bytes before blade.connect",
                metadata: metadata.merging(["relay.limit": "\(unauthenticatedSize)"]) { $1 })
            try? await outbound.close(.messageTooLarge, reason: "message too big before blade.connect")
            channel.close(promise: nil)
        case .handshakeTimeout:
            logger.notice("closed a websocket that did not complete blade.connect in time", metadata: metadata)
            try? await outbound.close(.policyViolation, reason: "blade.connect not completed in time")
            channel.close(promise: nil)
        }
        handle.socketClosed()
        await hub.connectionClosed(handle)
        logger.debug("websocket closed", metadata: ["relay.connection": "\(handle.id)"])
    }

}

/// One connection's place among the unauthenticated ones, given back exactly once.
private final class UnauthenticatedSlot: Sendable {
    private let registry: ConnectionRegistry
    private let held = Mutex(true)

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func release() {
        let wasHeld = held.withLock { held in
            defer { held = false }
            return held
        }
        if wasHeld { registry.releaseUnauthenticated() }
    }
}
