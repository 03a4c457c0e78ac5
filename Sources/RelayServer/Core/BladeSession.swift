import Foundation
import RelayWire

/// What a Relay command handler produces: the inner `result.result`, and work to do after the
/// response has been queued (so events always follow the response).
struct CommandOutcome {
    var result: JSONValue
    var after: (() -> Void)?

    static func ok(_ message: String, _ extra: [String: JSONValue] = [:], after: (() -> Void)? = nil) -> CommandOutcome {
        var members = extra
        members["code"] = "200"
        members["message"] = .string(message)
        return CommandOutcome(result: .object(members), after: after)
    }

    static func failure(_ code: String, _ message: String) -> CommandOutcome {
        CommandOutcome(result: ["code": .string(code), "message": .string(message)], after: nil)
    }

    static var noCall: CommandOutcome { failure("404", "Call does not exist") }
    static var noComponent: CommandOutcome { failure("404", "Component does not exist") }
}

extension RelayHub {
    /// Handles one inbound text message from a connection.
    func receive(text: String, from connection: ConnectionHandle) {
        let masked = Self.maskSecrets(text)
        journal(connection, direction: "in", text: masked)
        if text.utf8.count > configuration.maximumMessageSize {
            let id = (try? JSONCodec.parse(text))?["id"]
            guard let id, Self.isUsableID(id) else {
                logger.notice("ignored an oversized frame without a readable id", metadata: ["relay.bytes": "\(text.utf8.count)"])
                return
            }
            respondError(
                id, code: BladeError.invalidRequest,
                message: "Message of \(text.utf8.count) bytes exceeds the limit of \(configuration.maximumMessageSize) bytes",
                to: connection)
            return
        }
        let json: JSONValue
        do {
            json = try JSONCodec.parse(text)
        } catch {
            logger.notice("ignored a frame that is not valid JSON (no id to answer)", metadata: ["relay.error": "\(error.description)"])
            return
        }
        guard json.objectValue != nil else {
            logger.notice("ignored a frame that is not a JSON object")
            return
        }
        guard let id = json["id"], Self.isUsableID(id) else {
            logger.notice("ignored a frame without a usable id", metadata: ["relay.method": "\(json["method"]?.stringValue ?? "-")"])
            return
        }
        guard let method = json["method"]?.stringValue else {
            // A response to something we sent (we never ask for one) or junk: never answer it.
            if json["result"] == nil && json["error"] == nil {
                respondError(id, code: BladeError.invalidRequest, message: "Invalid request: missing 'method'", to: connection)
            }
            return
        }
        if let version = json["jsonrpc"], version != "2.0" {
            respondError(id, code: BladeError.invalidRequest, message: "Invalid request: 'jsonrpc' must be \"2.0\"", to: connection)
            return
        }
        let params = json["params"] ?? .object([:])
        guard params.objectValue != nil else {
            respondError(id, code: BladeError.invalidParams, message: "Invalid params: 'params' must be an object", to: connection)
            return
        }
        switch method {
        case BladeMethod.connect: handleConnect(id: id, params: params, connection: connection)
        case BladeMethod.ping: handlePing(id: id, params: params, connection: connection)
        case BladeMethod.execute: handleExecute(id: id, params: params, connection: connection)
        case BladeMethod.subscription: handleSubscription(id: id, params: params, connection: connection)
        case BladeMethod.disconnect:
            respond(id, result: .object([:]), to: connection)
        case BladeMethod.reauthenticate: handleReauthenticate(id: id, params: params, connection: connection)
        case BladeMethod.broadcast, BladeMethod.netcast:
            respondError(id, code: BladeError.methodNotFound, message: "Method '\(method)' is server-to-client only", to: connection)
        default:
            respondError(id, code: BladeError.methodNotFound, message: "Unknown method '\(method)'", to: connection)
        }
    }

    func receiveBinary(size: Int, from connection: ConnectionHandle) {
        journal(connection, direction: "in", text: "\"<binary frame of \(size) bytes>\"")
        logger.notice("ignored a binary frame (Blade uses text frames only)", metadata: ["relay.bytes": "\(size)"])
    }

