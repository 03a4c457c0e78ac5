import CoreMetrics
import NIOCore
import NIOPosix
import NIOSSL
import Tracing

/// Tunables of a Relay connection. The defaults match what SignalWire's service expects;
/// tests shorten the timers.
public struct RelayConfiguration: Sendable {
    /// The wire protocol: ``WireGeneration/bladeV2`` (the default, as SignalWire's Python and
    /// Node 2.x SDKs) or ``WireGeneration/relayV3`` (`signalwire.connect`). The API is the same
    /// on both.
    public var wireGeneration: WireGeneration = .bladeV2
    /// How long any request may wait for its response before failing with `.timeout`.
    /// (Python 2.1.1 waits forever; Node uses 10 s.)
    public var executeTimeout: Duration = .seconds(10)
    /// Keepalive period (`blade.ping` on v2, `signalwire.ping` on v3). A ping still unanswered at the next tick closes the socket, so a
    /// half-open connection is noticed within two periods.
    public var pingInterval: Duration = .seconds(10)
    /// TCP + TLS + WebSocket upgrade budget for one attempt.
    public var connectTimeout: Duration = .seconds(10)
    /// How long the first `connect()` keeps retrying a server that refuses or does not answer
    /// TCP yet (with the reconnect backoff, one info log line per attempt), so a consumer can
    /// start before its server. Wrong credentials, TLS mismatches and refused upgrades fail at
    /// once. `.zero` fails on the first refusal.
    public var firstConnectRetryTime: Duration = .seconds(30)
    /// Reconnect delay after a drop: doubles from `initial` up to `maximum`, with jitter.
    public var reconnectInitialDelay: Duration = .seconds(1)
    /// The longest reconnect delay.
    public var reconnectMaximumDelay: Duration = .seconds(30)
    /// Ask Relay to resume the previous session (`sessionid` in `blade.connect`, previous
    /// protocol in setup) so in-flight requests and calls survive a reconnect.
    public var resumeSessions: Bool = true
    /// Requests waiting for a connection (while reconnecting or after `blade.disconnect`).
    /// Beyond this bound new requests fail at once with `.queueFull`.
    public var maximumQueuedRequests: Int = 1024
    /// TLS settings for `wss://` hosts; `nil` uses the system trust roots.
    public var tls: TLSConfiguration?
    /// Where the client's metrics go (see the list in the Observability article); `nil` uses
    /// the factory bootstrapped with `MetricsSystem.bootstrap`, which is a no-op until then.
    public var metricsFactory: (any MetricsFactory)?
    /// Where the client's spans go: one client span per request, one span per call with a child
    /// per action. `nil` uses `InstrumentationSystem.tracer`, a no-op until bootstrapped.
    public var tracer: (any Tracer)?
    /// Where the connection's event loop comes from.
    public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// The defaults.
    public init() {}
}

extension TimeAmount {
    init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
