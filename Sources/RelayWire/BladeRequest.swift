// The requests a Blade server receives, decoded once: the JSON-RPC envelope with its id kept as
// sent (string or integer), and the typed params of each Blade method.

/// A JSON-RPC request id as the client sent it. Replies echo it with the same JSON type.
package enum BladeID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int)

    /// Reads a usable id: a non-empty string or an integer.
    package init?(json: JSONValue?) {
        switch json {
        case .string(let text) where !text.isEmpty: self = .string(text)
        case .int(let number): self = .int(number)
        default: return nil
        }
    }

    package var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .int(let number): .int(number)
        }
    }

    package var description: String {
        switch self {
        case .string(let text): text
        case .int(let number): String(number)
        }
    }
}

/// A request that could not be accepted, with the id to answer when one could be read.
package struct BladeRejection: Error, Sendable, Hashable {
    package var id: BladeID?
    package var error: BladeError

    package init(id: BladeID?, error: BladeError) {
        self.id = id
        self.error = error
    }
}

/// A JSON-RPC 2.0 request received by a server.
package struct BladeRequest: Sendable, Hashable {
    package var id: BladeID
    package var method: String
    package var params: JSONValue

    package init(id: BladeID, method: String, params: JSONValue = .object([:])) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Decodes the text of one frame. Anything that is not a request throws a rejection that
    /// carries the id when it can be recovered, even from text that is not valid JSON (a number
    /// like `1e400`, a lone surrogate), so the client gets an answer instead of waiting.
    /// A response (a frame with `result` or `error`) is rejected with no id: never answer those.
    package init(text: String) throws(BladeRejection) {
        let json: JSONValue
        do {
            json = try JSONCodec.parse(text)
        } catch {
            throw BladeRejection(
                id: JSONCodec.recoverTopLevelID(text), error: BladeError(code: BladeError.parseError, message: "Parse error: \(error.description)"))
        }
        try self.init(json: json)
    }

    package init(json: JSONValue) throws(BladeRejection) {
        guard json.objectValue != nil else {
            throw BladeRejection(id: nil, error: BladeError(code: BladeError.invalidRequest, message: "Invalid request: not a JSON object"))
        }
        let id = BladeID(json: json["id"])
        guard let method = json["method"]?.stringValue else {
            let isResponse = json["result"] != nil || json["error"] != nil
            throw BladeRejection(
                id: isResponse ? nil : id, error: BladeError(code: BladeError.invalidRequest, message: "Invalid request: missing 'method'"))
        }
        guard let id else {
            throw BladeRejection(id: nil, error: BladeError(code: BladeError.invalidRequest, message: "Invalid request: missing or unusable 'id'"))
        }
        if let version = json["jsonrpc"], version != "2.0" {
            throw BladeRejection(id: id, error: BladeError(code: BladeError.invalidRequest, message: "Invalid request: 'jsonrpc' must be \"2.0\""))
        }
        let params = json["params"] ?? .object([:])
        guard params.objectValue != nil else {
            throw BladeRejection(id: id, error: BladeError(code: BladeError.invalidParams, message: "Invalid params: 'params' must be an object"))
        }
        self.init(id: id, method: method, params: params)
    }

    /// A success response to this request.
    package func result(_ result: JSONValue) -> JSONValue { ["jsonrpc": "2.0", "id": id.json, "result": result] }

    /// An error response to a request with this id.
    package static func error(id: BladeID, _ error: BladeError) -> JSONValue {
        ["jsonrpc": "2.0", "id": id.json, "error": error.json]
    }
}