    static func isUsableID(_ id: JSONValue) -> Bool {
        switch id {
        case .string(let text): !text.isEmpty
        case .int: true
        default: false
        }
    }

    /// Masks `"token":"…"` and `"jwt_token":"…"` values so the journal and logs never hold secrets.
    static func maskSecrets(_ text: String) -> String {
        guard text.contains("token") else { return text }
        var result = text
        for key in ["\"token\"", "\"jwt_token\""] {
            var searchStart = result.startIndex
            while let keyRange = result.range(of: key, range: searchStart..<result.endIndex) {
                var index = keyRange.upperBound
                while index < result.endIndex, result[index] == " " || result[index] == ":" { index = result.index(after: index) }
                guard index < result.endIndex, result[index] == "\"" else {
                    searchStart = keyRange.upperBound
                    continue
                }
                let valueStart = result.index(after: index)
                var valueEnd = valueStart
                while valueEnd < result.endIndex, result[valueEnd] != "\"" {
                    if result[valueEnd] == "\\" { valueEnd = result.index(after: valueEnd) }
                    if valueEnd < result.endIndex { valueEnd = result.index(after: valueEnd) }
                }
                guard valueEnd <= result.endIndex else { break }
                result.replaceSubrange(valueStart..<valueEnd, with: "***")
                searchStart = result.index(valueStart, offsetBy: 4, limitedBy: result.endIndex) ?? result.endIndex
            }
        }
        return result
    }

    func session(of connection: ConnectionHandle) -> SessionRecord? {
        guard let sessionID = connections[connection.id]?.sessionID, let session = sessions[sessionID],
            session.connection === connection
        else { return nil }
        return session
    }

    // MARK: - blade.connect

    func handleConnect(id: JSONValue, params: JSONValue, connection: ConnectionHandle) {
        guard let record = connections[connection.id] else { return }
        if record.sessionID != nil {
            respondError(id, code: BladeError.invalidRequest, message: "Session already established on this connection", to: connection)
            return
        }
        guard let auth = params["authentication"], auth.objectValue != nil else {
            respondError(id, code: BladeError.invalidParams, message: "Missing params: 'authentication' object is required", to: connection)
            connection.close()
            return
        }
        if let version = params["version"], let major = version["major"]?.intValue, major != 2 {
            respondError(id, code: BladeError.invalidParams, message: "Unsupported protocol version \(major); this server speaks Blade 2.x", to: connection)
            connection.close()
            return
        }
        guard let projectID = auth["project"]?.stringValue,
            let token = auth["token"]?.stringValue ?? auth["jwt_token"]?.stringValue,
            let project = project(id: projectID, token: token)
        else {
            logger.info("authentication failed", metadata: ["relay.project": "\(auth["project"]?.stringValue ?? "-")"])
            respondError(id, code: BladeError.unauthorized, message: "Authentication failed: unknown project or invalid token", to: connection)
            connection.close()
            return
        }
        var session: SessionRecord?
        var restored = false
        if let resumeID = params["sessionid"]?.stringValue, let existing = sessions[resumeID], existing.project.id == project.id {
            session = existing
            restored = true
        } else if let key = params["session_id"]?.stringValue, let existingID = clientKeys["\(project.id)|\(key)"],
            let existing = sessions[existingID]
        {
            session = existing
            restored = true
        }
        if let lost = session, lost.eventsLost || !lost.canReplay(lostAt: lost.connectionLostAt ?? .now) {
            // Events of that session were lost: start a new one so the client knows.
            logger.notice("not resuming a session that lost events", metadata: ["relay.session": "\(lost.id)"])
            session = nil
            restored = false
        }
        let active: SessionRecord
        if let session {
            if let old = session.connection, old !== connection {
                connections[old.id]?.sessionID = nil
                old.close()
            }
            session.restoredCount += 1
            session.replayOnSubscribe = true
            active = session
        } else {
            let signature = (Self.newID() + Self.newID()).replacingOccurrences(of: "-", with: "")
            active = SessionRecord(id: Self.newID(), project: project, nodeID: Self.newID(), signature: signature)
            if let key = params["session_id"]?.stringValue {
                active.clientKey = "\(project.id)|\(key)"
                clientKeys["\(project.id)|\(key)"] = active.id
            }
            sessions[active.id] = active
        }
        active.agent = params["agent"]?.stringValue ?? active.agent
        active.connection = connection
        active.disconnectGeneration += 1
        record.sessionID = active.id
        active.journal.append(contentsOf: record.journal)
        record.journal = []
        logger.debug(
            "session connected",
            metadata: ["relay.session": "\(active.id)", "relay.project": "\(project.id)", "relay.restored": "\(restored)"])
        respond(
            id,
            result: [
                "session_restored": .bool(restored),
                "sessionid": .string(active.id),
                "nodeid": .string(active.nodeID),
                "master_nodeid": .string(serverNodeID),
                "authorization": [
                    "project": .string(project.id), "expires_at": .null, "scopes": ["calling", "messaging", "tasking"],
                    "signature": .string(active.signature),
                ],
                "routes": [], "protocols": [], "subscriptions": [], "authorities": [], "authorizations": [], "accesses": [],
                "protocols_uncertified": ["signalwire"],
            ], to: connection)
    }

