import RelayWire

// The call engine: the state machine of every call and the calling.* commands.
extension RelayHub {
    /// Dispatches a `calling.*` method; `nil` for an unknown method.
    func executeCallCommand(_ method: String, _ params: JSONValue, session: SessionRecord) -> CommandOutcome? {
        switch method {
        case RelayMethod.begin: return begin(params, session: session)
        case RelayMethod.answer: return withCall(params, session) { self.answer($0) }
        case RelayMethod.end:
            return withCall(params, session) { call in
                let reason = params["reason"]?.stringValue ?? "hangup"
                return .ok("Hanging up call", after: { self.endCall(call, reason: reason, notifyRemote: false) })
            }
        case RelayMethod.connect: return withCall(params, session) { self.connect($0, params) }
        case RelayMethod.disconnect: return withCall(params, session) { self.disconnect($0) }
        case RelayMethod.play: return withCall(params, session) { self.play($0, params) }
        case RelayMethod.playStop: return withComponent(params, session, .play) { self.stopComponent($0, $1) }
        case RelayMethod.playPause: return withComponent(params, session, .play) { self.pausePlay($0, $1, pause: true) }
        case RelayMethod.playResume: return withComponent(params, session, .play) { self.pausePlay($0, $1, pause: false) }
        case RelayMethod.playVolume, RelayMethod.playAndCollectVolume:
            let kind: ComponentKind = method == RelayMethod.playVolume ? .play : .collect
            return withComponent(params, session, kind) { call, controlID in
                guard let volume = params["volume"]?.doubleValue else { return .failure("400", "Missing 'volume' (number)") }
                call.components[controlID]?.volume = volume
                call.log(self.clock.now, kind.rawValue, "volume set to \(volume)")
                return .ok("Volume set")
            }
        case RelayMethod.playAndCollect: return withCall(params, session) { self.playAndCollect($0, params) }
        case RelayMethod.playAndCollectStop: return withComponent(params, session, .collect) { self.stopComponent($0, $1) }
        case RelayMethod.record: return withCall(params, session) { self.record($0, params) }
        case RelayMethod.recordStop: return withComponent(params, session, .record) { self.stopComponent($0, $1) }
        case RelayMethod.detect: return withCall(params, session) { self.detect($0, params) }
        case RelayMethod.detectStop: return withComponent(params, session, .detect) { self.stopComponent($0, $1) }
        case RelayMethod.sendFax: return withCall(params, session) { self.fax($0, params, sending: true) }
        case RelayMethod.sendFaxStop: return withComponent(params, session, .sendFax) { self.stopComponent($0, $1) }
        case RelayMethod.receiveFax: return withCall(params, session) { self.fax($0, params, sending: false) }
        case RelayMethod.receiveFaxStop: return withComponent(params, session, .receiveFax) { self.stopComponent($0, $1) }
        case RelayMethod.sendDigits: return withCall(params, session) { self.sendDigits($0, params) }
        case RelayMethod.tap: return withCall(params, session) { self.tap($0, params) }
        case RelayMethod.tapStop: return withComponent(params, session, .tap) { self.stopComponent($0, $1) }
        case RelayMethod.pass:
            return withCall(params, session) { call in
                guard call.direction == "inbound", call.state < .answered, let context = call.context else {
                    return .failure("400", "Only an unanswered inbound call can be passed")
                }
                return .ok("Call passed", after: { self.offerInbound(call, context: context, excluding: session.id) })
            }
        default:
            return nil
        }
    }

    // MARK: - Lookup helpers

    private func withCall(_ params: JSONValue, _ session: SessionRecord, _ body: (CallRecord) -> CommandOutcome) -> CommandOutcome {
        guard let callID = params["call_id"]?.stringValue else { return .failure("400", "Missing 'call_id'") }
        guard let call = calls[callID], call.project.id == session.project.id, call.state != .ended else { return .noCall }
        if call.owner != session.id {
            // A reconnected client (new session) keeps driving its calls: events follow it.
            call.owner = session.id
        }
        if call.isOver { return .failure("404", "Call does not exist (it is ending)") }
        return body(call)
    }

