import RelayWire

/// What the engine reads from the world around it at each step, besides its own state.
struct EngineEnvironment {
    /// Simulated seconds since the server started.
    var now: Double
    var world: SimulatedWorld
    /// `http(s)://host:port` of the server, for recording and fax URLs.
    var baseURL: String
    /// Whether the SIP edge is running: devices it can reach are called for real
    /// (``SimulatedWorld/realSIPURI(for:)``).
    var sipEdgeRunning = false
    /// Picks the session that gets an inbound call for a context, never one of `excluding`
    /// (`nil`: nobody else receives it).
    var pickSession: (_ project: String, _ context: String, _ excluding: Set<String>) -> String?
    /// Mints ids for calls (on this engine's shard) and nodes.
    var newCallID: () -> String
    var newNodeID: () -> String
    /// Orders calls across shards.
    var nextSequence: () -> Int
    /// Ends the real recording `controlID` of a call with real media and hands it over.
    var takeRecording: (_ callID: String, _ controlID: String) -> CallRecorder? = { _, _ in nil }
}

/// The calling state machine: `(state, command or timer, now) -> (state, effects)`. No I/O,
/// no clocks: time comes in with every step, and timers, events and taps go out as effects
/// that a driver (``CallShard``) carries out. Tests drive it directly on a manual clock.
struct CallEngine {
    private(set) var calls: [String: CallRecord] = [:]
    /// Ended calls, oldest first, from `endedHead` on: the ones history may forget.
    private var ended: [String] = []
    private var endedHead = 0
    let historyLimit: Int
    /// Files the server serves (recordings, received faxes), by path under `/files/`.
    private(set) var files: [String: GeneratedFile] = [:]
    private var recordingDurations: [String: Double] = [:]
    private var fileOrder: [(name: String, url: String?)] = []
    private var effects: [EngineEffect] = []
    private var env: EngineEnvironment
    /// Pending `calling.dial`s, by session and tag.
    private(set) var dials: [String: DialAttempt] = [:]

    init(historyLimit: Int, environment: EngineEnvironment) {
        self.historyLimit = max(1, historyLimit)
        self.env = environment
    }

    static let fileLimit = 2000
    /// Devices one `calling.dial` or `calling.connect` may ring in all (a bound on what one
    /// request can create).
    static let deviceLimit = 100

    // MARK: - Entry points

    /// Runs a calling command for `session`. The result is the reply; the effects follow it.
    mutating func execute(_ command: RelayCommand, session: String, project: RelayProject, _ environment: EngineEnvironment)
        -> (CommandResult, [EngineEffect])
    {
        env = environment
        effects = []
        let result = run(command, session: session, project: project)
        return (result, takeEffects())
    }

    /// Fires a timer the engine asked for earlier.
    mutating func fire(_ timer: EngineTimer, _ environment: EngineEnvironment) -> [EngineEffect] {
        env = environment
        effects = []
        switch timer {
        case .dialOutcome(let callID, let outcome): dialResolved(callID, outcome)
        case .ringTimeout(let callID, let seconds):
            guard let call = calls[callID], call.state < .answered else { break }
            log(callID, "note", "nobody answered within \(seconds)s")
            endCall(callID, reason: "noAnswer")
        case .farEndHangup(let callID):
            guard let call = calls[callID], !call.isOver else { break }
            log(callID, "note", "the far end hung up")
            endCall(callID, reason: "hangup")
        case .maxDuration(let callID):
            guard let call = calls[callID], !call.isOver else { break }
            log(callID, "note", "max_duration reached")
            endCall(callID, reason: "max_duration")
        case .referOutcome(let callID, let state, let notifyCode):
            referResolved(callID, state: state, notifyCode: notifyCode)
        case .component(let callID, let controlID, let token, let step):
            guard let call = calls[callID], !call.isOver, let component = call.components[controlID], !component.done, component.token == token
            else { break }
            runStep(step, callID: callID, controlID: controlID)
        }
        return takeEffects()
    }

    /// Creates an inbound call and offers it to one session receiving `context`.
    mutating func injectCall(
        project: RelayProject, from: String, to: String, context: String, behavior: PartyBehavior, ringTimeout: Double,
        realMedia: Bool = false, _ environment: EngineEnvironment
    ) -> (CallSnapshot, [EngineEffect]) {
        env = environment
        effects = []
        let device = Device.phone(from: from, to: to)
        let id = env.newCallID()
        var call = CallRecord(
            id: id, nodeID: env.newNodeID(), project: project, sequence: env.nextSequence(), owner: nil, direction: "inbound", tag: nil,
            device: device, from: from, to: to, context: context, behavior: behavior, createdAt: env.now)
        call.realMedia = realMedia
        call.log(env.now, "state", "created (inbound from \(from) to \(to), context \(context))" + (realMedia ? " with real media" : ""), behavior.json)
        remember(call)
        offerInbound(id, context: context, excluding: nil)
        effects.append(.timer(after: ringTimeout, .ringTimeout(callID: id, seconds: ringTimeout)))
        return (calls[id]?.snapshot ?? call.snapshot, takeEffects())
    }

    /// A session expired: hang up the calls it owned.
    mutating func sessionExpired(_ sessionID: String, _ environment: EngineEnvironment) -> [EngineEffect] {
        env = environment
        effects = []
        // Its dials stop here: no further group is rung for a session that is gone.
        for key in dials.keys.sorted() where dials[key]?.owner == sessionID { dials[key] = nil }
        let owned = calls.values.filter { $0.owner == sessionID && !$0.isOver }.sorted { $0.sequence < $1.sequence }.map(\.id)
        for id in owned {
            log(id, "note", "owner session expired; hanging up")
            endCall(id, reason: "hangup")
        }
        return takeEffects()
    }

    /// Stops every tap (server shutdown).
    func allTapKeys() -> [String] {
        calls.values.flatMap { call in call.components.values.filter { $0.kind == .tap && !$0.done }.map { tapKey(call.id, $0.controlID) } }
    }

    func snapshot(of id: String) -> CallSnapshot? { calls[id]?.snapshot }

    func snapshots(project: String?) -> [(Int, CallSnapshot)] {
        calls.values.filter { project == nil || $0.project.id == project }.sorted { $0.sequence < $1.sequence }.map { ($0.sequence, $0.snapshot) }
    }

    func file(named name: String) -> GeneratedFile? { files[name] }

    /// Whether the call has a real media leg (SIP): its timers run on real time.
    func hasRealMedia(_ callID: String) -> Bool { calls[callID]?.realMedia == true }

    /// Whether this engine made the recording or fax at `url` (for media durations).
    func recordingDuration(url: String) -> Double? { recordingDurations[url] }

    private mutating func takeEffects() -> [EngineEffect] {
        defer { effects = [] }
        return effects
    }

    // MARK: - Commands