/// `blade.connect` params, validated strictly (RELAY-V2.md §2).
package struct BladeConnectParams: Sendable, Hashable {
    package struct Version: Sendable, Hashable {
        package var major: Int
        package var minor: Int
        package var revision: Int

        package init(major: Int, minor: Int, revision: Int) {
            self.major = major
            self.minor = minor
            self.revision = revision
        }

        package var json: JSONValue { ["major": .int(major), "minor": .int(minor), "revision": .int(revision)] }
    }

    /// The version Python 2.1.1 sends, and the only major this protocol has.
    package static let currentVersion = Version(major: 2, minor: 3, revision: 0)
    /// Longest accepted project id, token, agent or session id.
    package static let maximumFieldLength = 512

    package var version: Version
    package var project: String
    /// `authentication.token`, or `jwt_token` when that is what was sent.
    package var token: String
    package var agent: String?
    /// `sessionid`: the session to resume.
    package var resumeSessionID: String?
    /// `session_id`: a client-chosen key some SDKs send to find their session again.
    package var clientSessionKey: String?

    package init(version: Version = currentVersion, project: String, token: String, agent: String? = nil, resumeSessionID: String? = nil) {
        self.version = version
        self.project = project
        self.token = token
        self.agent = agent
        self.resumeSessionID = resumeSessionID
    }

    package init(json: JSONValue) throws(WireError) {
        let context = BladeMethod.connect
        let versionJSON = try json.requireObject("version", in: context)
        func versionPart(_ name: String) throws(WireError) -> Int {
            guard let value = versionJSON[name] else { throw .missing("version.\(name)", in: context) }
            guard case .int(let number) = value, number >= 0 else { throw WireError("\(context): 'version.\(name)' must be a non-negative integer") }
            return number
        }
        version = Version(major: try versionPart("major"), minor: try versionPart("minor"), revision: try versionPart("revision"))
        let auth = try json.requireObject("authentication", in: context)
        project = try auth.requireString("project", in: context)
        guard let token = auth["token"]?.stringValue ?? auth["jwt_token"]?.stringValue else {
            throw .missing("authentication.token", in: context)
        }
        self.token = token
        agent = json["agent"]?.stringValue
        resumeSessionID = json["sessionid"]?.stringValue
        clientSessionKey = json["session_id"]?.stringValue
        for (name, value) in [("authentication.project", project), ("authentication.token", token), ("agent", agent ?? ""),
                              ("sessionid", resumeSessionID ?? ""), ("session_id", clientSessionKey ?? "")]
        where value.utf8.count > Self.maximumFieldLength {
            throw WireError("\(context): '\(name)' is longer than \(Self.maximumFieldLength) bytes")
        }
        guard !project.isEmpty else { throw WireError("\(context): 'authentication.project' must not be empty") }
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("version", version.json)
        members.set("authentication", ["project": .string(project), "token": .string(token)])
        members.set("agent", agent)
        members.set("sessionid", resumeSessionID)
        members.set("session_id", clientSessionKey)
        return members.value
    }
}

/// `blade.reauthenticate` params: the new credentials (`authentication.token`, or `jwt_token`).
package struct BladeReauthenticateParams: Sendable, Hashable {
    package var token: String?

    package init(json: JSONValue) {
        let authentication = json["authentication"]
        token = authentication?["token"]?.stringValue ?? authentication?["jwt_token"]?.stringValue
    }
}

/// The `blade.connect` result a server sends (RELAY-V2.md §2.3): the session, the nodes and
/// the authorization, with the empty tables Blade always lists.
package struct BladeConnectResult: Sendable, Hashable {
    package var sessionRestored: Bool
    package var sessionID: String
    package var nodeID: String
    package var masterNodeID: String
    package var authorization: JSONValue

    package init(sessionRestored: Bool, sessionID: String, nodeID: String, masterNodeID: String, authorization: JSONValue) {
        self.sessionRestored = sessionRestored
        self.sessionID = sessionID
        self.nodeID = nodeID
        self.masterNodeID = masterNodeID
        self.authorization = authorization
    }

    package var json: JSONValue {
        [
            "session_restored": .bool(sessionRestored), "sessionid": .string(sessionID), "nodeid": .string(nodeID),
            "master_nodeid": .string(masterNodeID), "authorization": authorization, "routes": [], "protocols": [], "subscriptions": [],
            "authorities": [], "authorizations": [], "accesses": [], "protocols_uncertified": ["signalwire"],
        ]
    }
}