    private func withComponent(
        _ params: JSONValue, _ session: SessionRecord, _ kind: ComponentKind, _ body: (CallRecord, String) -> CommandOutcome
    ) -> CommandOutcome {
        withCall(params, session) { call in
            guard let controlID = params["control_id"]?.stringValue else { return .failure("400", "Missing 'control_id'") }
            guard let component = call.components[controlID], component.kind == kind, !component.done else { return .noComponent }
            return body(call, controlID)
        }
    }

    // MARK: - Events

    func stateParams(_ call: CallRecord) -> [String: JSONValue] {
        var params: [String: JSONValue] = [
            "call_state": .string(call.state.rawValue), "direction": .string(call.direction), "device": call.device,
            "call_id": .string(call.id), "node_id": .string(call.nodeID),
        ]
        if let tag = call.tag { params["tag"] = .string(tag) }
        if let reason = call.endReason, call.state >= .ending { params["end_reason"] = .string(reason) }
        if let peer = call.parent ?? call.bridgedWith, let other = calls[peer] {
            params["peer"] = ["call_id": .string(other.id), "node_id": .string(other.nodeID)]
        }
        if let context = call.context { params["context"] = .string(context) }
        return params
    }

    func emit(_ call: CallRecord, _ eventType: String, _ params: [String: JSONValue]) {
        guard let owner = call.owner else { return }
        broadcast(to: owner, event: RelayEventName.calling, notification: ["event_type": .string(eventType), "params": .object(params)])
    }

    func setState(_ call: CallRecord, _ state: CallState, reason: String? = nil) {
        call.state = state
        if let reason { call.endReason = reason }
        call.log(clock.now, "state", reason.map { "\(state.rawValue) (\($0))" } ?? state.rawValue, ["call_state": .string(state.rawValue)])
        emit(call, RelayEventName.callState, stateParams(call))
    }

    func emitComponent(_ call: CallRecord, _ eventType: String, _ controlID: String, _ members: [String: JSONValue]) {
        var params = members
        params["control_id"] = .string(controlID)
        params["call_id"] = .string(call.id)
        params["node_id"] = .string(call.nodeID)
        emit(call, eventType, params)
    }

    func remember(_ call: CallRecord) {
        calls[call.id] = call
        callOrder.append(call.id)
        let limit = configuration.callHistoryLimit
        if callOrder.count > limit {
            var index = 0
            while callOrder.count > limit && index < callOrder.count {
                if let old = calls[callOrder[index]], old.state == .ended {
                    calls[old.id] = nil
                    callOrder.remove(at: index)
                } else {
                    index += 1
                }
            }
        }
    }

    // MARK: - Creating calls

    func begin(_ params: JSONValue, session: SessionRecord) -> CommandOutcome {
        guard let device = params["device"], device.objectValue != nil else { return .failure("400", "Missing 'device'") }
        guard let to = device[path: "params", "to_number"]?.stringValue ?? device[path: "params", "to"]?.stringValue, !to.isEmpty else {
            return .failure("400", "Missing 'device.params.to_number'")
        }
        let from = device[path: "params", "from_number"]?.stringValue ?? device[path: "params", "from"]?.stringValue ?? ""
        let call = CallRecord(
            id: Self.newID(), nodeID: Self.newID(), project: session.project, owner: session.id, direction: "outbound",
            tag: params["tag"]?.stringValue, device: device, from: from, to: to, context: nil, behavior: world.behavior(of: to),
            createdAt: clock.now)
        remember(call)
        call.log(clock.now, "command", "calling.begin to \(to)", params)
        let timeout = device[path: "params", "timeout"]?.doubleValue ?? 30
        return .ok(
            "Call started", ["call_id": .string(call.id), "node_id": .string(call.nodeID)],
            after: {
                self.setState(call, .created)
                self.dialOut(call, timeout: timeout) { _ in }
            })
    }