    private mutating func run(_ command: RelayCommand, session: String, project: RelayProject) -> CommandResult {
        if case .begin(let begin) = command { return self.begin(begin, session: session, project: project) }
        if case .dial(let dial) = command { return self.dial(dial, session: session, project: project) }
        guard let callID = command.callID else { return .failure("400", "Missing 'call_id'") }
        // Fields are read in place: holding a copy of the record while mutating it would copy
        // its timeline and components on every command.
        guard calls[callID]?.project.id == project.id, let state = calls[callID]?.state else { return Self.noCall }
        // Ended (or ending) calls are "gone" (410), unknown ones 404: v3 clients treat both as
        // no-ops, v2 clients as failures (RELAY-V3.md §12.9).
        if state == .ended { return Self.callGone }
        if calls[callID]?.owner != session { moveOwnership(of: callID, to: session) }
        if state.isOver { return Self.callGone }
        switch command {
        case .begin, .dial, .receive, .messagingSend: return .failure("400", "Not a calling command")
        case .answer: return answer(callID)
        case .end(let end):
            endCall(callID, reason: end.reason)
            return .ok("Hanging up call")
        case .connect(let connect): return self.connect(callID, connect)
        case .disconnect: return disconnect(callID)
        case .pass:
            guard calls[callID]?.direction == "inbound", state < .answered, let context = calls[callID]?.context else {
                return .failure("400", "Only an unanswered inbound call can be passed")
            }
            log(callID, "pass", "passed by session \(session)")
            calls[callID]?.passedBy.append(session)
            offerInbound(callID, context: context, excluding: session)
            return .ok("Passing call")
        case .refer(let refer): return self.refer(callID, refer)
        case .play(let play): return self.play(callID, play)
        case .playAndCollect(let prompt): return self.prompt(callID, prompt)
        case .record(let record): return self.record(callID, record)
        case .detect(let detect): return self.detect(callID, detect)
        case .sendFax(let fax): return self.fax(callID, controlID: fax.component.controlID, sendDocument: fax.document)
        case .receiveFax(let address): return self.fax(callID, controlID: address.controlID, sendDocument: nil)
        case .sendDigits(let digits): return sendDigits(callID, digits)
        case .tap(let tap): return self.tap(callID, tap)
        case .control(let kind, let control, let address): return self.control(callID, kind, control, controlID: address.controlID)
        }
    }

    /// A reconnected client (new session) keeps driving its calls: events of the call and of
    /// its connect legs follow it.
    private mutating func moveOwnership(of callID: String, to session: String) {
        calls[callID]?.owner = session
        var legs = calls[callID]?.connect?.legs ?? []
        if let bridged = calls[callID]?.bridgedWith, calls[bridged]?.parent == callID { legs.append(bridged) }
        for leg in legs { calls[leg]?.owner = session }
    }

    static let noCall = CommandResult.failure("404", "Call does not exist")
    static let callGone = CommandResult.failure("410", "Call has ended")
    static let noComponent = CommandResult.failure("404", "Component does not exist")

    // MARK: - Events

    private func stateEvent(_ call: CallRecord) -> CallStateEvent {
        var peer: PeerInfo?
        if let peerID = call.parent ?? call.bridgedWith, let other = calls[peerID] { peer = PeerInfo(callID: other.id, nodeID: other.nodeID) }
        return CallStateEvent(
            callID: call.id, nodeID: call.nodeID, tag: call.tag, state: call.state.rawValue, direction: call.direction, device: call.device,
            endReason: call.state >= .ending ? call.endReason : nil, peer: peer, context: call.context)
    }

    private mutating func emit(_ callID: String, _ event: CallingEvent) {
        guard let owner = calls[callID]?.owner else { return }
        effects.append(.event(session: owner, event))
    }

    private mutating func emitState(_ callID: String) {
        guard let call = calls[callID] else { return }
        emit(callID, .state(stateEvent(call)))
    }

    private mutating func setState(_ callID: String, _ state: CallState) {
        guard var call = calls[callID] else { return }
        call.state = state
        call.log(env.now, "state", state.rawValue, ["call_state": .string(state.rawValue)])
        calls[callID] = call
        emitState(callID)
    }

    private mutating func log(_ callID: String, _ kind: String, _ text: String, _ data: JSONValue = .object([:])) {
        calls[callID]?.log(env.now, kind, text, data)
    }

    private func address(_ callID: String, _ controlID: String) -> ComponentEventAddress {
        ComponentEventAddress(callID: callID, nodeID: calls[callID]?.nodeID, controlID: controlID)
    }

    /// Keeps a new call; beyond ``historyLimit`` calls the oldest ended ones are forgotten
    /// (live calls never are), in constant time per call.
    private mutating func remember(_ call: CallRecord) {
        calls[call.id] = call
        while calls.count > historyLimit, endedHead < ended.count {
            calls[ended[endedHead]] = nil
            endedHead += 1
        }
        if endedHead > 1024, endedHead * 2 > ended.count {
            ended.removeFirst(endedHead)
            endedHead = 0
        }
    }

    // MARK: - Creating and answering calls

    private mutating func begin(_ command: BeginCommand, session: String, project: RelayProject) -> CommandResult {
        guard let to = command.device.to, !to.isEmpty else { return .failure("400", "Missing 'device.params.to_number'") }
        let id = env.newCallID()
        var call = CallRecord(
            id: id, nodeID: env.newNodeID(), project: project, sequence: env.nextSequence(), owner: session, direction: "outbound",
            tag: command.tag, device: command.device, from: command.device.from ?? "", to: to, context: nil,
            behavior: env.world.behavior(of: to), createdAt: env.now)
        call.log(env.now, "command", "calling.begin to \(to)", command.json)
        let nodeID = call.nodeID
        remember(call)
        setState(id, .created)
        dialOut(id, timeout: Double(command.device.timeout ?? 30))
        return .ok("Call started", ["call_id": .string(id), "node_id": .string(nodeID)])
    }

    /// Rings an outbound call (a dial or a connect leg) and schedules its outcome.
    private mutating func dialOut(_ callID: String, timeout: Double) {
        guard let call = calls[callID] else { return }
        if env.sipEdgeRunning, let uri = env.world.realSIPURI(for: call.device) {
            // A real phone: the SIP edge rings it (real time) and reports the outcome; its
            // media verbs use the real audio.
            calls[callID]?.realMedia = true
            setState(callID, .ringing)
            log(callID, "sip", "INVITE \(uri) (real SIP call, cancelled after \(timeout)s)")
            effects.append(.sipInvite(callID: callID, uri: uri, from: call.from, timeout: timeout))
            return
        }
        let ring = env.world.ringSeconds
        switch call.behavior.answer {
        case .fail:
            effects.append(.timer(after: 0.2, .dialOutcome(callID: callID, .failure)))
        case .busy:
            setState(callID, .ringing)
            effects.append(.timer(after: min(ring, timeout), .dialOutcome(callID: callID, .busy)))
        case .never:
            setState(callID, .ringing)
            effects.append(.timer(after: timeout, .dialOutcome(callID: callID, .noAnswer)))
        case .afterRings(let rings):
            setState(callID, .ringing)
            let ringTime = Double(rings) * ring
            if ringTime > timeout {
                effects.append(.timer(after: timeout, .dialOutcome(callID: callID, .noAnswer)))
            } else {
                effects.append(.timer(after: ringTime, .dialOutcome(callID: callID, .answer)))
            }
        }
    }

    private mutating func dialResolved(_ callID: String, _ outcome: DialOutcome) {
        guard let call = calls[callID], !call.isOver else { return }
        switch outcome {
        case .failure: endCall(callID, reason: "error")
        case .busy: endCall(callID, reason: "busy")
        case .noAnswer: endCall(callID, reason: "noAnswer")
        case .answer:
            guard call.state < .answered else { return }
            if let parent = call.parent {
                legAnswered(parentID: parent, legID: callID)
            } else if let dial = call.dial {
                dialLegAnswered(dial, legID: callID)
            } else {
                markAnswered(callID)
            }
        }
    }

    /// Moves a call to `answered` and starts the far end's own timers (hang up after N s).
    private mutating func markAnswered(_ callID: String) {
        guard var call = calls[callID], call.state < .answered else { return }
        call.answeredAt = env.now
        calls[callID] = call
        setState(callID, .answered)
        if let after = call.behavior.hangupAfter { effects.append(.timer(after: after, .farEndHangup(callID: callID))) }
        if let limit = call.maxDuration, limit > 0 { effects.append(.timer(after: limit, .maxDuration(callID: callID))) }
    }

