import RelayWire

/// A read-only copy of a call for the lab API and tests.
public struct CallSnapshot: Sendable, Hashable {
    /// Relay's `call_id`.
    public var id: String
    /// The node that owns the call.
    public var nodeID: String
    /// The project the call belongs to.
    public var project: String
    /// `inbound` or `outbound`.
    public var direction: String
    /// The calling number.
    public var from: String
    /// The called number (or SIP URI, or WebRTC address).
    public var to: String
    /// The device the call was placed to, as the client sent it (`{"type", "params"}`): for a
    /// SIP device with its `headers` and `codecs`.
    public var device: JSONValue
    /// `tag` of the `calling.begin` or `calling.dial` that created the call.
    public var tag: String?
    /// The context an inbound call was offered on.
    public var context: String?
    /// The call's state.
    public var state: CallState
    /// Why the call ended, once it has.
    public var endReason: String?
    /// Session that receives this call's events (`nil` when nobody took it).
    public var owner: String?
    /// `call_id` of the call this leg was created for by `calling.connect`.
    public var parent: String?
    /// Leg currently bridged with this call.
    public var bridgedWith: String?
    /// What happened, oldest first.
    public var timeline: [TimelineEntry]

    /// The lab API's JSON form.
    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("call_id", id)
        builder.set("node_id", nodeID)
        builder.set("project", project)
        builder.set("direction", direction)
        builder.set("from", from)
        builder.set("to", to)
        builder.set("device", device)
        builder.set("tag", tag)
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
