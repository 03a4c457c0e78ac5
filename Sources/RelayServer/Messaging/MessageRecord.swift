import RelayWire

/// A message the server handled (sent by a client or injected inbound).
public struct MessageRecord: Sendable, Hashable {
    public var id: String
    public var project: String
    public var direction: String
    public var context: String
    public var from: String
    public var to: String
    public var body: String
    public var media: [String]
    public var tags: [String]
    public var segments: Int
    /// Latest state: `queued`, `initiated`, `sent`, `delivered`, `undelivered`, `failed`, `received`.
    public var state: String
    public var reason: String?
    /// Session the events went to (`nil` when nobody was receiving the context).
    public var session: String?

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("message_id", id)
        builder.set("project", project)
        builder.set("direction", direction)
        builder.set("context", context)
        builder.set("from_number", from)
        builder.set("to_number", to)
        builder.set("body", body)
        builder.set("media", media)
        builder.set("tags", tags)
        builder.set("segments", segments)
        builder.set("message_state", state)
        builder.set("reason", reason)
        builder.set("session", session)
        return builder.value
    }

    /// The event clients get for this message in `state`.
    func event(state: String) -> MessageEvent {
        MessageEvent(
            messageID: id, state: state, context: context, direction: direction, from: from, to: to, body: body, media: media, tags: tags,
            segments: segments, reason: state == "undelivered" || state == "failed" ? reason : nil)
    }
}