    private mutating func offerInbound(_ callID: String, context: String, excluding: String?) {
        guard var call = calls[callID] else { return }
        // Sessions that passed the call are not offered it again.
        var excluded = Set(call.passedBy)
        if let excluding { excluded.insert(excluding) }
        guard let session = env.pickSession(call.project.id, context, excluded) else {
            call.owner = nil
            let nobody = call.passedBy.isEmpty ? "no consumer is receiving" : "no other consumer is receiving"
            call.log(env.now, "note", "\(nobody) context '\(context)'; ringing until timeout")
            calls[callID] = call
            return
        }
        call.owner = session
        call.log(env.now, "note", "offered to session \(session)")
        call.log(env.now, "state", "ringing", ["call_state": "ringing"])
        calls[callID] = call
        emit(
            callID,
            .receive(
                CallStateEvent(
                    callID: call.id, nodeID: call.nodeID, state: CallState.created.rawValue, direction: "inbound", device: call.device, context: context)))
        calls[callID]?.state = .ringing
    }

    private mutating func answer(_ callID: String) -> CommandResult {
        guard let state = calls[callID]?.state else { return Self.noCall }
        if state >= .answered {
            emitState(callID)
        } else {
            guard calls[callID]?.direction == "inbound" else { return .failure("400", "Only an inbound call can be answered; this one is still ringing out") }
            markAnswered(callID)
        }
        return .ok("Answering call")
    }

    // MARK: - Ending

    /// Ends a call: terminal events for its components, its bridge and pending connect legs,
    /// then `ending` and `ended` with `end_reason`.
    private mutating func endCall(_ callID: String, reason: String) {
        guard let call = calls[callID], !call.isOver else { return }
        let (answeredAt, parent) = (call.answeredAt, call.parent)
        let running = call.components.keys.sorted().filter { call.components[$0]?.done == false }
        for controlID in running {
            terminateComponent(callID, controlID, byHangup: true)
        }
        if let attempt = calls[callID]?.connect {
            calls[callID]?.connect = nil
            for legID in attempt.legs { endCall(legID, reason: "cancel") }
        }
        if let target = call.referTo {
            calls[callID]?.referTo = nil
            log(callID, "refer", "cancelled: the call ended before \(target) answered")
            emit(callID, .refer(ReferEvent(callID: callID, nodeID: call.nodeID, state: "cancel", referTo: target, referResponseCode: "202", notifyResponseCode: "487")))
        }
        calls[callID]?.state = .ending
        calls[callID]?.endReason = reason
        // A call that was never answered goes straight to `ended` (busy, noAnswer, error, cancel):
        // the SDKs complete a dial on the first of answered/ending/ended and read busy/failed
        // from the `ended` event.
        if answeredAt != nil || call.reportsEnding {
            log(callID, "state", "ending (\(reason))", ["call_state": "ending", "end_reason": .string(reason)])
            emitState(callID)
        }
        if let otherID = calls[callID]?.bridgedWith, let other = calls[otherID] {
            calls[callID]?.bridgedWith = nil
            calls[otherID]?.bridgedWith = nil
            bridgeMedia(callID, otherID, connected: false)
            if other.parent == callID {
                // The parent hung up: its leg goes too.
                endCall(otherID, reason: "hangup")
            } else if parent == otherID {
                // A leg hung up: the parent is unbridged.
                log(otherID, "connect", "disconnected (peer \(callID) hung up)")
                emit(otherID, .connect(ConnectEvent(callID: otherID, nodeID: other.nodeID, state: "disconnected", peer: peerInfo(callID))))
            }
        }
        calls[callID]?.state = .ended
        ended.append(callID)
        log(callID, "state", "ended (\(reason))", ["call_state": "ended", "end_reason": .string(reason)])
        emitState(callID)
        if let parent { legEnded(parentID: parent) }
        if let dial = call.dial { dialLegEnded(dial) }
    }

    private func peerInfo(_ callID: String) -> PeerInfo? {
        guard let call = calls[callID] else { return nil }
        return PeerInfo(callID: call.id, nodeID: call.nodeID, device: call.device)
    }

    // MARK: - Connect

    private mutating func connect(_ callID: String, _ command: ConnectCommand) -> CommandResult {
        guard let call = calls[callID] else { return Self.noCall }
        let groups = command.devices.filter { !$0.isEmpty }
        guard !groups.isEmpty else { return .failure("400", "Missing 'devices' (array of arrays of devices)") }
        for device in groups.joined() where device.to == nil {
            return .failure("400", "Invalid device: 'params.to_number' is required")
        }
        if groups.joined().count > Self.deviceLimit { return .failure("400", "Too many devices: at most \(Self.deviceLimit)") }
        guard call.connect == nil, call.bridgedWith == nil else { return .failure("400", "Call is already connecting or connected") }
        guard call.state == .answered else { return .failure("400", "Call is not answered") }
        calls[callID]?.connect = ConnectAttempt(groups: groups)
        log(callID, "connect", "connecting: \(groups.count) device group(s) in series")
        if !command.ringback.isEmpty {
            log(callID, "play", "ringback: " + command.ringback.map(MediaRules.describe).joined(separator: ", "))
            if call.realMedia {
                // The caller hears it until the connect ends one way or the other; no component.
                effects.append(
                    .media(callID: callID, .play(controlID: Self.ringbackControlID, token: 0, media: command.ringback.map(Self.untilStopped), volume: 0, prompt: false)))
            }
        }
        emit(callID, .connect(ConnectEvent(callID: callID, nodeID: call.nodeID, state: "connecting", tag: call.tag)))
        startConnectGroup(callID)
        return .ok("Connecting call")
    }

    private mutating func startConnectGroup(_ parentID: String) {
        guard let call = calls[parentID], var attempt = call.connect, !call.isOver else { return }
        guard attempt.groupIndex < attempt.groups.count else {
            calls[parentID]?.connect = nil
            if call.realMedia { effects.append(.media(callID: parentID, .stopPlay(controlID: Self.ringbackControlID))) }
            log(parentID, "connect", "failed: nobody answered")
            emit(parentID, .connect(ConnectEvent(callID: parentID, nodeID: call.nodeID, state: "failed")))
            return
        }
        let legs = makeLegs(
            attempt.groups[attempt.groupIndex], owner: call.owner, project: call.project, nodeID: call.nodeID, tag: nil, defaultFrom: call.from
        ) { $0.parent = parentID }
        attempt.legs = legs.map(\.id)
        calls[parentID]?.connect = attempt
        let names = attempt.legs.compactMap { calls[$0]?.to }.joined(separator: " and ")
        log(parentID, "connect", "dialling " + names, ["legs": .array(attempt.legs.map(JSONValue.string))])
        ring(legs)
    }

    /// Creates the legs of one group (a connect's or a dial's); ``ring(_:)`` then rings them
    /// together. Each leg's far end is the world's party at its `to` (a number, SIP URI or
    /// WebRTC address).
    private mutating func makeLegs(
        _ devices: [Device], owner: String?, project: RelayProject, nodeID: String, tag: String?, defaultFrom: String,
        _ setUp: (inout CallRecord) -> Void
    ) -> [(id: String, timeout: Double)] {
        var legs: [(id: String, timeout: Double)] = []
        for device in devices {
            let to = device.to ?? ""
            var leg = CallRecord(
                id: env.newCallID(), nodeID: nodeID, project: project, sequence: env.nextSequence(), owner: owner, direction: "outbound", tag: tag,
                device: device, from: device.from ?? defaultFrom, to: to, context: nil, behavior: env.world.behavior(of: to), createdAt: env.now)
            setUp(&leg)
            remember(leg)
            legs.append((leg.id, Double(device.timeout ?? 30)))
        }
        return legs
    }

    private mutating func ring(_ legs: [(id: String, timeout: Double)]) {
        for leg in legs {
            setState(leg.id, .created)
            dialOut(leg.id, timeout: leg.timeout)
        }
    }

