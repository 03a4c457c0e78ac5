import NIOCore
import RelayWire

/// Relay v2 over Blade (RELAY-V2.md): `blade.connect`, then `signalwire setup` for the
/// protocol, then `blade.subscription`; commands inside `blade.execute` with the protocol;
/// events as `blade.broadcast`, never answered.
final class BladeDialect: SessionDialect {
    private let project: String
    private let token: String
    /// Blade's session id, sent back in `blade.connect` to resume.
    private var sessionID: String?
    private(set) var protocolName: String?

    init(project: String, token: String) {
        self.project = project
        self.token = token
    }

    var generation: WireGeneration { .bladeV2 }
    var pingMethod: String { BladeMethod.ping }
    var sendsContextsInHandshake: Bool { false }

    func canResume(_ configuration: RelayConfiguration) -> Bool {
        configuration.resumeSessions && sessionID != nil
    }

    func handshake(_ session: Session, connectionNumber: Int) {
        // The token goes into this frame and nowhere else: never into a log line. `sessionid`
        // only when resuming: Python's first connect has none.
        let connectParams = BladeConnectParams(
            project: project, token: token, agent: Session.agent, resumeSessionID: session.configuration.resumeSessions ? sessionID : nil)
        session.handshakeStep(BladeMethod.connect, params: connectParams.json, connectionNumber: connectionNumber, refusalIsFinal: true) { [self] result in
            guard let newSessionID = result["sessionid"]?.stringValue, result["authorization"]?["signature"]?.stringValue != nil else {
                session.logger.error("blade.connect result lacks sessionid or authorization.signature")
                session.closeConnection()
                return
            }
            let restored = result["session_restored"]?.boolValue == true && sessionID == newSessionID
            sessionID = newSessionID
            var setupParams: [String: JSONValue] = [:]
            if restored, let previous = protocolName { setupParams["protocol"] = .string(previous) }
            let setupRequest = BladeExecuteParams(protocolName: "signalwire", method: RelayMethod.setup, params: .object(setupParams))
            session.handshakeStep(BladeMethod.execute, params: setupRequest.json, connectionNumber: connectionNumber, refusalIsFinal: false) { [self] setup in
                guard let name = setup["result"]?["protocol"]?.stringValue else {
                    session.logger.error("signalwire setup result lacks a protocol")
                    session.closeConnection()
                    return
                }
                let restoredProtocol = restored && name == protocolName
                protocolName = name
                let subscription = BladeSubscriptionParams(adding: true, protocolName: name, channels: ["notifications"])
                session.handshakeStep(BladeMethod.subscription, params: subscription.json, connectionNumber: connectionNumber, refusalIsFinal: false) { _ in
                    session.becomeReady(restored: restoredProtocol)
                }
            }
        }
    }

    func writeCommand(_ method: String, params: JSONValue, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: #""method":"blade.execute","params":{"protocol":"#.utf8)
        // The protocol is read at send time: a queued request must not carry a stale one.
        JSONCodec.writeString(protocolName ?? "", into: &bytes)
        bytes.append(contentsOf: #","method":"#.utf8)
        JSONCodec.writeString(method, into: &bytes)
        bytes.append(contentsOf: #","params":"#.utf8)
        JSONCodec.write(params, into: &bytes, sortedKeys: false)
        bytes.append(UInt8(ascii: "}"))
    }

    func commandResult(_ response: JSONValue, method: String) throws(RelayError) -> JSONValue {
        guard let inner = RelayResult.inner(response) else { return response }
        if let code = inner["code"], !RelayResult.isSuccess(code: code) {
            throw RelayError.commandFailed(code: code.stringValue ?? code.jsonString, message: inner["message"]?.stringValue ?? "no message", method: method)
        }
        return inner
    }

    func handleServerRequest(id: String, method: String, params: JSONValue, session: Session) {
        // Server-initiated requests are never answered (§1.3).
        switch method {
        case BladeMethod.broadcast:
            if !id.isEmpty, !session.rememberEvent(id) {
                // Relay-class services redeliver events; handlers must run once per event.
                session.logger.debug("dropping a repeated broadcast", metadata: ["id": "\(id)"])
                session.instruments.dropped("duplicate")
                return
            }
            // Decoded once, here: listeners, streams and operations all read the typed event.
            let broadcast: BroadcastParams
            do {
                broadcast = try BroadcastParams(json: params)
            } catch {
                session.logger.debug("ignoring a malformed broadcast", metadata: ["error": "\(error)"])
                session.instruments.dropped("malformed")
                return
            }
            guard broadcast.protocolName == protocolName else {
                session.logger.warning("dropping a broadcast for another protocol")
                session.instruments.dropped("other_protocol")
                return
            }
            let notification: RelayNotification
            do {
                notification = try RelayNotification(event: broadcast.event, notification: broadcast.notification)
            } catch {
                session.logger.debug("ignoring a broadcast event that does not decode", metadata: ["event": "\(broadcast.event)", "error": "\(error)"])
                session.instruments.dropped("malformed")
                return
            }
            session.deliver(notification, eventType: broadcast.notification["event_type"]?.stringValue ?? broadcast.event)
        case BladeMethod.disconnect:
            // Relay is about to go away: hold new requests until the next session is ready.
            session.logger.info("Relay announced a disconnect: queueing requests until reconnected")
            session.holdRequestsUntilReconnected()
        case BladeMethod.ping, BladeMethod.netcast:
            break
        default:
            session.logger.debug("ignoring an unknown server request", metadata: ["method": "\(method)"])
        }
    }

    static func outboundCall(tag: String, device: Device) -> (method: String, params: JSONValue) {
        (RelayMethod.begin, BeginCommand(tag: tag, device: device).json)
    }
}