    /// Rings an outbound call (a dial or a connect leg) and resolves it per the far end's
    /// behaviour. `resolved(true)` once answered, `resolved(false)` when it ended unanswered.
    func dialOut(_ call: CallRecord, timeout: Double, resolved: @escaping @Sendable (Bool) -> Void) {
        let callID = call.id
        switch call.behavior.answer {
        case .fail:
            schedule(after: 0.2) { hub in
                guard let call = hub.calls[callID], !call.isOver else { return }
                hub.endCall(call, reason: "error", notifyRemote: false)
                resolved(false)
            }
            return
        case .busy:
            setState(call, .ringing)
            schedule(after: min(world.ringSeconds, timeout)) { hub in
                guard let call = hub.calls[callID], !call.isOver else { return }
                hub.endCall(call, reason: "busy", notifyRemote: false)
                resolved(false)
            }
        case .never:
            setState(call, .ringing)
            schedule(after: timeout) { hub in
                guard let call = hub.calls[callID], !call.isOver else { return }
                hub.endCall(call, reason: "noAnswer", notifyRemote: false)
                resolved(false)
            }
        case .afterRings(let rings):
            setState(call, .ringing)
            let ringTime = Double(rings) * world.ringSeconds
            if ringTime > timeout {
                schedule(after: timeout) { hub in
                    guard let call = hub.calls[callID], !call.isOver else { return }
                    hub.endCall(call, reason: "noAnswer", notifyRemote: false)
                    resolved(false)
                }
            } else {
                schedule(after: ringTime) { hub in
                    guard let call = hub.calls[callID], !call.isOver, call.state < .answered else { return }
                    resolved(true)
                    if call.parent == nil { hub.markAnswered(call) }
                }
            }
        }
    }

    /// Moves a call to `answered` and starts the far end's own timers (hang up after N s).
    func markAnswered(_ call: CallRecord) {
        guard call.state < .answered else { return }
        call.answeredAt = clock.now
        setState(call, .answered)
        if let after = call.behavior.hangupAfter {
            let callID = call.id
            schedule(after: after) { hub in
                guard let call = hub.calls[callID], !call.isOver else { return }
                call.log(hub.clock.now, "note", "the far end hung up")
                hub.endCall(call, reason: "hangup", notifyRemote: false)
            }
        }
    }

    /// Creates an inbound call (lab API / tests) and offers it to one session on `context`.
    func injectCall(project: RelayProject, from: String, to: String, context: String, behavior: PartyBehavior, ringTimeout: Double) -> CallSnapshot {
        let device: JSONValue = ["type": "phone", "params": ["from_number": .string(from), "to_number": .string(to)]]
        let call = CallRecord(
            id: Self.newID(), nodeID: Self.newID(), project: project, owner: nil, direction: "inbound", tag: nil, device: device,
            from: from, to: to, context: context, behavior: behavior, createdAt: clock.now)
        remember(call)
        call.log(clock.now, "state", "created (inbound from \(from) to \(to), context \(context))", behavior.json)
        offerInbound(call, context: context, excluding: nil)
        let callID = call.id
        schedule(after: ringTimeout) { hub in
            guard let call = hub.calls[callID], call.state < .answered else { return }
            call.log(hub.clock.now, "note", "nobody answered within \(ringTimeout)s")
            hub.endCall(call, reason: "noAnswer", notifyRemote: false)
        }
        return call.snapshot
    }

    func offerInbound(_ call: CallRecord, context: String, excluding: String?) {
        let candidates = pickSession(project: call.project.id, context: context, excluding: excluding)
        guard let session = candidates else {
            call.owner = nil
            call.log(clock.now, "note", "no consumer is receiving context '\(context)'; ringing until timeout")
            return
        }
        call.owner = session.id
        call.log(clock.now, "note", "offered to session \(session.id)")
        call.log(clock.now, "state", "ringing", ["call_state": "ringing"])
        emit(
            call, RelayEventName.callReceive,
            [
                "call_state": "created", "context": .string(context), "device": call.device, "direction": "inbound",
                "call_id": .string(call.id), "node_id": .string(call.nodeID),
            ])
        call.state = .ringing
    }

    func pickSession(project: String, context: String, excluding: String?) -> SessionRecord? {
        guard let excluding else { return pickSession(project: project, context: context) }
        for _ in 0..<max(1, sessions.count) {
            guard let candidate = pickSession(project: project, context: context) else { return nil }
            if candidate.id != excluding { return candidate }
        }
        return nil
    }

    func answer(_ call: CallRecord) -> CommandOutcome {
        .ok(
            "Answering call",
            after: {
                if call.state >= .answered {
                    self.emit(call, RelayEventName.callState, self.stateParams(call))
                } else {
                    self.markAnswered(call)
                }
            })
    }

    // MARK: - Ending

