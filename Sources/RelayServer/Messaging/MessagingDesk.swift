import NIOCore
import RelayWire
import Synchronization

/// Messaging: `messaging.send` moves a message through its states on the simulated clock;
/// inbound messages go to one session receiving their context. Keeps the last
/// ``historyLimit`` messages for the lab API.
final class MessagingDesk: Sendable {
    static let historyLimit = 5000

    private let messages = Mutex<[MessageRecord]>([])
    private let registry: SessionRegistry
    private let clock: SimulationClock
    private let loop: any EventLoop
    private let world: @Sendable () -> SimulatedWorld
    private let feed: EventFeed

    init(
        registry: SessionRegistry, clock: SimulationClock, loop: any EventLoop, feed: EventFeed = EventFeed(),
        world: @escaping @Sendable () -> SimulatedWorld
    ) {
        self.registry = registry
        self.feed = feed
        self.clock = clock
        self.loop = loop
        self.world = world
    }

    /// Accepts a message. Its states start when `start` is called: after the reply is written,
    /// so no state event can overtake the reply that tells the client the message id.
    func send(_ command: MessagingSendCommand, session: any RelaySession) -> (result: CommandResult, start: @Sendable () -> Void) {
        let nothing: @Sendable () -> Void = {}
        guard !command.from.isEmpty else { return (.failure("400", "Missing 'from_number'"), nothing) }
        guard !command.to.isEmpty else { return (.failure("400", "Missing 'to_number'"), nothing) }
        guard !command.context.isEmpty else { return (.failure("400", "Missing 'context'"), nothing) }
        let body = command.body ?? ""
        let media = command.media ?? []
        guard !body.isEmpty || !media.isEmpty else { return (.failure("400", "A message needs a 'body' or 'media'"), nothing) }
        let failure = world().messageFailure(to: command.to)
        let record = MessageRecord(
            id: newID(), project: session.project.id, direction: "outbound", context: command.context, from: command.from, to: command.to,
            body: body, media: media, tags: command.tags ?? [], segments: SMSSegments.count(body: body, hasMedia: !media.isEmpty),
            state: "queued", reason: failure?.reason, session: nil)
        append(record)
        feed.publish { .message(record, text: "sent by session \(session.id) from \(record.from) to \(record.to): \"\(LogText.clip(body))\" (\(record.segments) segment(s))") }
        let steps: [(Double, String)] = [(0, "queued"), (0.2, "initiated"), (0.5, "sent"), (1.5, failure?.state ?? "delivered")]
        let messageID = record.id
        let sender = session.id
        let start: @Sendable () -> Void = { [self] in
            for (delay, state) in steps {
                clock.schedule(after: delay, on: loop) { [self] in advance(messageID, to: state, prefer: sender) }
            }
        }
        return (.ok("Message accepted", ["message_id": .string(messageID)]), start)
    }

    private func advance(_ id: String, to state: String, prefer: String) {
        let target: (String, MessageRecord)? = messages.withLock { messages in
            guard let index = messages.lastIndex(where: { $0.id == id }) else { return nil }
            messages[index].state = state
            let current = messages[index].session
            if current == nil || registry.session(id: current ?? "")?.connection == nil {
                messages[index].session = registry.pickSession(project: messages[index].project, context: messages[index].context, prefer: prefer)
            }
            return messages[index].session.map { ($0, messages[index]) }
        }
        guard let (session, record) = target else { return }
        if state != "queued" {
            feed.publish { .message(record, text: state + (record.reason.map { " (\($0))" } ?? ""), warning: state == "undelivered" || state == "failed") }
        }
        registry.deliver(.messaging(record.event(state: state), received: false), to: session)
    }

    func inject(project: RelayProject, from: String, to: String, context: String, body: String, media: [String], tags: [String])
        throws(DeliveryError) -> MessageRecord
    {
        guard let session = registry.pickSession(project: project.id, context: context) else {
            feed.publish {
                .message(
                    MessageRecord(
                        id: "-", project: project.id, direction: "inbound", context: context, from: from, to: to, body: body, media: media, tags: tags,
                        segments: SMSSegments.count(body: body, hasMedia: !media.isEmpty), state: "refused", reason: "no consumer", session: nil),
                    text: "nobody is receiving context '\(context)'; message from \(from) refused", warning: true)
            }
            throw .noConsumer(context: context)
        }
        let record = MessageRecord(
            id: newID(), project: project.id, direction: "inbound", context: context, from: from, to: to, body: body, media: media,
            tags: ["message", "inbound", media.isEmpty ? "SMS" : "MMS", context, from, to, "relay-client"] + tags,
            segments: SMSSegments.count(body: body, hasMedia: !media.isEmpty), state: "received", reason: nil, session: session)
        append(record)
        feed.publish { .message(record, text: "received from \(from) to \(to): \"\(LogText.clip(body))\", offered to session \(session)") }
        registry.deliver(.messaging(record.event(state: "received"), received: true), to: session)
        return record
    }

    func snapshots(project: String?, direction: String?) -> [MessageRecord] {
        messages.withLock { $0.filter { (project == nil || $0.project == project) && (direction == nil || $0.direction == direction) } }
    }

    private func append(_ record: MessageRecord) {
        messages.withLock { messages in
            messages.append(record)
            if messages.count > Self.historyLimit + Self.historyLimit / 4 { messages.removeFirst(messages.count - Self.historyLimit) }
        }
    }
}
