import RelayWire

/// A message the server handled (sent by a client or injected inbound).
public struct MessageRecord: Sendable, Hashable {
    /// The message id.
    public var id: String
    /// The project.
    public var project: String
    /// `inbound` or `outbound`.
    public var direction: String
    /// The context.
    public var context: String
    /// The sender.
    public var from: String
    /// The recipient.
    public var to: String
    /// The text.
    public var body: String
    /// Media URLs.
    public var media: [String]
    /// Tags from the sender.
    public var tags: [String]
    /// SMS segments of the body.
    public var segments: Int
    /// Latest state: `queued`, `initiated`, `sent`, `delivered`, `undelivered`, `failed`, `received`.
    public var state: String
    /// Why delivery failed, when it did.
    public var reason: String?
    /// Session the events went to (`nil` when nobody was receiving the context).
    public var session: String?

    /// The lab API's JSON form.
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
