import RelayWire

/// Everything that can go wrong between the SDK and Relay, as one typed error.
public enum RelayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The host string could not be turned into a WebSocket URL.
    case invalidHost(String)
    /// Project, token or contexts were not given (and not found in the environment).
    case missingConfiguration(String)
    /// Relay refused the project/token pair. Not retried.
    case authenticationFailed(String)
    /// The socket could not be opened (refused, TLS, upgrade refused, timeout).
    case connectionFailed(String)
    /// The connection dropped while the request was in flight and the session was not resumed.
    case connectionLost
    /// No response arrived within the execute timeout.
    case timeout(method: String, seconds: Double)
    /// The client was disconnected by the user, or never connected.
    case notConnected
    /// A JSON-RPC error response.
    case rpc(code: Int, message: String)
    /// A Relay command answered with a non-"200" code.
    case commandFailed(code: String, message: String)
    /// Input rejected before anything was sent (e.g. invalid DTMF digits).
    case invalidArgument(String)
    /// The peer broke the protocol (oversized message, …).
    case protocolViolation(String)
    /// More requests are waiting for a connection than the configured bound.
    case queueFull(limit: Int)

    public var description: String {
        switch self {
        case .invalidHost(let host): "invalid Relay host '\(host)': use a host name, ws://host:port or wss://host:port"
        case .missingConfiguration(let what): "missing configuration: \(what)"
        case .authenticationFailed(let message): "Relay refused the credentials: \(message)"
        case .connectionFailed(let reason): "could not connect to Relay: \(reason)"
        case .connectionLost: "the connection to Relay was lost before the response arrived"
        case .timeout(let method, let seconds): "\(method) got no response within \(seconds) s"
        case .notConnected: "the client is not connected"
        case .rpc(let code, let message): "Relay error \(code): \(message)"
        case .commandFailed(let code, let message): "Relay command failed (\(code)): \(message)"
        case .invalidArgument(let reason): "invalid argument: \(reason)"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        case .queueFull(let limit): "more than \(limit) requests are waiting for the connection"
        }
    }

    /// Failures that belong to the command itself (Relay said no), as opposed to transport
    /// failures. Python turns these into unsuccessful results, and so do we.
    var isCommandFailure: Bool {
        switch self {
        case .rpc, .commandFailed: true
        default: false
        }
    }
}
