import NIOCore
import RelayWire

/// RELAY v3 (RELAY-V3.md): one `signalwire.connect` with the contexts inline; commands sent as
/// the bare method with flat params and flat results (any 2xx a success); every
/// `signalwire.event`, `signalwire.ping` and `signalwire.disconnect` answered with `{}`; resume
/// by `protocol` + `authorization_state`.
final class RelayV3Dialect: SessionDialect {
    private let project: String
    private let token: String
    private(set) var protocolName: String?
    /// The latest `signalwire.authorization.state` blob, sent back when resuming.
    private(set) var authorizationState: String?

    init(project: String, token: String) {
        self.project = project
        self.token = token
    }

    var generation: WireGeneration { .relayV3 }
    var pingMethod: String { V3Method.ping }
    var sendsContextsInHandshake: Bool { true }

    func canResume(_ configuration: RelayConfiguration) -> Bool {
        configuration.resumeSessions && protocolName != nil
    }

    func handshake(_ session: Session, connectionNumber: Int) {
        let resume = canResume(session.configuration)
        // The token goes into this frame and nowhere else: never into a log line.
        let params = V3ConnectParams(
            agent: Session.agent, eventAcks: true, authentication: .projectToken(project: project, token: token),
            contexts: session.contextsForHandshake(), resumeProtocol: resume ? protocolName : nil,
            authorizationState: resume ? authorizationState : nil)
        session.handshakeStep(V3Method.connect, params: params.json, connectionNumber: connectionNumber, refusalIsFinal: true) { [self] result in
            let connect: V3ConnectResult
            do {
                connect = try V3ConnectResult(json: result)
            } catch {
                session.logger.error("signalwire.connect result is unusable", metadata: ["error": "\(error)"])
                session.closeConnection()
                return
            }
            // Resumed only when Relay says so and kept the name we asked for.
            let restored = resume && connect.sessionRestored && connect.protocolName == protocolName
            if !restored { authorizationState = nil }
            protocolName = connect.protocolName
            session.becomeReady(restored: restored)
        }
    }

    func writeCommand(_ method: String, params: JSONValue, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: #""method":"#.utf8)
        JSONCodec.writeString(method, into: &bytes)
        bytes.append(contentsOf: #","params":"#.utf8)
        JSONCodec.write(params, into: &bytes, sortedKeys: false)
    }

    func commandResult(_ response: JSONValue, method: String) throws(RelayError) -> JSONValue {
        guard response.objectValue != nil else { return ["raw": response] }
        if V3Result.isSuccess(response) { return response }
        let code = response["code"].map { $0.stringValue ?? $0.jsonString } ?? ""
        let message = response["message"]?.stringValue ?? "no message"
        if V3Result.isCallGone(response), method.hasPrefix("calling.") {
            throw RelayError.callGone(code: code, message: message, method: method)
        }
        throw RelayError.commandFailed(code: code, message: message, method: method)
    }

    func handleServerRequest(id: String, method: String, params: JSONValue, session: Session) {
        switch method {
        case V3Method.event:
            // Acked before anything else, once per frame: a redelivered event is acked again
            // (the server is waiting for it) but handled only the first time.
            if !id.isEmpty {
                session.reply(to: id)
                guard session.rememberEvent(id) else {
                    session.logger.debug("dropping a redelivered event", metadata: ["id": "\(id)"])
                    session.instruments.dropped("duplicate")
                    return
                }
            }
            handleEvent(params, session: session)
        case V3Method.ping:
            if !id.isEmpty { session.reply(to: id) }
        case V3Method.disconnect:
            if !id.isEmpty { session.reply(to: id) }
            let disconnect = V3DisconnectParams(json: params)
            if disconnect.restart {
                // The session's state does not survive: the next connect starts afresh.
                protocolName = nil
                authorizationState = nil
            }
            session.logger.info(
                "Relay announced a disconnect: queueing requests until reconnected", metadata: ["restart": "\(disconnect.restart)"])
            session.holdRequestsUntilReconnected()
        default:
            // The official client neither answers nor acts on other methods.
            session.logger.debug("ignoring an unknown server request", metadata: ["method": "\(method)"])
        }
    }

    private func handleEvent(_ params: JSONValue, session: Session) {
        let event: V3EventParams
        let notification: RelayNotification?
        do {
            event = try V3EventParams(json: params)
            notification = try event.notification()
        } catch {
            session.logger.debug("ignoring an event that does not decode", metadata: ["error": "\(error)"])
            session.instruments.dropped("malformed")
            return
        }
        if let state = event.authorizationState, !state.isEmpty {
            authorizationState = state
            return
        }
        guard let notification else {
            session.logger.debug("ignoring an event this SDK does not model", metadata: ["event_type": "\(event.eventType)"])
            return
        }
        session.deliver(notification, eventType: event.eventType)
    }

    static func outboundCall(tag: String, device: Device) -> (method: String, params: JSONValue) {
        // One serial group of one device: the v3 form of a single-device call.
        (RelayMethod.dial, DialCommand(tag: tag, devices: [[device]]).json)
    }
}