    /// A leg answered: the first answer of the current group wins and is bridged.
    private mutating func legAnswered(parentID: String, legID: String) {
        guard let call = calls[parentID], let attempt = call.connect, attempt.legs.contains(legID) else {
            endCall(legID, reason: "cancel")
            return
        }
        calls[parentID]?.connect = nil
        for other in attempt.legs where other != legID { endCall(other, reason: "cancel") }
        markAnswered(legID)
        calls[legID]?.bridgedWith = parentID
        calls[parentID]?.bridgedWith = legID
        bridgeMedia(parentID, legID, connected: true)
        log(parentID, "connect", "connected to \(calls[legID]?.to ?? "") (leg \(legID))")
        emit(parentID, .connect(ConnectEvent(callID: parentID, nodeID: call.nodeID, state: "connected", peer: peerInfo(legID), tag: call.tag)))
    }

    /// A leg ended: once every leg of the group has, the next group is dialled.
    private mutating func legEnded(parentID: String) {
        guard let attempt = calls[parentID]?.connect else { return }
        guard attempt.legs.allSatisfy({ calls[$0]?.isOver ?? true }) else { return }
        calls[parentID]?.connect?.groupIndex += 1
        startConnectGroup(parentID)
    }

    /// The play that carries a real call's connect ringback (no client picks this control id:
    /// theirs are UUIDs).
    static let ringbackControlID = "relay-connect-ringback"

    /// A ringtone without a duration rings until stopped (two minutes at most).
    private static func untilStopped(_ media: Media) -> Media {
        if case .ringtone(let name, nil) = media { return .ringtone(name: name, duration: 120) }
        return media
    }

    /// Two calls with real media relay each other's audio while connected.
    private mutating func bridgeMedia(_ first: String, _ second: String, connected: Bool) {
        if connected, calls[first]?.realMedia == true { effects.append(.media(callID: first, .stopPlay(controlID: Self.ringbackControlID))) }
        for (callID, peer) in [(first, second), (second, first)] where calls[callID]?.realMedia == true {
            effects.append(.media(callID: callID, .bridge(peer: connected && calls[peer]?.realMedia == true ? peer : nil)))
        }
    }

    private mutating func disconnect(_ callID: String) -> CommandResult {
        guard let call = calls[callID] else { return Self.noCall }
        if let legID = call.bridgedWith, let leg = calls[legID] {
            calls[callID]?.bridgedWith = nil
            calls[legID]?.bridgedWith = nil
            bridgeMedia(callID, legID, connected: false)
            log(callID, "connect", "disconnected from \(leg.to)")
            emit(callID, .connect(ConnectEvent(callID: callID, nodeID: call.nodeID, state: "disconnected", peer: peerInfo(legID))))
            endCall(legID, reason: "hangup")
            return .ok("Disconnecting call")
        }
        if let attempt = call.connect {
            calls[callID]?.connect = nil
            if call.realMedia { effects.append(.media(callID: callID, .stopPlay(controlID: Self.ringbackControlID))) }
            for legID in attempt.legs { endCall(legID, reason: "cancel") }
            log(callID, "connect", "disconnected (connect cancelled)")
            emit(callID, .connect(ConnectEvent(callID: callID, nodeID: call.nodeID, state: "disconnected")))
            return .ok("Disconnecting call")
        }
        return .failure("400", "Call is not connected")
    }

    // MARK: - Dial (serial groups of parallel legs)

    private mutating func dial(_ command: DialCommand, session: String, project: RelayProject) -> CommandResult {
        guard !command.tag.isEmpty else { return .failure("400", "Missing 'tag'") }
        let groups = command.devices.filter { !$0.isEmpty }
        guard !groups.isEmpty else { return .failure("400", "Missing 'devices' (array of arrays of devices)") }
        for (group, devices) in groups.enumerated() {
            for (index, device) in devices.enumerated() {
                if let problem = device.problem { return .failure("400", "Invalid device devices[\(group)][\(index)]: \(problem)") }
            }
        }
        if groups.joined().count > Self.deviceLimit { return .failure("400", "Too many devices: at most \(Self.deviceLimit)") }
        let key = "\(session)|\(command.tag)"
        guard dials[key] == nil else { return .failure("400", "A dial with tag '\(command.tag)' is already in progress") }
        let attempt = DialAttempt(
            tag: command.tag, owner: session, project: project, nodeID: env.newNodeID(), maxDuration: command.maxDuration,
            progress: ConnectAttempt(groups: groups))
        dials[key] = attempt
        effects.append(.event(session: session, .dial(DialEvent(tag: command.tag, nodeID: attempt.nodeID, state: "dialing"))))
        startDialGroup(key)
        return .ok("Dialing")
    }

    private mutating func startDialGroup(_ key: String) {
        guard var attempt = dials[key] else { return }
        guard attempt.progress.groupIndex < attempt.progress.groups.count else {
            dials[key] = nil
            effects.append(.event(session: attempt.owner, .dial(DialEvent(tag: attempt.tag, nodeID: attempt.nodeID, state: "failed"))))
            return
        }
        let group = attempt.progress.groupIndex
        let (count, dialMinutes, tag, now) = (attempt.progress.groups.count, attempt.maxDuration, attempt.tag, env.now)
        let legs = makeLegs(
            attempt.progress.groups[group], owner: attempt.owner, project: attempt.project, nodeID: attempt.nodeID, tag: attempt.tag, defaultFrom: ""
        ) { leg in
            leg.dial = key
            leg.reportsEnding = true
            if let minutes = leg.device.maxDuration ?? dialMinutes, minutes > 0 { leg.maxDuration = Double(minutes) * 60 }
            leg.log(now, "dial", "dial \(tag): group \(group + 1) of \(count), \(leg.device.type) device", leg.device.json)
        }
        attempt.progress.legs = legs.map(\.id)
        dials[key] = attempt
        ring(legs)
    }

    /// The first leg to answer wins: it is answered first, the rest of its group is cancelled,
    /// then the dial reports the winner.
    private mutating func dialLegAnswered(_ key: String, legID: String) {
        guard let attempt = dials[key], attempt.progress.legs.contains(legID) else {
            endCall(legID, reason: "cancel")
            return
        }
        dials[key] = nil
        markAnswered(legID)
        for other in attempt.progress.legs where other != legID { endCall(other, reason: "cancel") }
        guard let leg = calls[legID] else { return }
        log(legID, "dial", "won dial \(attempt.tag)")
        let winner = DialEvent.Leg(callID: legID, nodeID: leg.nodeID, tag: attempt.tag, device: leg.device, dialWinner: true)
        effects.append(.event(session: attempt.owner, .dial(DialEvent(tag: attempt.tag, nodeID: leg.nodeID, state: "answered", call: winner))))
    }

    /// A leg ended unanswered: once its whole group has, the next group rings.
    private mutating func dialLegEnded(_ key: String) {
        guard let attempt = dials[key], attempt.progress.legs.allSatisfy({ calls[$0]?.isOver ?? true }) else { return }
        dials[key]?.progress.groupIndex += 1
        startDialGroup(key)
    }

    // MARK: - Refer (SIP REFER)