/// `blade.execute signalwire/setup` params: the protocol to set up again, when resuming.
package struct SetupParams: Sendable, Hashable {
    package var requestedProtocol: String?

    package init(json: JSONValue) { requestedProtocol = json["protocol"]?.stringValue }
}

/// `blade.execute` params: a method of a protocol and its own params.
package struct BladeExecuteParams: Sendable, Hashable {
    package var protocolName: String
    package var method: String
    package var params: JSONValue

    package init(protocolName: String, method: String, params: JSONValue = .object([:])) {
        self.protocolName = protocolName
        self.method = method
        self.params = params
    }

    package init(json: JSONValue) throws(WireError) {
        protocolName = try json.requireString("protocol", in: BladeMethod.execute)
        method = try json.requireString("method", in: BladeMethod.execute)
        params = json["params"] ?? .object([:])
        guard params.objectValue != nil else { throw WireError("\(BladeMethod.execute): 'params.params' must be an object") }
    }

    package var json: JSONValue { ["protocol": .string(protocolName), "method": .string(method), "params": params] }
}

/// `blade.subscription` params.
package struct BladeSubscriptionParams: Sendable, Hashable {
    /// `true` for `add`, `false` for `remove`.
    package var adding: Bool
    package var protocolName: String
    package var channels: [String]

    package init(adding: Bool, protocolName: String, channels: [String]) {
        self.adding = adding
        self.protocolName = protocolName
        self.channels = channels
    }

    package init(json: JSONValue) throws(WireError) {
        let command = json["command"]?.stringValue
        guard command == "add" || command == "remove" else { throw WireError("\(BladeMethod.subscription): 'command' must be \"add\" or \"remove\"") }
        adding = command == "add"
        protocolName = try json.requireString("protocol", in: BladeMethod.subscription)
        channels = json["channels"]?.stringArray ?? []
    }

    package var json: JSONValue {
        ["command": .string(adding ? "add" : "remove"), "protocol": .string(protocolName), "channels": .array(channels.map(JSONValue.string))]
    }
}

extension JSONCodec {
    /// Finds the top-level `"id"` of a frame that did not parse, when it is a string or an
    /// integer: enough to answer the request with an error. Nested `"id"` members are skipped.
    package static func recoverTopLevelID(_ text: String) -> BladeID? {
        let bytes = Array(text.utf8)
        var index = 0
        var depth = 0
        func skipSpace() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 } }
        // Returns the range of a string's contents, leaving `index` after its closing quote.
        func scanString() -> Range<Int>? {
            let start = index + 1
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case 0x5C: index += 2
                case 0x22:
                    index += 1
                    return start..<(index - 1)
                default: index += 1
                }
            }
            return nil
        }
        while index < bytes.count {
            switch bytes[index] {
            case 0x7B, 0x5B:
                depth += 1
                index += 1
            case 0x7D, 0x5D:
                depth -= 1
                index += 1
            case 0x22:
                guard let key = scanString() else { return nil }
                guard depth == 1, bytes[key] == ArraySlice("id".utf8) else { continue }
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x3A else { continue }
                index += 1
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == 0x22 {
                    let valueStart = index
                    guard scanString() != nil,
                        case .string(let value)? = try? JSONCodec.parse(Array(bytes[valueStart..<index])), !value.isEmpty
                    else { return nil }
                    return .string(value)
                }
                var end = index
                while end < bytes.count, bytes[end] == 0x2D || (0x30...0x39).contains(bytes[end]) { end += 1 }
                guard end < bytes.count, ![0x2E, 0x65, 0x45].contains(bytes[end]),
                    let number = Int(String(decoding: bytes[index..<end], as: UTF8.self))
                else { return nil }
                return .int(number)
            default:
                index += 1
            }
        }
        return nil
    }
}
