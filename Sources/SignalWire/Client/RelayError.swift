import RelayWire

/// Everything that can go wrong between the SDK and Relay, as one typed error.
///
/// Switch on ``code`` to react to a kind of failure; new codes may be added in later versions
/// without breaking your code (as with AsyncHTTPClient's `HTTPClientError`). ``description``
/// is a sentence meant for people, and ``host``, ``method`` and ``underlying`` carry the details
/// where known.
///
/// ```swift
/// do {
///     try await client.connect()
/// } catch let error as RelayError where error.code == .authenticationFailed {
///     print("check SIGNALWIRE_PROJECT and SIGNALWIRE_TOKEN: \(error)")
/// }
/// ```
public struct RelayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of a ``RelayError``. More codes may be added: use `default` in a `switch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidHost, missingConfiguration, authenticationFailed, connectionFailed, connectionLost
            case timeout, notConnected, rpc, commandFailed, invalidArgument, protocolViolation, queueFull, callGone
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The host string could not be turned into a WebSocket URL.
        public static let invalidHost = Code(.invalidHost)
        /// Project, token or contexts were not given (and not found in the environment).
        public static let missingConfiguration = Code(.missingConfiguration)
        /// Relay refused the project/token pair. Not retried.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The socket could not be opened: refused, TLS failure, upgrade refused, timeout.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection dropped while the request was in flight and the session was not resumed.
        public static let connectionLost = Code(.connectionLost)
        /// No response arrived within the execute timeout.
        public static let timeout = Code(.timeout)
        /// The client was disconnected by the user, or never connected.
        public static let notConnected = Code(.notConnected)
        /// Relay answered with a JSON-RPC error.
        public static let rpc = Code(.rpc)
        /// A Relay command answered with a code other than `200`.
        public static let commandFailed = Code(.commandFailed)
        /// Input rejected before anything was sent (for example invalid DTMF digits).
        public static let invalidArgument = Code(.invalidArgument)
        /// The peer broke the protocol (an oversized message, …).
        public static let protocolViolation = Code(.protocolViolation)
        /// More requests are waiting for a connection than the configured bound.
        public static let queueFull = Code(.queueFull)
        /// RELAY v3 answered a call command with `404` (no such call) or `410` (the call is
        /// over). Call methods never throw it: the operation completes unsuccessfully with a
        /// ``RelayEvent/isCallGone`` event and the call is ended locally.
        public static let callGone = Code(.callGone)

        /// The code's name, such as `connectionFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened, in one sentence for people (also ``description``).
    public let message: String
    /// The Relay endpoint involved, such as `wss://relay.signalwire.com:443/`, when known.
    public let host: String?
    /// The Relay or Blade method involved, such as `calling.answer`, when known.
    public let method: String?
    /// The code Relay answered with: a JSON-RPC error code, or a Relay command's code such as
    /// `"404"`. Nil when Relay did not answer.
    public let relayCode: String?
    /// The error underneath, such as a socket or TLS error, when there is one.
    public let underlying: (any Error & Sendable)?
    /// A connection failure that may pass by itself (refused, no route yet): worth retrying
    /// while a first connect is allowed to wait for its server.
    var isTransient = false

    /// Makes an error; the SDK's own errors come from the static factories below.
    public init(
        code: Code, message: String, host: String? = nil, method: String? = nil, relayCode: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.host = host
        self.method = method
        self.relayCode = relayCode
        self.underlying = underlying
    }

    /// The sentence in ``message``.
    public var description: String { message }

    /// Equal when code, message, host, method and Relay's code are equal (``underlying`` is
    /// not compared).
    public static func == (lhs: RelayError, rhs: RelayError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.host == rhs.host && lhs.method == rhs.method
            && lhs.relayCode == rhs.relayCode
    }

    /// Hashes what ``==(_:_:)`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(host)
        hasher.combine(method)
        hasher.combine(relayCode)
    }

    // MARK: - Factories

    /// The host string could not be turned into a WebSocket URL.
    public static func invalidHost(_ host: String) -> RelayError {
        RelayError(code: .invalidHost, message: "invalid Relay host '\(host)': use a host name, host:port, ws://host:port or wss://host:port", host: host)
    }

    /// Something required was not configured; `what` names it and where to set it.
    public static func missingConfiguration(_ what: String) -> RelayError {
        RelayError(code: .missingConfiguration, message: "missing configuration: \(what)")
    }

    /// Relay refused the credentials; `reason` is Relay's message.
    public static func authenticationFailed(_ reason: String, host: String? = nil) -> RelayError {
        RelayError(code: .authenticationFailed, message: "Relay refused the credentials: \(reason)", host: host)
    }

    /// The connection could not be opened; `reason` says why and suggests a fix where one is known.
    public static func connectionFailed(_ reason: String, host: String? = nil, underlying: (any Error & Sendable)? = nil) -> RelayError {
        RelayError(code: .connectionFailed, message: "could not connect to Relay: \(reason)", host: host, underlying: underlying)
    }

    /// The connection dropped before the response arrived and the session was not resumed.
    public static var connectionLost: RelayError {
        RelayError(code: .connectionLost, message: "the connection to Relay was lost before the response arrived")
    }

    /// `method` got no response within `seconds`.
    public static func timeout(method: String, seconds: Double) -> RelayError {
        RelayError(code: .timeout, message: "\(method) got no response within \(seconds) s", method: method)
    }

    /// The client is not connected (disconnected by the user, or never connected).
    public static var notConnected: RelayError {
        RelayError(code: .notConnected, message: "the client is not connected")
    }

    /// A JSON-RPC error response.
    public static func rpc(code: Int, message: String, method: String? = nil) -> RelayError {
        RelayError(code: .rpc, message: "Relay error \(code): \(message)", method: method, relayCode: String(code))
    }

    /// A Relay command answered with a non-`200` code.
    public static func commandFailed(code: String, message: String, method: String? = nil) -> RelayError {
        RelayError(code: .commandFailed, message: "Relay command failed (\(code)): \(message)", method: method, relayCode: code)
    }

    /// A RELAY v3 call command answered `404` or `410`: the call does not exist (any more).
    public static func callGone(code: String, message: String, method: String? = nil) -> RelayError {
        RelayError(code: .callGone, message: "the call is gone (\(code)): \(message)", method: method, relayCode: code)
    }

    /// Input rejected before anything was sent.
    public static func invalidArgument(_ reason: String) -> RelayError {
        RelayError(code: .invalidArgument, message: "invalid argument: \(reason)")
    }

    /// The peer broke the protocol.
    public static func protocolViolation(_ reason: String) -> RelayError {
        RelayError(code: .protocolViolation, message: "protocol violation: \(reason)")
    }

    /// More than `limit` requests are waiting for the connection.
    public static func queueFull(limit: Int) -> RelayError {
        RelayError(code: .queueFull, message: "more than \(limit) requests are waiting for the connection")
    }

    /// Relay's own text of a JSON-RPC error, without the prefix ``message`` adds.
    var rpcMessage: String {
        guard let relayCode, message.hasPrefix("Relay error \(relayCode): ") else { return message }
        return String(message.dropFirst("Relay error \(relayCode): ".count))
    }

    /// Failures that belong to the command itself (Relay said no), as opposed to transport
    /// failures. Python turns these into unsuccessful results, and so do we.
    var isCommandFailure: Bool { code == .rpc || code == .commandFailed || code == .callGone }
}
