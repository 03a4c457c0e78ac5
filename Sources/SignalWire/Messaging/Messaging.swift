import Logging
import RelayWire
import Synchronization

/// An SMS or MMS (`Relay.Messaging.Message`).
public struct Message: Sendable, Hashable {
    /// Relay's id for the message.
    public let id: String
    /// The state, as Relay reported it (unknown states keep their text).
    public let state: MessageState
    /// The context the message belongs to.
    public let context: String
    /// The sender.
    public let from: String?
    /// The recipient.
    public let to: String?
    /// The text.
    public let body: String?
    /// Whether the message was received or sent.
    public let direction: MessageDirection?
    /// Media URLs.
    public let media: [String]
    /// SMS segments the body takes.
    public let segments: Int?
    /// Tags given when it was sent.
    public let tags: [String]
    /// Why delivery failed, on `undelivered` and `failed`.
    public let reason: String?

    init(_ event: MessageEvent) {
        id = event.messageID
        state = MessageState(rawValue: event.state)
        context = event.context
        from = event.from
        to = event.to
        body = event.body
        direction = event.direction.map(MessageDirection.init(rawValue:))
        media = event.media
        segments = event.segments
        tags = event.tags
        reason = event.reason
    }
}

/// Result of `Messaging.send` (`Relay.Messaging.SendResult`).
public struct SendResult: Sendable, Hashable {
    /// Whether Relay accepted the message for sending.
    public let successful: Bool
    /// Relay's id for the message, to match later state changes.
    public let messageID: String?
}

/// The messaging API of a client (`Relay.Messaging`).
public final class Messaging: Sendable {
    private struct Handlers {
        var received: [String: @Sendable (Message) -> Void] = [:]
        var stateChanged: [String: @Sendable (Message) -> Void] = [:]
    }

    let session: Session
    let logger: Logger
    private let handlers = Mutex(Handlers())

    init(session: Session, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Sends a message. State changes arrive on `context` (see `onStateChange`).
    /// Relay-side failures give `successful == false`; transport failures throw.
    public func send(context: String, from: String, to: String, body: String? = nil, media: [String]? = nil, tags: [String]? = nil) async throws -> SendResult {
        let command = MessagingSendCommand(context: context, from: from, to: to, body: body, media: media, tags: tags)
        do {
            let result = try await session.execute(RelayMethod.messagingSend, params: command.json)
            return SendResult(successful: true, messageID: result["message_id"]?.stringValue)
        } catch let error as RelayError where error.isCommandFailure {
            logger.warning("messaging.send failed", metadata: ["error": "\(error)"])
            return SendResult(successful: false, messageID: nil)
        }
    }

    /// Calls `handler` for every inbound message on `contexts`.
    public func receive(contexts: [String], handler: @escaping @Sendable (Message) -> Void) async throws {
        setReceiveHandler(contexts: contexts, handler)
        try await session.client?.receive(contexts: contexts)
    }

    /// Calls `handler` for every state change of messages sent on `contexts`.
    public func onStateChange(contexts: [String], handler: @escaping @Sendable (Message) -> Void) async throws {
        setStateHandler(contexts: contexts, handler)
        try await session.client?.receive(contexts: contexts)
    }

    func setReceiveHandler(contexts: [String], _ handler: @escaping @Sendable (Message) -> Void) {
        handlers.withLock { for context in contexts { $0.received[context] = handler } }
    }

    func setStateHandler(contexts: [String], _ handler: @escaping @Sendable (Message) -> Void) {
        handlers.withLock { for context in contexts { $0.stateChanged[context] = handler } }
    }

    /// Routes one messaging event, decoded once by the session (on the event loop).
    func handle(_ event: MessageEvent, received: Bool) {
        let message = Message(event)
        let handler = handlers.withLock { received ? $0.received[event.context] : $0.stateChanged[event.context] }
        handler?(message)
    }
}
