import RelayWire

/// A read-only copy of a call for the lab API and tests.
public struct CallSnapshot: Sendable, Hashable {
    public var id: String
    public var nodeID: String
    public var project: String
    public var direction: String
    public var from: String
    public var to: String
    public var context: String?
    public var state: CallState
    public var endReason: String?
    /// Session that receives this call's events (`nil` when nobody took it).
    public var owner: String?
    /// `call_id` of the call this leg was created for by `calling.connect`.
    public var parent: String?
    /// Leg currently bridged with this call.
    public var bridgedWith: String?
    public var timeline: [TimelineEntry]

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("call_id", id)
        builder.set("node_id", nodeID)
        builder.set("project", project)
        builder.set("direction", direction)
        builder.set("from", from)
        builder.set("to", to)
        builder.set("context", context)
        builder.set("state", state.rawValue)
        builder.set("end_reason", endReason)
        builder.set("owner_session", owner)
        builder.set("parent_call_id", parent)
        builder.set("bridged_with", bridgedWith)
        builder.set("timeline", .array(timeline.map(\.json)))
        return builder.value
    }
}