    func handleReauthenticate(id: JSONValue, params: JSONValue, connection: ConnectionHandle) {
        guard let session = session(of: connection) else {
            respondError(id, code: BladeError.unauthorized, message: "Not connected: send blade.connect first", to: connection)
            return
        }
        let auth = params["authentication"]
        guard let token = auth?["token"]?.stringValue ?? auth?["jwt_token"]?.stringValue, token == session.project.token else {
            respondError(id, code: BladeError.unauthorized, message: "Authentication failed: invalid token", to: connection)
            return
        }
        respond(
            id,
            result: [
                "authorization": [
                    "project": .string(session.project.id), "expires_at": .null, "scopes": ["calling", "messaging", "tasking"],
                    "signature": .string(session.signature),
                ]
            ], to: connection)
    }

    func handlePing(id: JSONValue, params: JSONValue, connection: ConnectionHandle) {
        if let session = session(of: connection), !faults(for: session).answerPings { return }
        if session(of: connection) == nil, !globalFaults.answerPings { return }
        let timestamp = params["timestamp"]?.doubleValue ?? SimClock.unixNow
        respond(id, result: ["timestamp": .double(timestamp)], to: connection)
    }

    func handleSubscription(id: JSONValue, params: JSONValue, connection: ConnectionHandle) {
        guard let session = session(of: connection) else {
            respondError(id, code: BladeError.unauthorized, message: "Not connected: send blade.connect first", to: connection)
            return
        }
        guard let command = params["command"]?.stringValue, command == "add" || command == "remove" else {
            respondError(id, code: BladeError.invalidParams, message: "Invalid params: 'command' must be \"add\" or \"remove\"", to: connection)
            return
        }
        guard let protocolName = params["protocol"]?.stringValue else {
            respondError(id, code: BladeError.invalidParams, message: "Missing params: 'protocol' is required", to: connection)
            return
        }
        let channels = params["channels"]?.stringArray ?? []
        let known = protocolOwners[protocolName] == session.id
        let subscribed = known ? channels.filter { $0 == "notifications" } : []
        let failed = channels.filter { !subscribed.contains($0) }
        respond(
            id,
            result: [
                "command": .string(command), "protocol": .string(protocolName),
                "subscribe_channels": .array(subscribed.map(JSONValue.string)), "failed_channels": .array(failed.map(JSONValue.string)),
            ], to: connection)
        if command == "add" && known { flushPending(session) }
    }

    // MARK: - blade.execute

