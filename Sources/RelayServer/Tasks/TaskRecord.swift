import RelayWire

/// A task delivered through the REST endpoint or the lab API.
public struct TaskRecord: Sendable, Hashable {
    /// The project.
    public var project: String
    /// The context it was sent to.
    public var context: String
    /// The task's message.
    public var message: JSONValue
    /// Session that received it; `nil` when it was refused (nobody on the context).
    public var session: String?
    /// Unix time in seconds.
    public var time: Double

    /// The lab API's JSON form.
    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("project", project)
        builder.set("context", context)
        builder.set("message", message)
        builder.set("session", session)
        builder.set("delivered", session != nil)
        builder.set("time", time)
        return builder.value
    }
}