    /// Ends a call: terminal events for its components, its bridge and pending connect legs,
    /// then `ending` and `ended` with `end_reason`.
    func endCall(_ call: CallRecord, reason: String, notifyRemote: Bool) {
        guard !call.isOver else { return }
        for controlID in call.components.keys.sorted() where call.components[controlID]?.done == false {
            terminateComponent(call, controlID, byHangup: true)
        }
        if var attempt = call.connect {
            call.connect = nil
            attempt.token += 1
            for legID in attempt.legs { if let leg = calls[legID] { endCall(leg, reason: "cancel", notifyRemote: false) } }
        }
        call.state = .ending
        call.endReason = reason
        // A call that was never answered goes straight to `ended` (busy, noAnswer, error, cancel):
        // the SDKs complete a dial on the first of answered/ending/ended and read busy/failed
        // from the `ended` event.
        if call.answeredAt != nil {
            call.log(clock.now, "state", "ending (\(reason))", ["call_state": "ending", "end_reason": .string(reason)])
            emit(call, RelayEventName.callState, stateParams(call))
        }
        if let otherID = call.bridgedWith, let other = calls[otherID] {
            call.bridgedWith = nil
            other.bridgedWith = nil
            if other.parent == call.id {
                // The parent hung up: its leg goes too.
                endCall(other, reason: "hangup", notifyRemote: false)
            } else if call.parent == other.id {
                // A leg hung up: the parent is unbridged.
                other.log(clock.now, "connect", "disconnected (peer \(call.id) hung up)")
                emit(
                    other, RelayEventName.callConnect,
                    ["connect_state": "disconnected", "call_id": .string(other.id), "node_id": .string(other.nodeID), "peer": peerJSON(call)])
            }
        }
        call.state = .ended
        call.log(clock.now, "state", "ended (\(reason))", ["call_state": "ended", "end_reason": .string(reason)])
        emit(call, RelayEventName.callState, stateParams(call))
    }

    func peerJSON(_ call: CallRecord) -> JSONValue {
        ["call_id": .string(call.id), "node_id": .string(call.nodeID), "device": call.device]
    }

    // MARK: - Connect

    func connect(_ call: CallRecord, _ params: JSONValue) -> CommandOutcome {
        guard let rawGroups = params["devices"]?.arrayValue, !rawGroups.isEmpty else {
            return .failure("400", "Missing 'devices' (array of arrays of devices)")
        }
        var groups: [[JSONValue]] = []
        for entry in rawGroups {
            let group = entry.arrayValue ?? [entry]
            for device in group {
                guard device["type"]?.stringValue != nil, device["params"]?.objectValue != nil else {
                    return .failure("400", "Invalid device: each device needs 'type' and 'params'")
                }
                guard device[path: "params", "to_number"]?.stringValue ?? device[path: "params", "to"]?.stringValue != nil else {
                    return .failure("400", "Invalid device: 'params.to_number' is required")
                }
            }
            if !group.isEmpty { groups.append(group) }
        }
        guard !groups.isEmpty else { return .failure("400", "Missing devices") }
        guard call.connect == nil, call.bridgedWith == nil else { return .failure("400", "Call is already connecting or connected") }
        guard call.state == .answered else { return .failure("400", "Call is not answered") }
        let ringback = params["ringback"]
        return .ok(
            "Connecting call",
            after: {
                call.connect = ConnectAttempt(groups: groups)
                call.log(self.clock.now, "connect", "connecting: \(groups.count) device group(s) in series")
                if let ringback {
                    let media = ringback.arrayValue ?? [ringback]
                    call.log(self.clock.now, "play", "ringback: " + media.map(MediaRules.describe).joined(separator: ", "))
                }
                self.emit(
                    call, RelayEventName.callConnect,
                    ["connect_state": "connecting", "call_id": .string(call.id), "node_id": .string(call.nodeID)].merging(
                        call.tag.map { ["tag": .string($0)] } ?? [:]) { first, _ in first })
                self.startConnectGroup(call)
            })
    }