    /// The far end is asked to call `to` instead; the world decides: the far end may refuse
    /// the REFER (`refer: "reject"`), else the target's behaviour gives the NOTIFY.
    private mutating func refer(_ callID: String, _ command: ReferCommand) -> CommandResult {
        guard let call = calls[callID] else { return Self.noCall }
        let to = command.to
        guard to.hasPrefix("sip:") || to.hasPrefix("sips:") else {
            return .failure("400", "Invalid refer target '\(LogText.clip(to))': a SIP URI such as sip:agent@example.com is required")
        }
        guard call.state == .answered else { return .failure("400", "Only an answered call can be referred") }
        guard call.referTo == nil else { return .failure("400", "A refer is already in progress on this call") }
        var shown = command
        if shown.password != nil { shown.password = "***" }
        log(callID, "refer", "referring to \(to)", shown.json)
        if call.behavior.rejectsRefer {
            log(callID, "refer", "error: the far end declined the REFER (603)")
            emit(callID, .refer(ReferEvent(callID: callID, nodeID: call.nodeID, state: "error", referTo: to, referResponseCode: "603")))
            return .ok("Referring call")
        }
        calls[callID]?.referTo = to
        emit(callID, .refer(ReferEvent(callID: callID, nodeID: call.nodeID, state: "inProgress", referTo: to, referResponseCode: "202")))
        let target = env.world.behavior(of: to)
        let ring = env.world.ringSeconds
        let timeout = 30.0
        let outcome: (after: Double, state: String, code: String)
        switch target.answer {
        case .afterRings(let rings) where Double(rings) * ring <= timeout: outcome = (Double(rings) * ring, "success", "200")
        case .afterRings, .never: outcome = (timeout, "noAnswer", "408")
        case .busy: outcome = (min(ring, timeout), "busy", "486")
        case .fail: outcome = (0.2, "error", "404")
        }
        effects.append(.timer(after: outcome.after, .referOutcome(callID: callID, state: outcome.state, notifyCode: outcome.code)))
        return .ok("Referring call")
    }

    private mutating func referResolved(_ callID: String, state: String, notifyCode: String) {
        guard let call = calls[callID], !call.isOver, let target = call.referTo else { return }
        calls[callID]?.referTo = nil
        log(callID, "refer", "\(state): \(target) answered the transfer with \(notifyCode)")
        emit(
            callID,
            .refer(ReferEvent(callID: callID, nodeID: call.nodeID, state: state, referTo: target, referResponseCode: "202", notifyResponseCode: notifyCode)))
        // The target took the call: this leg is released.
        if state == "success" { endCall(callID, reason: "hangup") }
    }

    // MARK: - Components: common

    /// Registers a new component, or returns the failure to answer with.
    private mutating func start(_ callID: String, _ component: ComponentRecord) -> CommandResult? {
        guard !component.controlID.isEmpty else { return .failure("400", "Missing 'control_id'") }
        var component = component
        if let existing = calls[callID]?.components[component.controlID] {
            guard existing.done else { return .failure("400", "control_id '\(component.controlID)' is already in use on this call") }
            // A reused control_id: timers of the old component must not match the new one.
            component.token = existing.token + 1
        }
        calls[callID]?.components[component.controlID] = component
        return nil
    }

    private mutating func after(_ seconds: Double, _ callID: String, _ controlID: String, _ step: ComponentStep) {
        guard let token = calls[callID]?.components[controlID]?.token else { return }
        effects.append(.timer(after: seconds, .component(callID: callID, controlID: controlID, token: token, step)))
    }

    private mutating func finish(_ callID: String, _ controlID: String) {
        guard var component = calls[callID]?.components[controlID] else { return }
        component.done = true
        component.token += 1
        calls[callID]?.components[controlID] = component
        if component.kind == .tap { effects.append(.stopTap(key: tapKey(callID, controlID))) }
        if calls[callID]?.realMedia == true {
            switch component.kind {
            case .play, .collect: effects.append(.media(callID: callID, .stopPlay(controlID: controlID)))
            case .sendDigits: effects.append(.media(callID: callID, .stopDigits(controlID: controlID)))
            case .record: effects.append(.media(callID: callID, .discardRecording(controlID: controlID)))
            default: break
            }
        }
    }

    private func tapKey(_ callID: String, _ controlID: String) -> String { "\(callID)/\(controlID)" }

    private func mediaDuration(_ media: [Media]) -> Double? {
        var total = 0.0
        for item in media {
            guard let seconds = MediaRules.duration(of: item, recordings: { recordingDurations[$0] }) else { return nil }
            total += seconds
        }
        return total
    }

    private static func invalidMedia(_ media: [Media]) -> CommandResult? {
        if media.isEmpty { return .failure("400", "Missing 'play' (array of media)") }
        for (index, item) in media.enumerated() {
            if let problem = item.problem ?? MediaRules.serverProblem(item) { return .failure("400", "Invalid media: play[\(index)]: \(problem)") }
        }
        return nil
    }

    private mutating func control(_ callID: String, _ kind: ComponentKind, _ control: ComponentControl, controlID: String) -> CommandResult {
        guard let component = calls[callID]?.components[controlID], component.kind == kind, !component.done else { return Self.noComponent }
        switch control {
        case .stop:
            terminateComponent(callID, controlID, byHangup: false)
            return .ok("Stop ok")
        case .volume(let volume):
            guard volume.isFinite else { return .failure("400", "Missing 'volume' (number)") }
            calls[callID]?.components[controlID]?.volume = volume
            if calls[callID]?.realMedia == true { effects.append(.media(callID: callID, .volume(controlID: controlID, decibels: volume))) }
            log(callID, kind.rawValue, "volume set to \(volume)")
            return .ok("Volume set")
        case .pause, .resume:
            guard kind == .play else { return .failure("400", "Only play can be paused and resumed") }
            return pausePlay(callID, controlID, pause: control == .pause)
        }
    }

    /// Sends the terminal event of a component that is stopped or whose call ends.
    private mutating func terminateComponent(_ callID: String, _ controlID: String, byHangup: Bool) {
        guard let component = calls[callID]?.components[controlID], !component.done else { return }
        finish(callID, controlID)
        let why = byHangup ? "call ended" : "stopped"
        let address = address(callID, controlID)
        switch component.kind {
        case .play:
            log(callID, "play", "finished (\(why))")
            emit(callID, .play(ComponentStateEvent(address: address, state: byHangup ? "error" : "finished")))
        case .collect:
            log(callID, "collect", "no input (\(why))")
            emit(callID, .collect(CollectEvent(address: address, result: CollectResult(type: "no_input"))))
        case .record:
            finishRecording(callID, controlID, why: why)
        case .detect:
            log(callID, "detect", "finished (\(why))")
            emit(callID, .detect(DetectEvent(address: address, type: component.detectType, event: "finished")))
        case .sendFax, .receiveFax:
            log(callID, "fax", "finished unsuccessfully (\(why)) after \(component.pages) page(s)")
            emit(callID, .fax(faxFinished(callID, component, success: false, text: "Fax \(why)")))
        case .tap:
            log(callID, "tap", "finished (\(why))")
            emit(callID, .tap(TapEvent(address: address, state: "finished", tap: component.tap, device: component.tapDevice)))
        case .sendDigits:
            log(callID, "send_digits", "finished (\(why))")
            emit(callID, .sendDigits(ComponentStateEvent(address: address, state: "finished")))
        }
    }

