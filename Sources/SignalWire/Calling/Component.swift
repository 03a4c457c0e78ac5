import RelayWire
import Synchronization
import Tracing

/// The event that completed (or last updated) an operation (`Relay.Event`).
public struct RelayEvent: Sendable, Hashable, CustomStringConvertible {
    /// e.g. `answered`, `finished`, `digit`, `MACHINE`.
    public let name: String
    private let source: Source

    /// Where the payload comes from: given as JSON, or the typed event it is read from.
    private enum Source: Sendable {
        case json(JSONValue)
        case wire(CallingEvent)
    }

    /// The event params as Relay sent them (for prompts the collect `result`, for detect and
    /// fax the inner `detect` / `fax` object, as in Python).
    public var payload: JSONValue {
        switch source {
        case .json(let payload): payload
        case .wire(let event): event.resultPayload
        }
    }

    /// An event with a payload given as JSON.
    public init(name: String, payload: JSONValue) {
        self.name = name
        source = .json(payload)
    }

    /// An event read from a decoded calling event; its payload is built only when read.
    init(name: String, event: CallingEvent) {
        self.name = name
        source = .wire(event)
    }

    /// The name of the event an operation completes with when RELAY v3 answered its command
    /// with `404` or `410`: the call is gone.
    public static let callGoneName = "call_gone"

    /// Whether the operation ended because its call no longer exists (RELAY v3 `404`/`410`).
    public var isCallGone: Bool { name == Self.callGoneName }

    /// `name {payload JSON}`, such as `finished {"state":"finished"}`.
    public var description: String { "\(name) \(payload)" }

    /// Events are equal when their names and payloads are, however the payload is held.
    public static func == (lhs: RelayEvent, rhs: RelayEvent) -> Bool {
        lhs.name == rhs.name && lhs.payload == rhs.payload
    }

    /// Hashes the name and the payload, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(payload)
    }
}

/// One running operation on a call: a command plus the events that drive it to completion,
/// following Python 2.1.1's completion rules (RELAY-V2.md §6.2–6.4).
final class Component: Sendable {
    enum Kind: Sendable {
        case dial, answer, hangup(reason: String), connect, disconnect
        /// `calling.dial` of device groups: completed by `calling.call.dial` answered or failed.
        case multiDial
        /// `calling.refer`: completed by the first `calling.call.refer` that is not `inProgress`.
        case refer
        case awaitState([CallState])
        case play, prompt, record, sendDigits, tap, fax
        case detect(waitForBeep: Bool, blocking: Bool)

        var followsCallState: Bool {
            switch self {
            case .dial, .answer, .hangup, .awaitState: true
            default: false
            }
        }

        var followsConnect: Bool {
            switch self {
            case .connect, .disconnect: true
            default: false
            }
        }

        var followsRefer: Bool {
            if case .refer = self { return true }
            return false
        }
    }

    struct Store: Sendable {
        var state = ""
        var completed = false
        var successful = false
        var event: RelayEvent?
        var payload: JSONValue = .object([:])
        var executeResult: JSONValue = .object([:])
        // Per-kind results.
        var url: String?
        var duration: Double?
        var size: Int?
        var promptType: String?
        var promptResult: String?
        var terminator: String?
        var confidence: Double?
        var detectType: String?
        var detectResult: String?
        var detectEvents: [String] = []
        var waitingForBeep = false
        var faxParams: JSONValue?
        var tap: JSONValue?
        var sourceDevice: JSONValue = .object([:])
        var destinationDevice: JSONValue?
        var peerCallID: String?
        var peerCall: Call?
        var endReason: String?
        var referTo: String?
        /// The last `calling.call.refer` state (nil until one arrives).
        var referState: String?
        var referResponseCode: String?
        var notifyResponseCode: String?
        var waiters: [CheckedContinuation<Void, Never>] = []
        var span: (any Span)?
    }

    let kind: Kind
    let controlID: String
    let store = Mutex(Store())

    init(kind: Kind, controlID: String) {
        self.kind = kind
        self.controlID = controlID
    }

