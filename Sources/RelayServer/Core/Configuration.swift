import NIOSSL

/// One SignalWire project the local server accepts: a project id and its API token.
///
/// Several projects can be configured at once; nothing (calls, messages, tasks, events) ever
/// crosses from one project to another.
public struct RelayProject: Sendable, Hashable {
    /// The project id clients send as `authentication.project`.
    public var id: String
    /// The API token clients send as `authentication.token` (or `jwt_token`).
    public var token: String
    /// The `space_id` reported in events. Defaults to a value derived from the project id.
    public var spaceID: String

    /// A project with its token; `spaceID` defaults to one derived from the id.
    public init(id: String, token: String, spaceID: String? = nil) {
        self.id = id
        self.token = token
        self.spaceID = spaceID ?? "space-\(id)"
    }

    /// The documented default credentials used when none are given:
    /// project `local-project`, token `local-token`.
    public static let `default` = RelayProject(id: "local-project", token: "local-token")
}

/// PEM files for serving `wss://` and `https://` on the same port.
public struct RelayTLSFiles: Sendable, Hashable {
    /// The PEM certificate chain.
    public var certificatePath: String
    /// The PEM private key.
    public var privateKeyPath: String

    /// The two PEM files.
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Configuration of a ``RelayServer``. Every member has a default.
public struct RelayServerConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String
    /// Port to bind; `0` picks a free port (read it back from ``RelayServer/port``). Default `8080`.
    public var port: Int
    /// Accepted projects. Default: ``RelayProject/default``.
    public var projects: [RelayProject]
    /// Scales every simulated duration (rings, TTS, silence, greetings): `50` runs fifty times
    /// faster than real time while keeping the order of events. Default `1`.
    public var speed: Double
    /// The simulated telephone network. Default: ``SimulatedWorld/standard``.
    public var world: SimulatedWorld
    /// Serve TLS on the same port. Default `nil` (plain `ws://` and `http://`).
    public var tls: RelayTLSFiles?
    /// Largest accepted JSON-RPC text message in bytes; larger messages get a JSON-RPC error
    /// (`-32600`) and are otherwise ignored. Default 1 MiB. WebSocket messages larger than
    /// four times this value make the WebSocket layer close the connection (code 1009).
    public var maximumMessageSize: Int
    /// Frames buffered for one connection before it counts as stalled. When a client reads so
    /// slowly that this many frames wait, the server closes that socket (the session stays
    /// resumable for ``resumeGracePeriod``). Also the number of events kept for a session while
    /// it is away. Default 32768; ``outboundByteLimit`` usually comes first.
    public var outboundBufferLimit: Int
    // Limits that bound what one client can cost the server (docs/SERVER.md, "Limits and bounds").
    // They have defaults here rather than in `init` so callers set only the ones they need.

