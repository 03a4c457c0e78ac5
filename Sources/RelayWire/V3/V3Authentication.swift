/// How a v3 client authenticates in `signalwire.connect` (RELAY-V3.md §2.4).
package enum V3Authentication: Sendable, Hashable {
    /// `{"project", "token"}`.
    case projectToken(project: String, token: String)
    /// `{"jwt_token"}`, with `project` when the client sent one (the JWT carries it otherwise).
    case jwt(token: String, project: String?)

    /// The project named outside the token, if any.
    package var project: String? {
        switch self {
        case .projectToken(let project, _): project
        case .jwt(_, let project): project
        }
    }

    /// The secret: the API token or the JWT.
    package var secret: String {
        switch self {
        case .projectToken(_, let token): token
        case .jwt(let token, _): token
        }
    }

    package init(json: JSONValue) throws(WireError) {
        let context = V3Method.connect
        guard json.objectValue != nil else { throw WireError("\(context): 'authentication' must be an object") }
        let project = json["project"]?.stringValue
        if let jwt = json["jwt_token"]?.stringValue {
            self = .jwt(token: jwt, project: project)
        } else if let token = json["token"]?.stringValue {
            guard let project, !project.isEmpty else { throw .missing("authentication.project", in: context) }
            self = .projectToken(project: project, token: token)
        } else {
            throw .missing("authentication.token", in: context)
        }
    }

    package var json: JSONValue {
        switch self {
        case .projectToken(let project, let token):
            ["project": .string(project), "token": .string(token)]
        case .jwt(let token, let project):
            project.map { ["project": .string($0), "jwt_token": .string(token)] } ?? ["jwt_token": .string(token)]
        }
    }
}
