import RelayWire
import Synchronization

/// The event that completed (or last updated) an operation (`Relay.Event`).
public struct RelayEvent: Sendable, Hashable {
    /// e.g. `answered`, `finished`, `digit`, `MACHINE`.
    public let name: String
    /// The event params as Relay sent them.
    public let payload: JSONValue

    public init(name: String, payload: JSONValue) {
        self.name = name
        self.payload = payload
    }
}

/// One running operation on a call: a command plus the events that drive it to completion,
/// following Python 2.1.1's completion rules (RELAY-V2.md §6.2–6.4).
final class Component: Sendable {
    enum Kind: Sendable {
        case dial, answer, hangup(reason: String), connect, disconnect
        case awaitState([CallState])
        case play, prompt, record, sendDigits, tap, fax
        case detect(waitForBeep: Bool, blocking: Bool)

        /// The `event_type` whose `control_id` events belong to this component.
        var componentEventType: String? {
            switch self {
            case .play: RelayEventName.callPlay
            case .prompt: RelayEventName.callCollect
            case .record: RelayEventName.callRecord
            case .sendDigits: RelayEventName.callSendDigits
            case .tap: RelayEventName.callTap
            case .fax: RelayEventName.callFax
            case .detect: RelayEventName.callDetect
            default: nil
            }
        }

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
        var waiters: [CheckedContinuation<Void, Never>] = []
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
        let waiters = store.withLock { store -> [CheckedContinuation<Void, Never>] in
            guard !store.completed else { return [] }
            store.completed = true
            store.successful = false
            store.state = "failed"
            if let event { store.event = event }
            defer { store.waiters.removeAll() }
            return store.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func setPeer(_ call: Call?) {
        store.withLock { $0.peerCall = call }
    }

    func recordExecuteResult(_ result: JSONValue) {
        store.withLock { store in
            store.executeResult = result
            store.payload = store.payload
            if case .record = kind, let url = result["url"]?.stringValue { store.url = url }
            if case .tap = kind, let source = result["source_device"] { store.sourceDevice = source }
        }
    }

    /// Feeds one event; returns true when it completed the component.
    @discardableResult
    func handle(eventType: String, params: JSONValue) -> Bool {
        let waiters = store.withLock { store -> [CheckedContinuation<Void, Never>]? in
            guard !store.completed else { return nil }
            guard Self.apply(kind: kind, eventType: eventType, params: params, to: &store) else { return nil }
            store.completed = true
            defer { store.waiters.removeAll() }
            return store.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume() }
        return true
    }

    /// Updates the store for one event and says whether the operation is complete.
    private static func apply(kind: Kind, eventType: String, params: JSONValue, to store: inout Store) -> Bool {
        switch kind {
        case .dial, .answer, .hangup, .awaitState:
            guard eventType == RelayEventName.callState, let state = params["call_state"]?.stringValue else { return false }
            store.state = state
            let event = RelayEvent(name: state, payload: params)
            switch kind {
            case .dial:
                guard ["answered", "ending", "ended"].contains(state) else { return false }
                store.event = event
                store.successful = state == "answered"
            case .answer:
                guard ["answered", "ending", "ended"].contains(state) else { return false }
                store.event = event
                store.successful = true
            case .hangup:
                guard state == "ended" else { return false }
                store.event = event
                store.endReason = params["end_reason"]?.stringValue
                store.successful = true
            case .awaitState(let states):
                guard let reached = CallState(rawValue: state) else { return false }
                let passed = states.contains(where: { reached.index >= $0.index })
                let endedFirst = (reached == .ending || reached == .ended) && !states.contains(where: { $0 == .ending || $0 == .ended })
                if passed && !endedFirst {
                    // Reached, or went past (an inbound call may never ring).
                    store.event = event
                    store.successful = true
                } else if reached == .ended {
                    // The call ended before reaching any awaited state.
                    store.event = event
                    store.successful = false
                } else {
                    return false
                }
            default: return false
            }
            return true

        case .connect, .disconnect:
            guard eventType == RelayEventName.callConnect, let state = params["connect_state"]?.stringValue else { return false }
            store.state = state
            guard state != "connecting" else { return false }
            store.event = RelayEvent(name: state, payload: params)
            if case .connect = kind {
                store.successful = state == "connected"
                store.peerCallID = state == "connected" ? params["peer"]?["call_id"]?.stringValue : nil
            } else {
                store.successful = state == "disconnected"
            }
            return true

        case .play, .record, .sendDigits, .tap:
            guard let state = params["state"]?.stringValue else { return false }
            store.state = state
            let event = RelayEvent(name: state, payload: params)
            switch kind {
            case .play:
                guard state != "playing" else { return false }
                store.event = event
                store.successful = state == "finished"
            case .record:
                guard state != "recording" else { return false }
                store.event = event
                store.successful = state == "finished"
                store.url = params["url"]?.stringValue ?? store.url
                store.duration = params["duration"]?.doubleValue
                store.size = params["size"]?.intValue
            case .sendDigits:
                store.event = event
                store.successful = state == "finished"
            case .tap:
                if let tap = params["tap"] { store.tap = tap }
                if let device = params["device"] { store.destinationDevice = device }
                guard state == "finished" else { return false }
                store.event = event
                store.successful = true
            default: return false
            }
            return true

        case .prompt:
            guard let result = params["result"] else { return false }
            let collect = CollectResult(json: result)
            store.event = RelayEvent(name: collect.type, payload: result)
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

        case .fax:
            guard let fax = params["fax"], let type = fax["type"]?.stringValue else { return false }
            store.state = type
            guard type != "page" else { return false }
            store.event = RelayEvent(name: type, payload: fax)
            let faxParams = fax["params"] ?? .object([:])
            store.successful = faxParams["success"]?.boolValue ?? false
            store.faxParams = store.successful ? faxParams : nil
            return true

        case .detect(let waitForBeep, let blocking):
            guard let detect = params["detect"], let value = detect["params"]?["event"]?.stringValue else { return false }
            let type = detect["type"]?.stringValue ?? ""
            store.detectType = type
            store.state = value
            let event = RelayEvent(name: value, payload: detect)
            if value == "finished" || value == "error" {
                store.event = event
                store.successful = blocking ? false : value != "error"
                store.detectResult = blocking ? value : store.detectEvents.joined(separator: ",")
                return true
            }
            if !blocking {
                store.detectEvents.append(value)
                return false
            }
            if type == "digit" {
                store.event = event
                store.successful = true
                store.detectResult = value
                return true
            }
            if store.waitingForBeep {
                guard value == "READY" else { return false }
                store.event = event
                store.successful = true
                store.detectResult = "MACHINE"
                return true
            }
            if waitForBeep && value == "MACHINE" {
                store.waitingForBeep = true
                return false
            }
            guard ["MACHINE", "HUMAN", "UNKNOWN", "CED", "CNG"].contains(value) else { return false }
            store.event = event
            store.successful = true
            store.detectResult = value
            return true
        }
    }
}
