import Foundation
import RelayWire

/// One thing that happened on the server, as the console, `relay serve`'s terminal lines and
/// `GET /lab/events` show it: a line of a call's timeline, a message state, a task, a session
/// coming or going.
public struct ConsoleEvent: Sendable, Hashable {
    /// What an event is about. More kinds may be added.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable { case call, message, task, session }
        private let value: Value

        /// A line of a call's timeline.
        public static let call = Kind(value: .call)
        /// A message was accepted, changed state or was received.
        public static let message = Kind(value: .message)
        /// A task was delivered or refused.
        public static let task = Kind(value: .task)
        /// A session connected, subscribed to contexts, disconnected or expired.
        public static let session = Kind(value: .session)

        public var description: String { value.rawValue }
    }

    /// Increases by one with every event the feed publishes; a subscriber that sees a jump
    /// missed the events in between (it fell behind: each subscriber's buffer is bounded).
    public var sequence: Int
    /// Unix time in seconds.
    public var time: Double
    /// What the event is about: a call, a message, a task or a session.
    public var kind: Kind
    /// `true` when something needs the developer's attention: nobody receives a context.
    public var isWarning: Bool
    /// The project it belongs to, when there is one.
    public var project: String?
    /// The Relay context of the call, message or task, when there is one.
    public var context: String?
    /// The call, message or session the event is about.
    public var subjectID: String?
    /// For calls, the timeline entry's kind (`state`, `play`, `collect`, `note`, …); for
    /// messages their state; for sessions `connected`, `contexts`, `disconnected`, `expired`.
    public var step: String
    /// A readable one-line description.
    public var text: String
    /// The call (without its timeline), message, task or session after the event.
    public var subject: JSONValue
    /// Structured details of the step (a timeline entry's data).
    public var data: JSONValue
    /// For calls, simulated seconds since the call was created (the timeline entry's time).
    public var offset: Double? = nil

    /// The event as one JSON object (`GET /lab/events`, `relay serve --log-format json`).
    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("seq", sequence)
        builder.set("time", (time * 1000).rounded() / 1000)
        builder.set("kind", kind.description)
        builder.set("level", isWarning ? "warning" : "info")
        builder.set("project", project)
        builder.set("context", context)
        builder.set("id", subjectID)
        builder.set("step", step)
        builder.set("text", text)
        builder.set("subject", subject)
        builder.set("data", data)
        builder.set("offset", offset.map { ($0 * 1000).rounded() / 1000 })
        return builder.value
    }

    /// The event as one human line: time, kind, short id and context, then the text.
    /// `call 3f2ab1c2 office  offered to session 9b1c…`
    public var line: String {
        let clock = Self.timeFormat(time)
        let id = subjectID.map { String($0.prefix(8)) } ?? "-"
        let where_ = context.map { " " + $0 } ?? ""
        return "\(clock) \(isWarning ? "WARNING " : "")\(kind.description) \(id)\(where_)  \(text)"
    }

    static func session(_ session: SessionSnapshot, step: String, text: String) -> ConsoleEvent {
        ConsoleEvent(
            sequence: 0, time: Date().timeIntervalSince1970, kind: .session, isWarning: false, project: session.project, context: nil,
            subjectID: session.id, step: step, text: text, subject: session.json, data: .object([:]))
    }

    static func message(_ message: MessageRecord, text: String, warning: Bool = false) -> ConsoleEvent {
        ConsoleEvent(
            sequence: 0, time: Date().timeIntervalSince1970, kind: .message, isWarning: warning, project: message.project,
            context: message.context, subjectID: message.id, step: message.state, text: text, subject: message.json, data: .object([:]))
    }

    static func task(_ task: TaskRecord) -> ConsoleEvent {
        let text =
            task.session.map { "delivered to session \($0): \(LogText.clip(JSONCodec.string(task.message)))" }
            ?? "nobody is receiving context '\(task.context)'; task refused"
        return ConsoleEvent(
            sequence: 0, time: task.time, kind: .task, isWarning: task.session == nil, project: task.project, context: task.context,
            subjectID: nil, step: task.session == nil ? "refused" : "delivered", text: text, subject: task.json, data: .object([:]))
    }

    static func timeFormat(_ time: Double) -> String {
        var seconds = Int(time.rounded(.down))
        let millis = Int((time - Double(seconds)) * 1000)
        seconds %= 86_400
        let text = String(format: "%02d:%02d:%02d.%03d", seconds / 3600, seconds / 60 % 60, seconds % 60, max(0, min(999, millis)))
        return text
    }
}