    func startConnectGroup(_ call: CallRecord) {
        guard var attempt = call.connect, !call.isOver else { return }
        guard attempt.groupIndex < attempt.groups.count else {
            call.connect = nil
            call.log(clock.now, "connect", "failed: nobody answered")
            emit(call, RelayEventName.callConnect, ["connect_state": "failed", "call_id": .string(call.id), "node_id": .string(call.nodeID)])
            return
        }
        attempt.token += 1
        attempt.legs = []
        let token = attempt.token
        let parentID = call.id
        var legs: [(CallRecord, Double)] = []
        for device in attempt.groups[attempt.groupIndex] {
            let to = device[path: "params", "to_number"]?.stringValue ?? device[path: "params", "to"]?.stringValue ?? ""
            let from = device[path: "params", "from_number"]?.stringValue ?? device[path: "params", "from"]?.stringValue ?? call.from
            let leg = CallRecord(
                id: Self.newID(), nodeID: call.nodeID, project: call.project, owner: call.owner, direction: "outbound", tag: nil,
                device: device, from: from, to: to, context: nil, behavior: world.behavior(of: to), createdAt: clock.now)
            leg.parent = call.id
            remember(leg)
            attempt.legs.append(leg.id)
            legs.append((leg, device[path: "params", "timeout"]?.doubleValue ?? 30))
        }
        call.connect = attempt
        call.log(clock.now, "connect", "dialling " + legs.map { $0.0.to }.joined(separator: " and "), ["legs": .array(legs.map { .string($0.0.id) })])
        for (leg, timeout) in legs {
            setState(leg, .created)
            let legID = leg.id
            dialOut(leg, timeout: timeout) { _ in }
            // The leg's outcome is observed by `watchLeg`.
            schedule(after: 0) { hub in hub.watchLeg(parentID: parentID, legID: legID, token: token) }
        }
    }

    /// Polls a leg on the scaled clock until it answers (bridge) or ends (try the rest).
    func watchLeg(parentID: String, legID: String, token: Int) {
        guard let call = calls[parentID], let attempt = call.connect, attempt.token == token, let leg = calls[legID] else { return }
        if leg.isOver {
            let allOver = attempt.legs.allSatisfy { calls[$0]?.isOver ?? true }
            if allOver {
                call.connect?.groupIndex += 1
                startConnectGroup(call)
            }
            return
        }
        if leg.state == .ringing, leg.answeredAt == nil, legReady(leg) {
            // First answer wins.
            call.connect = nil
            for other in attempt.legs where other != legID {
                if let loser = calls[other] { endCall(loser, reason: "cancel", notifyRemote: false) }
            }
            markAnswered(leg)
            leg.bridgedWith = call.id
            call.bridgedWith = leg.id
            call.log(clock.now, "connect", "connected to \(leg.to) (leg \(leg.id))")
            var params: [String: JSONValue] = [
                "connect_state": "connected", "call_id": .string(call.id), "node_id": .string(call.nodeID), "peer": peerJSON(leg),
            ]
            if let tag = call.tag { params["tag"] = .string(tag) }
            emit(call, RelayEventName.callConnect, params)
            return
        }
        schedule(after: 0.05) { hub in hub.watchLeg(parentID: parentID, legID: legID, token: token) }
    }

    /// A ringing leg is ready to answer once its rings have elapsed.
    func legReady(_ leg: CallRecord) -> Bool {
        guard case .afterRings(let rings) = leg.behavior.answer else { return false }
        return clock.now - leg.createdAt >= Double(rings) * world.ringSeconds
    }

    func disconnect(_ call: CallRecord) -> CommandOutcome {
        if let legID = call.bridgedWith, let leg = calls[legID] {
            return .ok(
                "Disconnecting call",
                after: {
                    call.bridgedWith = nil
                    leg.bridgedWith = nil
                    call.log(self.clock.now, "connect", "disconnected from \(leg.to)")
                    self.emit(
                        call, RelayEventName.callConnect,
                        ["connect_state": "disconnected", "call_id": .string(call.id), "node_id": .string(call.nodeID), "peer": self.peerJSON(leg)])
                    self.endCall(leg, reason: "hangup", notifyRemote: false)
                })
        }
        if let attempt = call.connect {
            return .ok(
                "Disconnecting call",
                after: {
                    call.connect = nil
                    for legID in attempt.legs { if let leg = self.calls[legID] { self.endCall(leg, reason: "cancel", notifyRemote: false) } }
                    call.log(self.clock.now, "connect", "disconnected (connect cancelled)")
                    self.emit(
                        call, RelayEventName.callConnect,
                        ["connect_state": "disconnected", "call_id": .string(call.id), "node_id": .string(call.nodeID)])
                })
        }
        return .failure("400", "Call is not connected")
    }
}
