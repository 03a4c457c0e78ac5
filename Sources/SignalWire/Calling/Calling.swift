import Logging
import RelayWire
import Synchronization

/// The calling API of a client (`Relay.Calling`): outbound calls, and inbound calls on the
/// contexts you receive.
public final class Calling: Sendable {
    private struct Registry {
        var byID: [String: Call] = [:]
        var byTag: [String: Call] = [:]
        var inboundHandlers: [String: @Sendable (Call) -> Void] = [:]
    }

    let session: Session
    let logger: Logger
    private let registry = Mutex(Registry())

    init(session: Session, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Creates an outbound call without starting it, so you can add listeners first.
    public func newCall(callType: String = "phone", from: String, to: String, timeout: Int? = nil) -> Call {
        Call(calling: self, callType: callType, from: from, to: to, timeout: timeout, direction: "outbound")
    }

    /// Makes an outbound call and waits until it is answered or ends.
    public func dial(callType: String = "phone", from: String, to: String, timeout: Int? = nil) async throws -> DialResult {
        try await newCall(callType: callType, from: from, to: to, timeout: timeout).dial()
    }

    /// Calls `handler` for every inbound call on `contexts` (registering them with Relay).
    /// The handler runs on the connection's event loop: hand long work to a task of your own.
    /// `Consumer` does this for you, one child task per call.
    public func receive(contexts: [String], handler: @escaping @Sendable (Call) -> Void) async throws {
        setInboundHandler(contexts: contexts, handler)
        try await session.client?.receive(contexts: contexts)
    }

    func setInboundHandler(contexts: [String], _ handler: @escaping @Sendable (Call) -> Void) {
        registry.withLock { registry in
            for context in contexts { registry.inboundHandlers[context] = handler }
        }
    }

    /// A call this client knows, by Relay call id.
    public func call(id: String) -> Call? {
        registry.withLock { $0.byID[id] }
    }

    /// Calls in progress that this client knows about.
    public var activeCalls: [Call] {
        registry.withLock { Array($0.byID.values) + $0.byTag.values.filter { $0.id == nil } }
    }

    func track(_ call: Call) {
        let live = registry.withLock { registry in
            registry.byTag[call.tag] = call
            if let id = call.id { registry.byID[id] = call }
            return registry.byTag.count
        }
        session.instruments.liveCalls.record(live)
        call.startSpan(session.instruments.tracer)
    }

    func forget(_ call: Call) {
        let live = registry.withLock { registry in
            registry.byTag[call.tag] = nil
            if let id = call.id { registry.byID[id] = nil }
            return registry.byTag.count
        }
        session.instruments.liveCalls.record(live)
    }

    /// A new session that did not resume the old one gets none of its calls' events: fail
    /// their pending operations now instead of letting them wait forever.
    func abandonCalls(reason: String) {
        let calls = registry.withLock { registry -> [Call] in
            defer {
                registry.byID.removeAll()
                registry.byTag.removeAll()
            }
            var unique: [ObjectIdentifier: Call] = [:]
            for call in Array(registry.byID.values) + Array(registry.byTag.values) { unique[ObjectIdentifier(call)] = call }
            return Array(unique.values)
        }
        session.instruments.liveCalls.record(0)
        for call in calls { call.abandon(reason: reason) }
    }

    /// Routes one calling event, decoded once by the session (on the event loop).
    func handle(_ event: CallingEvent) {
        switch event {
        case .receive(let receive):
            handleReceive(receive)
        case .state(let state):
            handleState(state)
        case .connect(let connect):
            guard let call = call(id: connect.callID) else { return }
            let peer = connect.peer.flatMap { self.call(id: $0.callID) }
            call.handleConnect(connect, peerCall: peer)
        case .other(RelayEventName.callDial, let params):
            handleDial(params)
        case .other(let eventType, _):
            logger.debug("ignoring a calling event this SDK does not model", metadata: ["event_type": "\(eventType)"])
        case .play, .collect, .record, .detect, .fax, .tap, .sendDigits:
            guard let callID = event.callID, let call = call(id: callID) else {
                logger.debug("ignoring an event for an unknown call", metadata: ["event_type": "\(event.eventType)"])
                return
            }
            call.handleComponentEvent(event)
        }
    }

    /// `calling.call.dial` (v3 `calling.dial`): the winner's id, or the end of a dial whose legs
    /// all failed, found by the dial's tag.
    private func handleDial(_ params: JSONValue) {
        guard let tag = params["tag"]?.stringValue, let call = registry.withLock({ $0.byTag[tag] }) else { return }
        switch params["dial_state"]?.stringValue {
        case "answered":
            guard let winner = params["call"]?["call_id"]?.stringValue, call.id == nil else { return }
            call.adopt(id: winner, nodeID: params["call"]?["node_id"]?.stringValue)
            registry.withLock { $0.byID[winner] = call }
        case "failed":
            guard !call.ended else { return }
            forget(call)
            call.abandon(reason: CallEndReason.error.rawValue)
        default:
            break
        }
    }

    private func handleReceive(_ event: CallStateEvent) {
        guard let context = event.context else { return }
        let handler = registry.withLock { $0.inboundHandlers[context] }
        guard let handler else {
            logger.debug("no handler for inbound call context", metadata: ["context": "\(context)"])
            return
        }
        let device = event.device
        let call = Call(
            calling: self, callType: device?.type ?? "phone", from: device?.from ?? "", to: device?.to ?? "", timeout: device?.timeout,
            direction: event.direction ?? "inbound", id: event.callID, nodeID: event.nodeID, context: context,
            state: event.callState ?? .created)
        track(call)
        handler(call)
    }

    private func handleState(_ event: CallStateEvent) {
        var call = self.call(id: event.callID)
        if call == nil, let tag = event.tag {
            call = registry.withLock { $0.byTag[tag] }
            if let call {
                call.adopt(id: event.callID, nodeID: event.nodeID)
                registry.withLock { $0.byID[event.callID] = call }
            }
        }
        if call == nil, event.peer != nil {
            // A leg created by connect: Relay announces it with its peer.
            let device = event.device
            let leg = Call(
                calling: self, callType: device?.type ?? "phone", from: device?.from ?? "", to: device?.to ?? "", timeout: device?.timeout,
                direction: event.direction ?? "outbound", id: event.callID, nodeID: event.nodeID, context: event.context)
            track(leg)
            call = leg
        }
        guard let call else {
            logger.debug("ignoring a state event for an unknown call", metadata: ["call_id": "\(event.callID)"])
            return
        }
        // Forget an ended call before its waiters resume, so they never see it still listed.
        if event.callState == .ended { forget(call) }
        call.handleState(event)
    }
}

extension Session {
    /// The client owning this session, for the few calls that need client-level state.
    var client: RelayClient? { clientLookup() }
}
