/// `signalwire.connect` params (RELAY-V3.md §2.2), in the member order the official v3 client
/// sends: `version`, `agent`, `event_acks`, `authentication`, then `contexts`, `protocol` and
/// `authorization_state` only when present.
package struct V3ConnectParams: Sendable, Hashable {
    /// The version the official v3 clients (Python 3.x, .NET) send. It does not name the dialect:
    /// the method does (JS sends 3.0.0, Blade sends 2.3.0).
    package static let currentVersion = BladeConnectParams.Version(major: 2, minor: 0, revision: 0)
    /// Longest accepted credential, agent, protocol or authorization state.
    package static let maximumFieldLength = 8192
    /// Most contexts one connect may name.
    package static let maximumContexts = 256

    package var version: BladeConnectParams.Version
    package var agent: String?
    /// `event_acks`: the client acknowledges every `signalwire.event`.
    package var eventAcks: Bool
    package var authentication: V3Authentication
    /// Contexts to receive from the start (omitted on the wire when empty).
    package var contexts: [String]
    /// `protocol`: the session to resume.
    package var resumeProtocol: String?
    /// `authorization_state`: the last blob the server sent, for a fast re-authentication.
    package var authorizationState: String?

    package init(
        version: BladeConnectParams.Version = currentVersion, agent: String? = nil, eventAcks: Bool = true, authentication: V3Authentication,
        contexts: [String] = [], resumeProtocol: String? = nil, authorizationState: String? = nil
    ) {
        self.version = version
        self.agent = agent
        self.eventAcks = eventAcks
        self.authentication = authentication
        self.contexts = contexts
        self.resumeProtocol = resumeProtocol
        self.authorizationState = authorizationState
    }

    /// Reads the params leniently where the protocol is loose (any `version`, unknown members
    /// ignored) and strictly where a server needs the value (authentication, contexts, sizes).
    package init(json: JSONValue) throws(WireError) {
        let context = V3Method.connect
        guard json.objectValue != nil else { throw WireError("\(context): params must be an object") }
        let versionJSON = json["version"]
        version = BladeConnectParams.Version(
            major: versionJSON?["major"]?.intValue ?? Self.currentVersion.major, minor: versionJSON?["minor"]?.intValue ?? 0,
            revision: versionJSON?["revision"]?.intValue ?? 0)
        agent = json["agent"]?.stringValue
        eventAcks = json["event_acks"]?.boolValue ?? false
        authentication = try V3Authentication(json: json.requireObject("authentication", in: context))
        switch json["contexts"] {
        case nil, .null: contexts = []
        case .array(let items):
            guard items.count <= Self.maximumContexts else { throw WireError("\(context): more than \(Self.maximumContexts) contexts") }
            var names: [String] = []
            for item in items {
                guard let name = item.stringValue, !name.isEmpty else { throw WireError("\(context): 'contexts' must hold non-empty strings") }
                names.append(name)
            }
            contexts = names
        default: throw WireError("\(context): 'contexts' must be an array of strings")
        }
        resumeProtocol = json["protocol"]?.stringValue
        authorizationState = json["authorization_state"]?.stringValue
        let fields = [
            ("authentication.project", authentication.project ?? ""), ("authentication.token", authentication.secret), ("agent", agent ?? ""),
            ("protocol", resumeProtocol ?? ""), ("authorization_state", authorizationState ?? ""),
        ]
        for (name, value) in fields where value.utf8.count > Self.maximumFieldLength {
            throw WireError("\(context): '\(name)' is longer than \(Self.maximumFieldLength) bytes")
        }
        for name in contexts where name.utf8.count > Self.maximumFieldLength {
            throw WireError("\(context): a context name is longer than \(Self.maximumFieldLength) bytes")
        }
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("version", version.json)
        members.set("agent", agent)
        members.set("event_acks", eventAcks)
        members.set("authentication", authentication.json)
        if !contexts.isEmpty { members.set("contexts", contexts) }
        members.set("protocol", resumeProtocol)
        members.set("authorization_state", authorizationState)
        return members.value
    }
}
