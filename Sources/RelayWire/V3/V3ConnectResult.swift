/// The `signalwire.connect` result (RELAY-V3.md §2.9). Clients need only `protocol`; the rest
/// is what a server SHOULD send.
package struct V3ConnectResult: Sendable, Hashable {
    /// `protocol`: the session's name, sent back on reconnect to resume it.
    package var protocolName: String
    /// `identity`: who the server thinks the client is (informational).
    package var identity: String?
    /// `session_restored`: the connect resumed an earlier session.
    package var sessionRestored: Bool
    /// `authorization.project_id`.
    package var projectID: String?
    /// `authorization.scopes`.
    package var scopes: [String]

    package init(protocolName: String, identity: String? = nil, sessionRestored: Bool = false, projectID: String? = nil, scopes: [String] = []) {
        self.protocolName = protocolName
        self.identity = identity
        self.sessionRestored = sessionRestored
        self.projectID = projectID
        self.scopes = scopes
    }

    package init(json: JSONValue) throws(WireError) {
        protocolName = try json.requireString("protocol", in: "\(V3Method.connect) result")
        identity = json["identity"]?.stringValue
        sessionRestored = json["session_restored"]?.boolValue ?? false
        projectID = json["authorization"]?["project_id"]?.stringValue
        scopes = json["authorization"]?["scopes"]?.stringArray ?? []
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("identity", identity)
        members.set("session_restored", sessionRestored)
        if let projectID {
            var authorization = JSONObjectBuilder()
            authorization.set("type", "project")
            authorization.set("project_id", projectID)
            authorization.set("scopes", scopes)
            members.set("authorization", authorization.value)
        }
        members.set("protocol", protocolName)
        members.set("ice_servers", JSONValue.array([]))
        return members.value
    }
}
