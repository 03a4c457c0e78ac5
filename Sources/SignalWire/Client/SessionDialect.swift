import NIOCore
import RelayWire

/// What differs between the wire generations under one ``Session``: the handshake, how a Relay
/// command is framed and its result read, what the server's own requests mean, the keepalive
/// method and when a session can be resumed. The session owns everything else (pending
/// requests, timeouts, the offline queue, reconnects and backoff), so the layers above it never
/// know which generation they run on.
///
/// A dialect is created per session and lives in the session's loop-bound state: every method
/// runs on the session's event loop, so its own state needs no lock.
protocol SessionDialect: AnyObject {
    /// The generation this dialect speaks.
    var generation: WireGeneration { get }
    /// The protocol name Relay gave the session, for logs and for dialects that send it.
    var protocolName: String? { get }
    /// The method of the client's keepalive request.
    var pingMethod: String { get }
    /// Whether the contexts the client receives go inside the handshake (v3), so a new session
    /// needs no `signalwire.receive` to get them back.
    var sendsContextsInHandshake: Bool { get }
    /// Whether requests that were on the wire may be resent after a reconnect: the next
    /// handshake asks Relay to resume this session.
    func canResume(_ configuration: RelayConfiguration) -> Bool

    /// Runs the handshake on a freshly opened connection and ends with
    /// ``Session/becomeReady(restored:)`` (or closes the connection when Relay's answers are unusable).
    func handshake(_ session: Session, connectionNumber: Int)
    /// Writes the `"method":…,"params":…` members of a Relay command (the dialect's framing).
    func writeCommand(_ method: String, params: JSONValue, into bytes: inout [UInt8])
    /// Reads a Relay command's response: the Relay result, or a thrown ``RelayError`` when
    /// Relay refused the command.
    func commandResult(_ response: JSONValue, method: String) throws(RelayError) -> JSONValue
    /// Handles a request the server sent (events, pings, disconnect notices).
    func handleServerRequest(id: String, method: String, params: JSONValue, session: Session)
    /// How this generation starts an outbound call to one device: the method and its params.
    static func outboundCall(tag: String, device: Device) -> (method: String, params: JSONValue)
}