    private mutating func runStep(_ step: ComponentStep, callID: String, controlID: String) {
        let address = address(callID, controlID)
        switch step {
        case .playFinished:
            finish(callID, controlID)
            log(callID, "play", "finished")
            emit(callID, .play(ComponentStateEvent(address: address, state: "finished")))
        case .playFailed(let reason):
            finish(callID, controlID)
            log(callID, "play", "error: \(reason)")
            emit(callID, .play(ComponentStateEvent(address: address, state: "error")))
        case .promptFailed(let reason):
            finish(callID, controlID)
            log(callID, "collect", "error: \(reason)")
            emit(callID, .collect(CollectEvent(address: address, result: CollectResult(type: "error"))))
        case .promptPlayed:
            collectInput(callID, controlID)
        case .collected(let result):
            finish(callID, controlID)
            switch result.type {
            case "digit":
                let digits = result.digits ?? ""
                let terminator = result.terminator ?? ""
                log(callID, "collect", "digits \(digits)" + (terminator.isEmpty ? "" : " (terminator \(terminator))"))
            case "speech": log(callID, "collect", "speech \"\(result.text ?? "")\"")
            case "no_match": log(callID, "collect", "no match")
            default: log(callID, "collect", "no input")
            }
            emit(callID, .collect(CollectEvent(address: address, result: result)))
        case .recordNoInput:
            guard let record = calls[callID]?.components[controlID] else { return }
            finish(callID, controlID)
            log(callID, "record", "no input")
            emit(callID, .record(RecordEvent(address: address, state: "no_input", url: record.url, record: record.record)))
        case .recordFinished:
            finishRecording(callID, controlID, why: "end of speech")
        case .recordTerminated(let key):
            finishRecording(callID, controlID, why: "terminator \(key)")
        case .detected(let type, let event):
            log(callID, "detect", "\(type): \(event)")
            emit(callID, .detect(DetectEvent(address: address, type: type, event: event)))
        case .detectTimedOut:
            guard let component = calls[callID]?.components[controlID] else { return }
            finish(callID, controlID)
            log(callID, "detect", "finished (timeout)")
            emit(callID, .detect(DetectEvent(address: address, type: component.detectType, event: "finished")))
        case .detectFailed:
            guard let component = calls[callID]?.components[controlID] else { return }
            finish(callID, controlID)
            log(callID, "detect", "error: the detector failed")
            emit(callID, .detect(DetectEvent(address: address, type: component.detectType, event: "error")))
        case .faxError(let reason):
            faxError(callID, controlID, reason: reason)
        case .faxFailed:
            guard let component = calls[callID]?.components[controlID] else { return }
            finish(callID, controlID)
            log(callID, "fax", "failed: the far end is not a fax machine")
            emit(callID, .fax(faxFinished(callID, component, success: false, text: "No fax machine answered")))
        case .faxPage(let sending):
            faxPage(callID, controlID, sending: sending)
        case .digitsSent:
            finish(callID, controlID)
            log(callID, "send_digits", "finished")
            emit(callID, .sendDigits(ComponentStateEvent(address: address, state: "finished")))
        }
    }

    // MARK: - Play