    /// Bytes of text frames buffered for one connection before it counts as stalled, alongside
    /// ``outboundBufferLimit`` (frames): when either is exceeded the socket is closed at once
    /// (the session stays resumable). Default 16 MiB.
    public var outboundByteLimit: Int = 16 << 20
    /// Largest HTTP request head (request line and headers) in bytes; larger heads get
    /// `431` and the connection is closed. Default 16 KiB.
    public var maximumHeaderSize: Int = 16 << 10
    /// Seconds (real time) a request head may take to arrive once its first byte came; then the
    /// client gets `408` and the connection is closed. Default 10.
    public var requestHeadTimeout: Double = 10
    /// Seconds (real time) an HTTP connection may stay open without a request in progress
    /// (just connected, or kept alive after a response) before it is closed. Default 30.
    public var idleTimeout: Double = 30
    /// Largest WebSocket message in bytes a connection may send before it completed
    /// `blade.connect`; larger messages close the socket with code 1009. Default 64 KiB.
    public var maximumUnauthenticatedMessageSize: Int = 64 << 10
    /// Seconds (real time) a WebSocket connection may stay without completing `blade.connect`;
    /// then it is closed with code 1008. Default 10.
    public var handshakeTimeout: Double = 10
    /// WebSocket connections that have not completed `blade.connect` allowed at once; further
    /// ones are closed at once with code 1013 (try again later). Default 256.
    public var maximumUnauthenticatedConnections: Int = 256
    /// Seconds (real time) after a graceful shutdown starts until every connection still open
    /// is closed by force. Idle and half-sent HTTP connections close at once. Default 3.
    public var shutdownTimeout: Double = 3
    /// Seconds (real time) a disconnected session stays resumable with `sessionid`: its
    /// contexts, subscriptions and live calls survive and events are buffered
    /// (up to ``outboundBufferLimit``). After that its calls are hung up. Default 30.
    public var resumeGracePeriod: Double
    /// Seconds (real time) between WebSocket ping control frames. Missing pongs never close a
    /// connection. Default 5.
    public var pingInterval: Double
    /// Frames kept per session in the lab journal (oldest dropped first). Default 2000.
    public var journalLimit: Int
    /// Calls kept for the lab API after they ended (oldest forgotten first). Default 1000.
    public var callHistoryLimit: Int
    /// How simulated time passes. `nil` (the default) means scaled real time at ``speed``;
    /// ``ClockMode/manual`` stops time until it is advanced.
    public var clockMode: ClockMode?
    /// Call engines run in parallel, each behind its own lock, their timers spread over the
    /// event loops; calls are spread over them by id. Default `nil`: 16 (at most 16), so a timer
    /// and a request rarely wait for the same lock.
    public var callShards: Int?

    /// A secret the lab API and the console ask for (`Authorization: Bearer …`, or the
    /// `relay_lab_token` cookie the console sets once). Required when ``host`` is not a loopback
    /// address: without it the lab API and the console refuse every request. Default `nil`.
    public var labToken: String?

    /// The SIP edge's UDP address (`host`, `port`; port 0 picks a free one). `nil` (the
    /// default) leaves the edge off. INVITEs to it become inbound Relay calls.
    public var sipAddress: (host: String, port: Int)?
    /// The context a SIP call goes to when the dialled user is not a number the world routes
    /// (`nil`: the dialled user itself names the context).
    public var sipContext: String?
    /// A directory where the SIP edge writes, when each SIP call ends, what its caller heard
    /// (`<call id>-heard.wav`, 8 kHz, at most 10 minutes). `nil` (the default) keeps nothing.
    public var sipCaptureDirectory: String?
    /// The UDP ports SIP calls' RTP sockets take (even ones, in turn), e.g. `20000...20999` for a
    /// firewall rule. `nil` (the default) lets the system pick any free port. A call for which
    /// no port of the range is free is refused with `503`.
    public var rtpPorts: ClosedRange<Int>?

    /// The clock in force.
    var clock: ClockMode { clockMode ?? .scaled(speed: speed) }

    /// A configuration; every member has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        projects: [RelayProject] = [.default],
        speed: Double = 1,
        world: SimulatedWorld = .standard,
        tls: RelayTLSFiles? = nil,
        maximumMessageSize: Int = 1 << 20,
        outboundBufferLimit: Int = 32768,
        resumeGracePeriod: Double = 30,
        pingInterval: Double = 5,
        journalLimit: Int = 2000,
        callHistoryLimit: Int = 1000
    ) {
        self.host = host
        self.port = port
        self.projects = projects.isEmpty ? [.default] : projects
        self.speed = speed > 0 && speed.isFinite ? speed : 1
        self.world = world
        self.tls = tls
        self.maximumMessageSize = max(1024, maximumMessageSize)
        self.outboundBufferLimit = max(16, outboundBufferLimit)
        self.resumeGracePeriod = max(0, resumeGracePeriod)
        self.pingInterval = max(0.05, pingInterval)
        self.journalLimit = max(0, journalLimit)
        self.callHistoryLimit = max(1, callHistoryLimit)
    }
}