    var snapshot: Store { store.withLock { $0 } }
    var isCompleted: Bool { store.withLock { $0.completed } }

    /// Waits until the component completes. Cancelling the waiting task stops the wait
    /// (the operation itself goes on; stop it with the action if needed).
    func waitForCompletion() async throws {
        try Task.checkCancellation()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = store.withLock { store -> Bool in
                    if store.completed || Task.isCancelled { return true }
                    store.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiters = store.withLock { store in
                defer { store.waiters.removeAll() }
                return store.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        try Task.checkCancellation()
    }

    /// Fails the component without an event from Relay: the command failed, the call was
    /// already over, or the call ended under it.
    func terminate(event: RelayEvent? = nil) {
        let (waiters, span) = store.withLock { store -> ([CheckedContinuation<Void, Never>], (any Span)?) in
            guard !store.completed else { return ([], nil) }
            store.completed = true
            store.successful = false
            store.state = "failed"
            if let event { store.event = event }
            defer {
                store.waiters.removeAll()
                store.span = nil
            }
            return (store.waiters, store.span)
        }
        end(span, successful: false)
        for waiter in waiters { waiter.resume() }
    }

    /// The action's span, ended when the component completes.
    func attach(_ span: any Span) {
        let late = store.withLock { store -> Bool in
            guard !store.completed else { return true }
            store.span = span
            return false
        }
        if late { end(span, successful: isSuccessful) }
    }

    private var isSuccessful: Bool { store.withLock { $0.successful } }

    private func end(_ span: (any Span)?, successful: Bool) {
        guard let span else { return }
        span.attributes["signalwire.successful"] = successful
        if !successful { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }

    func setPeer(_ call: Call?) {
        store.withLock { $0.peerCall = call }
    }

    func recordExecuteResult(_ result: JSONValue) {
        store.withLock { store in
            store.executeResult = result
            if case .record = kind, let url = result["url"]?.stringValue { store.url = url }
            if case .tap = kind, let source = result["source_device"] { store.sourceDevice = source }
        }
    }

    /// Feeds one event; returns true when it completed the component. Events of another
    /// kind leave it untouched.
    @discardableResult
    func handle(_ event: CallingEvent) -> Bool {
        let completion = store.withLock { store -> ([CheckedContinuation<Void, Never>], (any Span)?, Bool)? in
            guard !store.completed else { return nil }
            guard Self.apply(kind: kind, event: event, to: &store) else { return nil }
            store.completed = true
            defer {
                store.waiters.removeAll()
                store.span = nil
            }
            return (store.waiters, store.span, store.successful)
        }
        guard let (waiters, span, successful) = completion else { return false }
        end(span, successful: successful)
        for waiter in waiters { waiter.resume() }
        return true
    }

    /// Updates the store for one event and says whether the operation is complete: Python
    /// 2.1.1's completion table (RELAY-V2.md §6.2–6.4), over the typed event.
    private static func apply(kind: Kind, event: CallingEvent, to store: inout Store) -> Bool {
        switch (kind, event) {
        case (.dial, .state(let params)), (.answer, .state(let params)), (.hangup, .state(let params)), (.awaitState, .state(let params)):
            guard let reached = params.callState else { return false }
            store.state = params.state
            let relayEvent = RelayEvent(name: params.state, event: event)
            switch kind {
            case .dial:
                guard reached >= .answered else { return false }
                store.event = relayEvent
                store.successful = reached == .answered
            case .answer:
                guard reached >= .answered else { return false }
                store.event = relayEvent
                store.successful = true
            case .hangup:
                guard reached == .ended else { return false }
                store.event = relayEvent
                store.endReason = params.endReason
                store.successful = true
            case .awaitState(let states):
                let passed = states.contains { reached >= $0 }
                let endedFirst = reached.isOver && !states.contains(where: \.isOver)
                if passed && !endedFirst {
                    // Reached, or went past (an inbound call may never ring).
                    store.event = relayEvent
                    store.successful = true
                } else if reached == .ended {
                    // The call ended before reaching any awaited state.
                    store.event = relayEvent
                    store.successful = false
                } else {
                    return false
                }
            default: return false
            }
            return true

        case (.connect, .connect(let params)), (.disconnect, .connect(let params)):
            store.state = params.state
            guard params.state != "connecting" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            if case .connect = kind {
                store.successful = params.state == "connected"
                store.peerCallID = params.state == "connected" ? params.peer?.callID : nil
            } else {
                store.successful = params.state == "disconnected"
            }
            return true

        case (.multiDial, .dial(let params)):
            store.state = params.state
            guard params.state != "dialing" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = params.state == "answered"
            store.peerCallID = store.successful ? params.call?.callID : nil
            return true

        case (.refer, .refer(let params)):
            store.state = params.state
            store.referState = params.state
            store.referTo = params.referTo ?? store.referTo
            store.referResponseCode = params.referResponseCode ?? store.referResponseCode
            store.notifyResponseCode = params.notifyResponseCode ?? store.notifyResponseCode
            guard params.state != "inProgress" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = params.state == "success"
            return true

        case (.play, .play(let params)):
            store.state = params.state
            guard params.state != "playing" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = params.state == "finished"
            return true

        case (.record, .record(let params)):
            store.state = params.state
            guard params.state != "recording" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = params.state == "finished"
            store.url = params.url ?? store.url
            store.duration = params.duration
            store.size = params.size
            return true

        case (.sendDigits, .sendDigits(let params)):
            // The first event with a state completes it, whatever the state.
            store.state = params.state
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = params.state == "finished"
            return true

        case (.tap, .tap(let params)):
            store.state = params.state
            // Absent members read as {}: keep what an earlier event said.
            if params.tap.objectValue?.isEmpty == false { store.tap = params.tap }
            if params.device.objectValue?.isEmpty == false { store.destinationDevice = params.device }
            guard params.state == "finished" else { return false }
            store.event = RelayEvent(name: params.state, event: event)
            store.successful = true
            return true

        case (.prompt, .collect(let params)):
            // Any collect event completes a prompt, as in Python (§6.3).
            let collect = params.result
            store.event = RelayEvent(name: collect.type, event: event)
            store.promptType = collect.type
            switch collect.type {
            case "digit":
                store.state = "successful"
                store.successful = true
                store.promptResult = collect.params["digits"]?.stringValue
                store.terminator = collect.params["terminator"]?.stringValue
            case "speech":
                store.state = "successful"
                store.successful = true
                store.promptResult = collect.params["text"]?.stringValue
                store.confidence = collect.params["confidence"]?.doubleValue
            default:
                store.state = collect.type
                store.successful = false
            }
            return true

        case (.fax, .fax(let params)):
            store.state = params.type
            guard params.type != "page" else { return false }
            store.event = RelayEvent(name: params.type, event: event)
            store.successful = params.params["success"]?.boolValue ?? false
            store.faxParams = store.successful ? params.params : nil
            return true

        case (.detect(let waitForBeep, let blocking), .detect(let params)):
            let value = params.event
            store.detectType = params.type
            store.state = value
            let relayEvent = RelayEvent(name: value, event: event)
            if value == "finished" || value == "error" {
                store.event = relayEvent
                store.successful = blocking ? false : value != "error"
                store.detectResult = blocking ? value : store.detectEvents.joined(separator: ",")
                return true
            }
            if !blocking {
                store.detectEvents.append(value)
                return false
            }
            if params.type == "digit" {
                store.event = relayEvent
                store.successful = true
                store.detectResult = value
                return true
            }
            if store.waitingForBeep {
                guard value == "READY" else { return false }
                store.event = relayEvent
                store.successful = true
                store.detectResult = "MACHINE"
                return true
            }
            if waitForBeep && value == "MACHINE" {
                store.waitingForBeep = true
                return false
            }
            guard ["MACHINE", "HUMAN", "UNKNOWN", "CED", "CNG"].contains(value) else { return false }
            store.event = relayEvent
            store.successful = true
            store.detectResult = value
            return true

        default:
            // An event of another kind (or a state this operation does not follow).
            return false
        }
    }
}
