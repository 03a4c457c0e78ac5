import Foundation
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
        /// Multi-device dials waiting for `calling.call.dial`, by tag.
        var dials: [String: PendingDial] = [:]
    }

    /// A `calling.dial` in flight: the operation and the legs Relay announced with its tag.
    private final class PendingDial: Sendable {
        let component: Component
        let legs = Mutex<[Call]>([])
        init(component: Component) { self.component = component }
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

    /// Dials several devices and returns the first to answer: the outer array is tried in
    /// series, the devices of each inner array ring in parallel (`calling.dial`; on Relay v2
    /// sent through `blade.execute`, as Node 2.4+ does). When a device answers, Relay hangs up
    /// the other devices of its group (`cancel`); a group nobody answers ends before the next
    /// one rings.
    ///
    ///     let result = try await client.calling.dial(devices: [
    ///         [.phone(to: "+15550001111", from: "+15550009999")],
    ///         [.sip(to: "sip:desk@example.com", from: "sip:bot@example.com"), .webrtc(to: "agent-7", from: "sip:bot@example.com")],
    ///     ])
    ///     if let call = result.call { try await call.playTTS(text: "Hello") }
    ///
    /// - Parameters:
    ///   - devices: groups tried in series; the devices of a group ring in parallel. A phone
    ///     device without `from` is sent without `from_number`.
    ///   - maxDuration: minutes the answered call may last; nil for no limit.
    ///   - region: the region to dial from; Relay's default when nil.
    /// - Returns: the winning call (answered) and every leg with how it ended. Unsuccessful,
    ///   with no call, when every device failed or Relay refused the command.
    public func dial(devices: [[CallDevice]], maxDuration: Int? = nil, region: String? = nil) async throws -> MultiDialResult {
        let tag = UUID().uuidString.lowercased()
        let command = DialCommand(
            tag: tag, devices: devices.map { group in group.map { $0.wire(defaultFrom: nil, defaultTimeout: nil) } }, maxDuration: maxDuration,
            region: region)
        let pending = PendingDial(component: Component(kind: .multiDial, controlID: tag))
        registry.withLock { $0.dials[tag] = pending }
        defer { _ = registry.withLock { $0.dials.removeValue(forKey: tag) } }
        do {
            _ = try await session.execute(RelayMethod.dial, params: command.json)
        } catch let error as RelayError where error.isCommandFailure {
            logger.debug("dial refused", metadata: ["tag": "\(tag)", "error": "\(error)"])
            return MultiDialResult(successful: false, event: nil, call: nil, legs: [])
        }
        try await pending.component.waitForCompletion()
        let store = pending.component.snapshot
        let legs = pending.legs.withLock { $0 }
        let winner = store.successful ? legs.first { $0.id == store.peerCallID } : nil
        let reports = legs.map { leg in
            DialLeg(
                callID: leg.id ?? "", device: leg.dialDevice ?? CallDevice(callType: leg.callType, to: leg.to, from: leg.from, timeout: leg.timeout),
                winner: leg === winner, state: leg.state, endReason: leg.endReason)
        }
        return MultiDialResult(successful: winner != nil, event: store.event, call: winner, legs: reports)
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

    /// Stops tracking a call this client gave away (`pass()`): it gets no more events.
    func release(_ call: Call) { forget(call) }

    /// Stops tracking a call that ended or is gone.
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
        let (calls, dials) = registry.withLock { registry -> ([Call], [PendingDial]) in
            defer {
                registry.byID.removeAll()
                registry.byTag.removeAll()
                registry.dials.removeAll()
            }
            var unique: [ObjectIdentifier: Call] = [:]
            for call in Array(registry.byID.values) + Array(registry.byTag.values) { unique[ObjectIdentifier(call)] = call }
            return (Array(unique.values), Array(registry.dials.values))
        }
        session.instruments.liveCalls.record(0)
        for call in calls { call.abandon(reason: reason) }
        // A dial whose events went with the old session fails now rather than never.
        for dial in dials { dial.component.terminate() }
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
        case .dial(let dial):
            handleDial(dial)
        case .refer(let refer):
            guard let call = call(id: refer.callID) else { return }
            call.handleRefer(refer)
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

    /// `calling.call.dial`, found by the dial's tag: either a multi-device dial
    /// (``dial(devices:maxDuration:region:)``, on both generations), or a single-device
    /// ``Call/dial()`` sent as v3 `calling.dial`, whose leg is the `Call` itself.
    private func handleDial(_ event: DialEvent) {
        if let dial = registry.withLock({ $0.dials[event.tag] }) {
            if event.state == "answered", let winner = event.call, !dial.legs.withLock({ $0.contains { $0.id == winner.callID } }) {
                // The winner's state events never came (or come later): it is answered.
                let leg = dialLeg(callID: winner.callID, nodeID: winner.nodeID, device: winner.device, state: .answered)
                dial.legs.withLock { $0.append(leg) }
            }
            dial.component.handle(.dial(event))
            return
        }
        guard let call = registry.withLock({ $0.byTag[event.tag] }) else {
            logger.debug("ignoring calling.call.dial for an unknown tag", metadata: ["tag": "\(event.tag)"])
            return
        }
        switch event.state {
        case "answered":
            // The leg's own state events complete `dial()`; this only names it if they are late.
            guard let winner = event.call, call.id == nil else { return }
            call.adopt(id: winner.callID, nodeID: winner.nodeID)
            registry.withLock { $0.byID[winner.callID] = call }
        case "failed":
            // A dial can fail without any leg event (nothing rang): end the call so `dial()` returns.
            guard !call.ended else { return }
            forget(call)
            call.abandon(reason: CallEndReason.error.rawValue)
        default:
            break
        }
    }

    private func dialLeg(callID: String, nodeID: String?, device: Device?, state: CallState?) -> Call {
        let leg = Call(
            calling: self, callType: device?.type ?? "phone", from: device?.from ?? "", to: device?.to ?? "", timeout: device?.timeout,
            direction: "outbound", id: callID, nodeID: nodeID, state: state, device: device.map(CallDevice.init(wire:)))
        track(leg)
        return leg
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
        if call == nil, let tag = event.tag, let dial = registry.withLock({ $0.dials[tag] }), !dial.component.isCompleted {
            // A leg of a pending multi-device dial: Relay names it by the dial's tag. Legs seen
            // after the dial completed are not this client's (Py3 drops them too).
            let leg = dialLeg(callID: event.callID, nodeID: event.nodeID, device: event.device, state: nil)
            dial.legs.withLock { $0.append(leg) }
            call = leg
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
