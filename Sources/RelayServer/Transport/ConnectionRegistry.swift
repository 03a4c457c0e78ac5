import NIOCore
import Synchronization

/// Limits the transport enforces per connection, taken from ``RelayServerConfiguration``
/// (clamped so that a bad value can never disable a bound).
struct TransportLimits: Sendable {
    var maximumHeaderSize: Int
    var requestHeadTimeout: TimeAmount
    var idleTimeout: TimeAmount
    var maximumUnauthenticatedMessageSize: Int
    var handshakeTimeout: Double
    var maximumUnauthenticatedConnections: Int
    var shutdownTimeout: TimeAmount
    var outboundByteLimit: Int

    init(_ configuration: RelayServerConfiguration) {
        maximumHeaderSize = max(1024, configuration.maximumHeaderSize)
        requestHeadTimeout = Self.amount(configuration.requestHeadTimeout, fallback: 10)
        idleTimeout = Self.amount(configuration.idleTimeout, fallback: 30)
        maximumUnauthenticatedMessageSize = min(max(1024, configuration.maximumUnauthenticatedMessageSize), configuration.maximumMessageSize * 4)
        handshakeTimeout = configuration.handshakeTimeout.isFinite && configuration.handshakeTimeout > 0 ? configuration.handshakeTimeout : 10
        maximumUnauthenticatedConnections = max(1, configuration.maximumUnauthenticatedConnections)
        shutdownTimeout = Self.amount(configuration.shutdownTimeout, fallback: 3)
        outboundByteLimit = max(1024, configuration.outboundByteLimit)
    }

    private static func amount(_ seconds: Double, fallback: Double) -> TimeAmount {
        let value = seconds.isFinite && seconds > 0 ? min(seconds, 86_400) : fallback
        return .nanoseconds(Int64(value * 1_000_000_000))
    }
}

/// Every open TCP connection of one server, so that a shutdown (graceful or by cancellation)
/// reaches connections the HTTP server's own quiescing does not (ones that never sent a
/// complete request head), and a count of WebSocket connections not yet authenticated.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: (channel: any Channel, link: SessionLink)] = [:]
        var unauthenticated = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())
    let limits: TransportLimits

    init(limits: TransportLimits) {
        self.limits = limits
    }

    /// Registers a new connection. Returns `false` when shutdown already began (the caller closes it).
    func add(_ channel: any Channel, link: SessionLink) -> Bool {
        state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = (channel, link)
            return !state.shuttingDown
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The session link of a registered connection.
    func link(for channel: any Channel) -> SessionLink? {
        state.withLock { $0.channels[ObjectIdentifier(channel)]?.link }
    }

    var count: Int { state.withLock { $0.channels.count } }

    /// Takes one of the unauthenticated slots; `false` when all are taken.
    func reserveUnauthenticated() -> Bool {
        state.withLock { state in
            guard state.unauthenticated < limits.maximumUnauthenticatedConnections else { return false }
            state.unauthenticated += 1
            return true
        }
    }

    func releaseUnauthenticated() {
        state.withLock { $0.unauthenticated = max(0, $0.unauthenticated - 1) }
    }

    var unauthenticatedCount: Int { state.withLock { $0.unauthenticated } }

    /// Tells every connection that the server is going away: idle and half-sent HTTP
    /// connections close at once, a request in progress closes after its response, and every
    /// connection still open ``TransportLimits/shutdownTimeout`` later is closed by force.
    func beginShutdown() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return state.channels.values.map(\.channel)
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }
}

/// Links a connection's transport handlers to its WebSocket session once the session exists.
final class SessionLink: Sendable {
    private let handle = Mutex<ConnectionHandle?>(nil)

    func attach(_ connection: ConnectionHandle) {
        handle.withLock { $0 = connection }
    }

    /// `false` until an attached session completed `blade.connect`.
    var isAuthenticated: Bool { handle.withLock { $0?.isAuthenticated ?? false } }
}