    private mutating func play(_ callID: String, _ command: PlayCommand) -> CommandResult {
        let controlID = command.component.controlID
        if let invalid = Self.invalidMedia(command.media) { return invalid }
        guard let total = mediaDuration(command.media) else { return .failure("400", "Invalid media") }
        var component = ComponentRecord(controlID: controlID, kind: .play)
        component.volume = command.volume ?? 0
        var end = total
        let failure = MediaRules.failure(of: command.media, world: env.world, recordings: { recordingDurations[$0] })
        if let failure {
            end = failure.at
            component.endStep = .playFailed(reason: failure.reason)
        }
        component.finishAt = env.now + end
        if calls[callID]?.realMedia == true { return playReal(callID, command.media, component: component, prompt: false) }
        if let failure = start(callID, component) { return failure }
        log(callID, "play", "playing " + command.media.map(MediaRules.describe).joined(separator: ", "), .array(command.media.map(\.json)))
        // Media that fails before anything was heard never reports `playing`.
        if failure?.index != 0 {
            emit(callID, .play(ComponentStateEvent(address: address(callID, controlID), state: "playing")))
        }
        after(end, callID, controlID, component.endStep)
        return .ok("Playing", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    /// Play (or a prompt's play) on a call with real media: the edge makes and sends the audio
    /// and reports back when it has all been heard.
    private mutating func playReal(_ callID: String, _ media: [Media], component: ComponentRecord, prompt: Bool) -> CommandResult {
        let controlID = component.controlID
        if let failure = start(callID, component) { return failure }
        log(callID, "play", (prompt ? "prompt playing " : "playing ") + media.map(MediaRules.describe).joined(separator: ", ") + " (real audio)", .array(media.map(\.json)))
        if !prompt { emit(callID, .play(ComponentStateEvent(address: address(callID, controlID), state: "playing"))) }
        let token = calls[callID]?.components[controlID]?.token ?? 0
        effects.append(.media(callID: callID, .play(controlID: controlID, token: token, media: media, volume: component.volume, prompt: prompt)))
        return .ok(prompt ? "Prompting" : "Playing", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    private mutating func pausePlay(_ callID: String, _ controlID: String, pause: Bool) -> CommandResult {
        guard var component = calls[callID]?.components[controlID] else { return Self.noComponent }
        if calls[callID]?.realMedia == true {
            // Real audio pauses where it is; the token stays, so its end still counts.
            guard component.paused != pause else { return .ok(pause ? "Paused" : "Resumed") }
            calls[callID]?.components[controlID]?.paused = pause
            effects.append(.media(callID: callID, .pausePlay(controlID: controlID, paused: pause)))
            log(callID, "play", pause ? "paused" : "resumed")
            return .ok(pause ? "Paused" : "Resumed")
        }
        if pause {
            guard !component.paused else { return .ok("Paused") }
            component.paused = true
            component.remaining = max(0, component.finishAt - env.now)
            component.token += 1
            calls[callID]?.components[controlID] = component
            log(callID, "play", "paused")
            return .ok("Paused")
        }
        guard component.paused else { return .ok("Resumed") }
        component.paused = false
        component.finishAt = env.now + component.remaining
        calls[callID]?.components[controlID] = component
        log(callID, "play", "resumed")
        after(component.remaining, callID, controlID, component.endStep)
        return .ok("Resumed")
    }

    // MARK: - Prompt (play_and_collect)

    private mutating func prompt(_ callID: String, _ command: PlayAndCollectCommand) -> CommandResult {
        let controlID = command.component.controlID
        if let invalid = Self.invalidMedia(command.media) { return invalid }
        guard let total = mediaDuration(command.media) else { return .failure("400", "Invalid media") }
        var component = ComponentRecord(controlID: controlID, kind: .collect)
        component.volume = command.volume ?? 0
        component.collect = command.collect
        if calls[callID]?.realMedia == true { return playReal(callID, command.media, component: component, prompt: true) }
        if let failure = start(callID, component) { return failure }
        log(callID, "play", "prompt playing " + command.media.map(MediaRules.describe).joined(separator: ", "), .array(command.media.map(\.json)))
        if let failure = MediaRules.failure(of: command.media, world: env.world, recordings: { recordingDurations[$0] }) {
            after(failure.at, callID, controlID, .promptFailed(reason: failure.reason))
        } else {
            after(total, callID, controlID, .promptPlayed)
        }
        return .ok("Prompting", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    /// After the prompt played: the far end keys digits, speaks, or stays silent.
    private mutating func collectInput(_ callID: String, _ controlID: String) {
        guard var call = calls[callID], let collect = call.components[controlID]?.collect else { return }
        log(callID, "play", "prompt finished; collecting")
        if let digits = collect.digits, let keys = call.nextDigits() {
            calls[callID] = call
            let outcome = PromptRules.collectDigits(keys, options: digits)
            after(outcome.wait, callID, controlID, .collected(outcome.result))
            return
        }
        if let speech = collect.speech, let words = call.nextSpeech() {
            calls[callID] = call
            // An empty entry is a prompt the party lets pass in silence.
            if !words.split(separator: " ").isEmpty {
                let outcome = PromptRules.collectSpeech(words, options: speech, party: call.behavior)
                after(outcome.wait, callID, controlID, .collected(outcome.result))
                return
            }
        }
        after(collect.initialTimeout ?? 5, callID, controlID, .collected(CollectResult(type: "no_input")))
    }

    /// A person acts as the far end of a live call (the console's phone). Returns `false` when
    /// the call is unknown or over.
    mutating func farEnd(_ action: FarEndAction, callID: String, _ environment: EngineEnvironment) -> (Bool, [EngineEffect]) {
        env = environment
        effects = []
        guard let call = calls[callID], !call.isOver else { return (false, []) }
        let prompt = call.components.values.first { $0.kind == .collect && !$0.done && $0.collect != nil }
        switch action.action {
        case .hangsUp:
            log(callID, "note", "the far end hung up")
            endCall(callID, reason: "hangup")
        case .keys(let keys):
            log(callID, "note", "the far end keyed \(keys)")
            if let prompt, let options = prompt.collect?.digits {
                // Barge in: the pending prompt or no-input timer is stale from now on.
                calls[callID]?.components[prompt.controlID]?.token += 1
                if call.realMedia { effects.append(.media(callID: callID, .stopPlay(controlID: prompt.controlID))) }
                let outcome = PromptRules.collectDigits(keys, options: options)
                after(outcome.wait, callID, prompt.controlID, .collected(outcome.result))
            } else if call.realMedia,
                let record = call.components.values.first(where: { $0.kind == .record && !$0.done }),
                let key = keys.first(where: { record.terminators.contains($0) })
            {
                finishRecording(callID, record.controlID, why: "terminator \(key)")
            } else {
                calls[callID]?.behavior.digits.append(keys)
            }
        case .says(let words):
            log(callID, "note", "the far end said \"\(words)\"")
            if let prompt, let options = prompt.collect?.speech {
                calls[callID]?.components[prompt.controlID]?.token += 1
                let wait = 0.5 + Double(words.split(separator: " ").count) * 0.4 + (options.endSilenceTimeout ?? 1)
                after(wait, callID, prompt.controlID, .collected(.speech(words, confidence: 92.5)))
            } else {
                calls[callID]?.behavior.speech.append(words)
            }
        }
        return (true, takeEffects())
    }

    // MARK: - Record

    private mutating func record(_ callID: String, _ command: RecordCommand) -> CommandResult {
        let controlID = command.component.controlID
        let options = command.record
        if let format = options.format, format != "mp3", format != "wav" {
            return .failure("400", "Invalid record format '\(format)': use mp3 or wav")
        }
        if let direction = options.direction, !["listen", "speak", "both"].contains(direction) {
            return .failure("400", "Invalid record direction '\(direction)': use listen, speak or both")
        }
        guard let behavior = calls[callID]?.behavior else { return Self.noCall }
        let url = "\(env.baseURL)/files/\(Self.recordingFile(callID, controlID))"
        var component = ComponentRecord(controlID: controlID, kind: .record)
        component.record = options.json
        component.url = url
        component.channels = options.stereo == true ? 2 : 1
        component.terminators = options.terminators ?? "#*"
        component.startedAt = env.now
        if let failure = start(callID, component) { return failure }
        log(callID, "record", "recording" + (options.beep == true ? " (beep)" : ""), options.json)
        emit(callID, .record(RecordEvent(address: address(callID, controlID), state: "recording", url: url, record: options.json)))
        if calls[callID]?.realMedia == true {
            // Real audio is recorded until stop, hang-up, a terminator key or the caller's silence.
            let token = calls[callID]?.components[controlID]?.token ?? 0
            effects.append(
                .media(
                    callID: callID,
                    .startRecording(
                        controlID: controlID, token: token, direction: options.direction, stereo: options.stereo == true,
                        initialTimeout: options.initialTimeout ?? 5, endSilenceTimeout: options.endSilenceTimeout ?? 1)))
            return .ok("Recording", ["url": .string(url), "control_id": .string(controlID), "call_id": .string(callID)])
        }
        let talk = behavior.kind == .fax ? 0 : behavior.messageSeconds
        let silence = behavior.speaksAfter ?? 0
        let initialTimeout = options.initialTimeout ?? 5
        // An initial_timeout of 0 waits for speech forever (Relay: "disable with 0").
        if talk <= 0 || (initialTimeout > 0 && silence >= initialTimeout) {
            after(initialTimeout, callID, controlID, .recordNoInput)
        } else if let key = behavior.recordKey, (options.terminators ?? "#*").contains(key) {
            // The key ends the recording at once, without waiting for end_silence_timeout.
            after(silence + talk + 0.1, callID, controlID, .recordTerminated(key: String(key)))
        } else {
            after(silence + talk + (options.endSilenceTimeout ?? 1), callID, controlID, .recordFinished)
        }
        return .ok("Recording", ["url": .string(url), "control_id": .string(controlID), "call_id": .string(callID)])
    }

    private mutating func finishRecording(_ callID: String, _ controlID: String, why: String) {
        guard let component = calls[callID]?.components[controlID] else { return }
        finish(callID, controlID)
        if calls[callID]?.realMedia == true, let recorder = env.takeRecording(callID, controlID) {
            let (wav, seconds) = recorder.wav()
            let duration = (seconds * 100).rounded() / 100
            store(file: Self.recordingFile(callID, controlID), .recording(wav: wav), url: component.url, duration: duration)
            log(callID, "record", "finished (\(why)): \(duration)s of real audio, \(wav.count) bytes at \(component.url)")
            emit(
                callID,
                .record(
                    RecordEvent(
                        address: address(callID, controlID), state: "finished", url: component.url, duration: duration, size: wav.count,
                        record: component.record)))
            return
        }
        let duration = ((env.now - component.startedAt) * 100).rounded() / 100
        let size = GeneratedFile.wavSize(seconds: duration, channels: component.channels)
        store(file: Self.recordingFile(callID, controlID), .wav(seconds: duration, channels: component.channels), url: component.url, duration: duration)
        log(callID, "record", "finished (\(why)): \(duration)s, \(size) bytes at \(component.url)")
        emit(
            callID,
            .record(
                RecordEvent(address: address(callID, controlID), state: "finished", url: component.url, duration: duration, size: size, record: component.record)))
    }

    /// Files are named by call and control id: control ids are chosen by clients and repeat.
    static func recordingFile(_ callID: String, _ controlID: String) -> String {
        "recordings/\(URLPath.encode(callID))-\(URLPath.encode(controlID)).wav"
    }

    static func faxFile(_ callID: String, _ controlID: String) -> String {
        "faxes/\(URLPath.encode(callID))-\(URLPath.encode(controlID)).pdf"
    }

    /// Keeps a file (and a recording's duration), forgetting the oldest beyond ``fileLimit``.
    private mutating func store(file name: String, _ file: GeneratedFile, url: String? = nil, duration: Double? = nil) {
        if files.updateValue(file, forKey: name) == nil { fileOrder.append((name, url)) }
        if let url, let duration { recordingDurations[url] = duration }
        guard fileOrder.count > Self.fileLimit else { return }
        let excess = fileOrder.count - Self.fileLimit
        for (old, oldURL) in fileOrder.prefix(excess) {
            files[old] = nil
            if let oldURL { recordingDurations[oldURL] = nil }
        }
        fileOrder.removeFirst(excess)
    }

    // MARK: - Detect

    private mutating func detect(_ callID: String, _ command: DetectCommand) -> CommandResult {
        let controlID = command.component.controlID
        guard let behavior = calls[callID]?.behavior else { return Self.noCall }
        var component = ComponentRecord(controlID: controlID, kind: .detect)
        component.detectType = command.detect.type
        if let failure = start(callID, component) { return failure }
        let timeout = command.timeout ?? 30
        log(callID, "detect", "detecting \(command.detect.type)", command.detect.json)
        var keys: String?
        if case .digit = command.detect { keys = calls[callID]?.nextDigits() }
        let plan = DetectRules.plan(command.detect, behavior: behavior, outbound: calls[callID]?.direction == "outbound", keys: keys)
        let errorAt = behavior.detectErrorAfter.flatMap { $0 <= timeout ? $0 : nil }
        for (at, event) in plan where at < (errorAt ?? timeout) {
            after(at, callID, controlID, .detected(type: command.detect.type, event: event))
        }
        if let errorAt {
            after(errorAt, callID, controlID, .detectFailed)
        } else {
            after(timeout, callID, controlID, .detectTimedOut)
        }
        return .ok("Detecting", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    // MARK: - Fax

    private func faxFinished(_ callID: String, _ component: ComponentRecord, success: Bool, text: String, errorDescription: String? = nil) -> FaxEvent {
        let call = calls[callID]
        let outbound = call?.direction == "outbound"
        return FaxEvent.ended(
            address(callID, component.controlID), sending: component.kind == .sendFax, identity: (outbound ? call?.from : call?.to) ?? "",
            remoteIdentity: (outbound ? call?.to : call?.from) ?? "", document: component.document, pages: component.pages, success: success,
            resultText: text, errorDescription: errorDescription)
    }

    /// `sendDocument` is the document to send, or `nil` to receive.
    private mutating func fax(_ callID: String, controlID: String, sendDocument: String?) -> CommandResult {
        guard let behavior = calls[callID]?.behavior else { return Self.noCall }
        var component = ComponentRecord(controlID: controlID, kind: sendDocument == nil ? .receiveFax : .sendFax)
        if let document = sendDocument {
            guard document.hasPrefix("http://") || document.hasPrefix("https://") else {
                return .failure("400", "Missing or invalid 'document' (an http(s) URL of a PDF)")
            }
            component.document = document
            var pages = 1
            if let range = document.range(of: "pages=") {
                pages = Int(document[range.upperBound...].prefix { $0.isNumber }.prefix(6)) ?? 1
            } else if let name = document.split(separator: "/").last, case .pdf(let count, _) = files["faxes/\(name)"] {
                pages = count
            }
            component.totalPages = min(max(1, pages), 1000)
        } else {
            component.document = "\(env.baseURL)/files/\(Self.faxFile(callID, controlID))"
            component.totalPages = behavior.faxPages
        }
        let sending = sendDocument != nil
        if let failure = start(callID, component) { return failure }
        log(callID, "fax", sending ? "sending \(component.document)" : "waiting for a fax")
        if sending, let fault = env.world.mediaFault(url: component.document), fault.failsFax {
            after(fault.seconds, callID, controlID, .faxError(reason: "the document \(component.document) could not be fetched: \(fault)"))
        } else if behavior.kind == .fax {
            after(2, callID, controlID, .faxPage(sending: sending))
        } else {
            after(sending ? 5 : 10, callID, controlID, .faxFailed)
        }
        return .ok(sending ? "Sending fax" : "Receiving fax", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    private mutating func faxPage(_ callID: String, _ controlID: String, sending: Bool) {
        guard var component = calls[callID]?.components[controlID], let call = calls[callID] else { return }
        let page = component.pages + 1
        if call.behavior.faxErrorAtPage == page {
            faxError(callID, controlID, reason: "the line dropped during page \(page)")
            return
        }
        if call.behavior.faxFailAtPage == page {
            finish(callID, controlID)
            let text = "Page \(page) could not be \(sending ? "sent" : "received"): too many transmission errors"
            log(callID, "fax", "finished unsuccessfully: \(text) (\(component.pages) page(s) got through)")
            emit(callID, .fax(faxFinished(callID, component, success: false, text: text)))
            return
        }
        component.pages += 1
        calls[callID]?.components[controlID] = component
        log(callID, "fax", "page \(component.pages) \(sending ? "sent" : "received")")
        emit(callID, .fax(.page(address(callID, controlID), sending: sending, number: component.pages)))
        guard component.pages >= component.totalPages else {
            after(2, callID, controlID, .faxPage(sending: sending))
            return
        }
        finish(callID, controlID)
        if !sending {
            let from = call.direction == "outbound" ? call.to : call.from
            store(file: Self.faxFile(callID, controlID), .pdf(pages: component.pages, title: "Fax from \(from)"))
        }
        log(callID, "fax", "finished: \(component.pages) page(s) \(sending ? "sent" : "received at \(component.document)")")
        emit(callID, .fax(faxFinished(callID, component, success: true, text: "OK")))
    }

    /// `fax.error`: the fax broke off. The params say how far it got.
    private mutating func faxError(_ callID: String, _ controlID: String, reason: String) {
        guard let component = calls[callID]?.components[controlID] else { return }
        finish(callID, controlID)
        log(callID, "fax", "error: \(reason) (\(component.pages) page(s) got through)")
        emit(callID, .fax(faxFinished(callID, component, success: false, text: reason, errorDescription: reason)))
    }

    // MARK: - Send digits

    private mutating func sendDigits(_ callID: String, _ command: SendDigitsCommand) -> CommandResult {
        let controlID = command.component.controlID
        if command.digits.isEmpty || SendDigitsCommand.firstInvalidCharacter(in: command.digits) != nil {
            return .failure("400", "Invalid digits '\(command.digits)': \(SendDigitsCommand.rule)")
        }
        if let failure = start(callID, ComponentRecord(controlID: controlID, kind: .sendDigits)) { return failure }
        log(callID, "send_digits", "sending \(command.digits)")
        if calls[callID]?.realMedia == true {
            let token = calls[callID]?.components[controlID]?.token ?? 0
            effects.append(.media(callID: callID, .sendDigits(controlID: controlID, token: token, digits: command.digits)))
        } else {
            after(MediaRules.sendDuration(command.digits), callID, controlID, .digitsSent)
        }
        return .ok("Sending digits", ["control_id": .string(controlID), "call_id": .string(callID)])
    }

    // MARK: - Tap

    private mutating func tap(_ callID: String, _ command: TapCommand) -> CommandResult {
        let controlID = command.component.controlID
        guard ["listen", "speak", "both"].contains(command.direction) else {
            return .failure("400", "Invalid tap direction '\(command.direction)': use listen, speak or both")
        }
        let device = command.device
        let format: TapFormat
        switch TapFormat.parse(device) {
        case .success(let parsed): format = parsed
        case .failure(let error): return .failure("400", error.description)
        }
        var target: TapTarget?
        let source: JSONValue
        // The source echoes the format the tap streams in.
        let codec = JSONValue.string(format.codec.rawValue)
        switch device.type {
        case "rtp":
            guard let host = device.address, let port = device.port, (1...65535).contains(port) else {
                return .failure("400", "An rtp tap device needs 'addr' and 'port'")
            }
            if RTPTapSender.isLoopback(host), format.isSendable { target = .rtp(host: host, port: port, format: format) }
            source = ["type": "rtp", "params": ["addr": "127.0.0.1", "port": .int(40000 + Int.random(in: 0..<10000) * 2), "codec": codec, "rate": .int(format.rate)]]
        case "ws":
            guard let uri = device.uri, uri.hasPrefix("ws://") || uri.hasPrefix("wss://") else {
                return .failure("400", "A ws tap device needs 'uri' (ws:// or wss://)")
            }
            if WebSocketTapSender.loopbackTarget(uri) != nil, format.isSendable { target = .webSocket(uri: uri, format: format) }
            let base = env.baseURL.hasPrefix("https://") ? "wss://" + env.baseURL.dropFirst(8) : "ws://" + env.baseURL.dropFirst(env.baseURL.hasPrefix("http://") ? 7 : 0)
            source = ["type": "ws", "params": ["uri": .string("\(base)/tap/\(URLPath.encode(controlID))"), "codec": codec, "rate": .int(format.rate)]]
        default:
            return .failure("400", "Invalid tap device type '\(device.type)': use rtp or ws")
        }
        var component = ComponentRecord(controlID: controlID, kind: .tap)
        component.tap = ["type": "audio", "params": ["direction": .string(command.direction)]]
        component.tapDevice = device.json
        if let failure = start(callID, component) { return failure }
        log(callID, "tap", "tapping to \(device.type) \(JSONCodec.string(.object(device.params)))", command.json)
        emit(callID, .tap(TapEvent(address: address(callID, controlID), state: "tapping", tap: component.tap, device: component.tapDevice)))
        if calls[callID]?.realMedia == true {
            effects.append(.media(callID: callID, .startTap(key: tapKey(callID, controlID), direction: command.direction)))
        }
        if let target { effects.append(.startTap(key: tapKey(callID, controlID), target)) }
        return .ok("Tapping", ["control_id": .string(controlID), "call_id": .string(callID), "source_device": source])
    }
}