    func handleExecute(id: JSONValue, params: JSONValue, connection: ConnectionHandle) {
        guard let session = session(of: connection) else {
            respondError(id, code: BladeError.unauthorized, message: "Not connected: send blade.connect first", to: connection)
            return
        }
        guard let protocolName = params["protocol"]?.stringValue else {
            respondError(id, code: BladeError.invalidParams, message: "Missing params: 'protocol' is required", to: connection)
            return
        }
        guard let method = params["method"]?.stringValue else {
            respondError(id, code: BladeError.invalidParams, message: "Missing params: 'method' is required", to: connection)
            return
        }
        let inner = params["params"] ?? .object([:])
        guard inner.objectValue != nil else {
            respondError(id, code: BladeError.invalidParams, message: "Invalid params: 'params.params' must be an object", to: connection)
            return
        }
        if protocolName == "signalwire" {
            guard method == RelayMethod.setup else {
                respondError(id, code: BladeError.methodNotFound, message: "Unknown method '\(method)' for protocol 'signalwire'", to: connection)
                return
            }
            handleSetup(id: id, params: inner, session: session, connection: connection)
            return
        }
        guard let owner = protocolOwners[protocolName], let ownerSession = sessions[owner], ownerSession.project.id == session.project.id else {
            respondError(id, code: BladeError.invalidParams, message: "Unknown protocol '\(protocolName)': run signalwire setup first", to: connection)
            return
        }
        let requestID = id.stringValue ?? id.jsonString
        if let cached = session.recentResults[requestID] {
            // Resent after a resume: answer again, run nothing twice.
            respond(id, result: cached, to: connection)
            return
        }
        let outcome: CommandOutcome
        switch method {
        case RelayMethod.receive: outcome = receiveContexts(inner, session: session)
        case RelayMethod.messagingSend: outcome = sendMessage(inner, session: session)
        default:
            guard let result = executeCallCommand(method, inner, session: session) else {
                respondError(id, code: BladeError.methodNotFound, message: "Unknown method '\(method)'", to: connection)
                return
            }
            outcome = result
        }
        let result: JSONValue = ["requester_nodeid": .string(session.nodeID), "responder_nodeid": .string(serverNodeID), "result": outcome.result]
        session.rememberResult(result, for: requestID)
        respond(id, result: result, to: connection)
        outcome.after?()
    }

    func handleSetup(id: JSONValue, params: JSONValue, session: SessionRecord, connection: ConnectionHandle) {
        let requested = params["protocol"]?.stringValue
        let protocolName: String
        if let requested, session.issuedProtocols.contains(requested) {
            protocolName = requested
        } else {
            protocolName = "signalwire_\(session.signature)_\(Self.newID())_\(session.project.id)"
            session.issuedProtocols.insert(protocolName)
            protocolOwners[protocolName] = session.id
        }
        session.protocolName = protocolName
        send(
            [
                "jsonrpc": "2.0", "id": .string(Self.newID()), "method": "blade.netcast",
                "params": ["netcaster_nodeid": .string(serverNodeID), "command": "protocol.add", "params": ["protocol": .string(protocolName)]],
            ], to: connection)
        respond(
            id,
            result: [
                "requester_nodeid": .string(session.nodeID), "responder_nodeid": .string(serverNodeID),
                "result": ["protocol": .string(protocolName)],
            ], to: connection)
    }

    func receiveContexts(_ params: JSONValue, session: SessionRecord) -> CommandOutcome {
        var requested: [String] = []
        if let list = params["contexts"]?.arrayValue {
            requested = list.compactMap(\.stringValue)
            guard requested.count == list.count else { return .failure("400", "'contexts' must be an array of strings") }
        } else if let single = params["context"]?.stringValue {
            requested = [single]
        }
        requested = requested.filter { !$0.isEmpty }
        guard !requested.isEmpty else { return .failure("400", "Missing 'contexts' (array of strings) or 'context' (string)") }
        for context in requested where !session.contexts.contains(context) { session.contexts.append(context) }
        return .ok("Receiving all inbound related to the requested relay contexts and available scopes")
    }
}
