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

    func eventParams(state: String) -> [String: JSONValue] {
        var params: [String: JSONValue] = [
            "message_id": .string(id), "context": .string(context), "direction": .string(direction), "tags": .array(tags.map(JSONValue.string)),
            "from_number": .string(from), "to_number": .string(to), "body": .string(body), "media": .array(media.map(JSONValue.string)),
            "segments": .int(segments), "message_state": .string(state),
        ]
        if let reason, state == "undelivered" || state == "failed" { params["reason"] = .string(reason) }
        return params
    }
}

/// Result of delivering inbound work (message, task) to a context.
public enum DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connected session of the project is receiving the context.
    case noConsumer(context: String)
    /// The project id is not configured.
    case unknownProject(String)

    public var description: String {
        switch self {
        case .noConsumer(let context): "no consumer is receiving context '\(context)'"
        case .unknownProject(let project): "unknown project '\(project)'"
        }
    }
}

extension RelayHub {
    func sendMessage(_ params: JSONValue, session: SessionRecord) -> CommandOutcome {
        guard let from = params["from_number"]?.stringValue, !from.isEmpty else { return .failure("400", "Missing 'from_number'") }
        guard let to = params["to_number"]?.stringValue, !to.isEmpty else { return .failure("400", "Missing 'to_number'") }
        guard let context = params["context"]?.stringValue, !context.isEmpty else { return .failure("400", "Missing 'context'") }
        let body = params["body"]?.stringValue ?? ""
        let media = params["media"]?.stringArray ?? []
        guard !body.isEmpty || !media.isEmpty else { return .failure("400", "A message needs a 'body' or 'media'") }
        var record = MessageRecord(
            id: Self.newID(), project: session.project.id, direction: "outbound", context: context, from: from, to: to, body: body,
            media: media, tags: params["tags"]?.stringArray ?? [], segments: SMSSegments.count(body: body, hasMedia: !media.isEmpty),
            state: "queued", reason: nil, session: nil)
        let failure = world.messageFailure(to: to)
        record.reason = failure?.reason
        let index = messages.count
        messages.append(record)
        if messages.count > 5000 { messages.removeFirst(messages.count - 5000) }
        let messageID = record.id
        let senderID = session.id
        let steps: [(Double, String)] = [(0, "queued"), (0.2, "initiated"), (0.5, "sent"), (1.5, failure?.state ?? "delivered")]
        _ = index
        return .ok(
            "Message accepted", ["message_id": .string(messageID)],
            after: {
                for (delay, state) in steps {
                    self.schedule(after: delay) { hub in hub.advanceMessage(messageID, state: state, prefer: senderID) }
                }
            })
    }

    func advanceMessage(_ id: String, state: String, prefer: String) {
        guard let index = messages.lastIndex(where: { $0.id == id }) else { return }
        var record = messages[index]
        record.state = state
        if record.session == nil || sessions[record.session ?? ""]?.connection == nil {
            record.session = pickSession(project: record.project, context: record.context, prefer: prefer)?.id
        }
        messages[index] = record
        guard let target = record.session else { return }
        broadcast(
            to: target, event: RelayEventName.messaging,
            notification: [
                "event_type": .string(RelayEventName.messagingState), "context": .string(record.context),
                "params": .object(record.eventParams(state: state)),
            ])
    }

    func injectMessage(project: RelayProject, from: String, to: String, context: String, body: String, media: [String], tags: [String]) throws(DeliveryError)
        -> MessageRecord
    {
        guard let session = pickSession(project: project.id, context: context) else { throw .noConsumer(context: context) }
        let record = MessageRecord(
            id: Self.newID(), project: project.id, direction: "inbound", context: context, from: from, to: to, body: body, media: media,
            tags: ["message", "inbound", media.isEmpty ? "SMS" : "MMS", context, from, to, "relay-client"] + tags,
            segments: SMSSegments.count(body: body, hasMedia: !media.isEmpty), state: "received", reason: nil, session: session.id)
        messages.append(record)
        broadcast(
            to: session.id, event: RelayEventName.messaging,
            notification: [
                "event_type": .string(RelayEventName.messagingReceive), "context": .string(context),
                "params": .object(record.eventParams(state: "received")),
            ])
        return record
    }

    func messageSnapshots(project: String?, direction: String?) -> [MessageRecord] {
        messages.filter { (project == nil || $0.project == project) && (direction == nil || $0.direction == direction) }
    }

    /// Delivers a task (`queuing.relay.tasks`) to one session receiving `context`.
    func deliverTask(project: RelayProject, context: String, message: JSONValue) throws(DeliveryError) -> String {
        let session = pickSession(project: project.id, context: context)
        tasks.append(TaskRecord(project: project.id, context: context, message: message, session: session?.id, time: SimClock.unixNow))
        if tasks.count > 1000 { tasks.removeFirst(tasks.count - 1000) }
        guard let session else { throw .noConsumer(context: context) }
        broadcast(
            to: session.id, event: RelayEventName.tasks,
            notification: ["context": .string(context), "message": message, "timestamp": .double(SimClock.unixNow)])
        return session.id
    }
}

/// A task delivered through the REST endpoint or the lab API.
public struct TaskRecord: Sendable, Hashable {
    public var project: String
    public var context: String
    public var message: JSONValue
    /// Session that received it; `nil` when it was refused (nobody on the context).
    public var session: String?
    /// Unix time in seconds.
    public var time: Double

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
