@testable import RelayServer
import RelayWire
import Testing

/// Drives a ``CallEngine`` directly on a manual clock: no sockets, no sleeps, no real time.
///
/// It owns the engine, a simulated `now`, the timers the engine asked for (fired in deadline
/// order, first set first for ties), deterministic ids (`call1`, `node1`, …), and every event
/// and tap effect the engine produced, with the simulated time it happened at.
final class EngineHarness {
    /// A calling event the engine sent to a session.
    struct Emitted {
        let time: Double
        let session: String
        let event: CallingEvent
    }

    /// A `startTap` or `stopTap` effect.
    struct TapEffect {
        let time: Double
        let effect: EngineEffect
    }

    /// A question the engine asked the router.
    struct Pick: Equatable {
        let project: String
        let context: String
        let excluding: String?
    }

    private struct Pending {
        let deadline: Double
        let order: Int
        let timer: EngineTimer
    }

    static let epsilon = 1e-9

    private(set) var engine: CallEngine
    private(set) var now: Double = 0
    var world: SimulatedWorld
    var baseURL: String
    let project: RelayProject
    /// Sessions that receive inbound calls, in the order the router picks them.
    var receivers: [(project: String, context: String, session: String)] = []
    private(set) var picks: [Pick] = []
    private var pending: [Pending] = []
    private var timerOrder = 0
    private(set) var emitted: [Emitted] = []
    private(set) var tapEffects: [TapEffect] = []
    /// What calls with real media asked the media edge for, in order.
    private(set) var mediaActions: [(callID: String, action: MediaAction)] = []
    /// Real recordings the engine may take, by `callID/controlID` (as the SIP edge keeps them).
    var recordings: [String: CallRecorder] = [:]
    /// The effects of the last command, injection, expiry or fired timer, in order.
    private(set) var lastEffects: [EngineEffect] = []
    private(set) var firedTimers = 0
    /// Every timer delay the engine asked for, as it asked.
    private(set) var timerDelays: [Double] = []
    /// Whether the engine is told the SIP edge runs (real SIP devices then get `sipInvite`).
    var sipEdgeRunning = false
    /// The `sipInvite` effects the engine produced, in order.
    private(set) var sipInvites: [EngineEffect] = []
    private var callCount = 0
    private var nodeCount = 0
    private var sequence = 0

    init(
        world: SimulatedWorld = .standard, baseURL: String = "http://127.0.0.1:8080",
        project: RelayProject = RelayProject(id: "project-a", token: "token-a"), historyLimit: Int = 1000
    ) {
        self.world = world
        self.baseURL = baseURL
        self.project = project
        let placeholder = EngineEnvironment(
            now: 0, world: world, baseURL: baseURL, pickSession: { _, _, _ in nil }, newCallID: { "unused" }, newNodeID: { "unused" },
            nextSequence: { 0 })
        engine = CallEngine(historyLimit: historyLimit, environment: placeholder)
    }

    private func environment() -> EngineEnvironment {
        EngineEnvironment(
            now: now, world: world, baseURL: baseURL, sipEdgeRunning: sipEdgeRunning,
            pickSession: { [unowned self] project, context, excluding in
                let shown = excluding.isEmpty ? nil : excluding.sorted().joined(separator: ",")
                self.picks.append(Pick(project: project, context: context, excluding: shown))
                return self.receivers.first { $0.project == project && $0.context == context && !excluding.contains($0.session) }?.session
            },
            newCallID: { [unowned self] in
                self.callCount += 1
                return "call\(self.callCount)"
            },
            newNodeID: { [unowned self] in
                self.nodeCount += 1
                return "node\(self.nodeCount)"
            },
            nextSequence: { [unowned self] in
                self.sequence += 1
                return self.sequence
            },
            takeRecording: { [unowned self] callID, controlID in self.recordings.removeValue(forKey: "\(callID)/\(controlID)") })
    }

    private func apply(_ effects: [EngineEffect]) {
        lastEffects = effects
        for effect in effects {
            switch effect {
            case .event(let session, let event):
                emitted.append(Emitted(time: now, session: session, event: event))
            case .timer(let after, let timer):
                // As SimulationClock.schedule does: a negative or non-finite delay is 0, and
                // delays are capped. The raw delay is kept for tests to look at.
                timerDelays.append(after)
                let delay = after.isFinite && after > 0 ? min(after, SimulationClock.longestDuration) : 0
                timerOrder += 1
                pending.append(Pending(deadline: now + delay, order: timerOrder, timer: timer))
            case .startTap, .stopTap:
                tapEffects.append(TapEffect(time: now, effect: effect))
            case .media(let callID, let action):
                mediaActions.append((callID, action))
            case .sipInvite:
                sipInvites.append(effect)
            }
        }
    }

    // MARK: - Driving

    /// Runs a command for `session` (of `project`, the harness's own by default).
    @discardableResult
    func run(_ command: RelayCommand, session: String = "s1", project: RelayProject? = nil) -> CommandResult {
        let (result, effects) = engine.execute(command, session: session, project: project ?? self.project, environment())
        apply(effects)
        return result
    }

    /// Decodes `params` as the server does for a `blade.execute` of `method`, then runs it.
    @discardableResult
    func run(method: String, _ params: JSONValue, session: String = "s1") throws -> CommandResult {
        run(try RelayCommand(method: method, params: params), session: session)
    }

    /// Parses the `params` of a `blade.execute` as a client sends it
    /// (`{"protocol": …, "method": …, "params": {…}}`), decodes it and runs it.
    @discardableResult
    func run(json text: String, session: String = "s1") throws -> CommandResult {
        let execute = try JSONCodec.parse(text)
        let method = try #require(execute["method"]?.stringValue)
        return try run(method: method, execute["params"] ?? .object([:]), session: session)
    }

    /// An inbound call from `from` to `to`, offered on `context`.
    @discardableResult
    func inject(
        from: String = "+15551230000", to: String = "+15557770000", context: String = "office", behavior: PartyBehavior = .human,
        ringTimeout: Double = 30, realMedia: Bool = false
    ) -> CallSnapshot {
        let (snapshot, effects) = engine.injectCall(
            project: project, from: from, to: to, context: context, behavior: behavior, ringTimeout: ringTimeout, realMedia: realMedia,
            environment())
        apply(effects)
        return snapshot
    }

    /// The media edge reports a ``MediaAction`` done (audio heard, digits sent, a failure).
    func mediaFinished(callID: String, controlID: String, token: Int, _ step: ComponentStep) {
        apply(engine.fire(.component(callID: callID, controlID: controlID, token: token, step), environment()))
    }

    /// The far end of a live call acts (keys, words, hang-up); `false` when the call is over.
    @discardableResult
    func engineFarEnd(_ action: FarEndAction, callID: String) -> Bool {
        let (done, effects) = engine.farEnd(action, callID: callID, environment())
        apply(effects)
        return done
    }

    /// The SIP edge reports how a real outbound call ended, as ``CallShard/sipDialResolved(callID:_:)`` does.
    func sipResolved(_ callID: String, _ outcome: DialOutcome) {
        apply(engine.fire(.dialOutcome(callID: callID, outcome), environment()))
    }

    func expire(_ session: String) {
        apply(engine.sessionExpired(session, environment()))
    }

    /// Fires the timers due by `now + seconds` in deadline order (those set while firing too,
    /// when due), moving `now` to each deadline, then to `now + seconds`.
    func advance(by seconds: Double) {
        advance(to: now + seconds)
    }

    func advance(to target: Double) {
        precondition(target + Self.epsilon >= now, "the manual clock only moves forward")
        while let next = nextDue(by: target) { fire(next) }
        now = max(now, target)
    }

    /// Fires every pending timer (and those they set) in order; `now` ends at the last deadline.
    func runUntilIdle(maxTimers: Int = 10_000) {
        var fired = 0
        while let next = nextDue(by: .infinity) {
            fire(next)
            fired += 1
            if fired >= maxTimers {
                Issue.record("more than \(maxTimers) timers fired: the engine does not settle")
                return
            }
        }
    }

    /// Fires timers one at a time until `condition` holds (or nothing is left).
    func advance(until condition: () -> Bool) {
        while !condition(), let next = nextDue(by: .infinity) { fire(next) }
    }

    var pendingTimers: [(deadline: Double, timer: EngineTimer)] {
        pending.sorted { ($0.deadline, $0.order) < ($1.deadline, $1.order) }.map { ($0.deadline, $0.timer) }
    }

    private func nextDue(by target: Double) -> Int? {
        var best: Int?
        for (index, timer) in pending.enumerated() where timer.deadline <= target + Self.epsilon {
            if let current = best, (pending[current].deadline, pending[current].order) <= (timer.deadline, timer.order) { continue }
            best = index
        }
        return best
    }

    private func fire(_ index: Int) {
        let timer = pending.remove(at: index)
        now = max(now, timer.deadline)
        firedTimers += 1
        apply(engine.fire(timer.timer, environment()))
    }

    // MARK: - Shortcuts

    /// Dials `to` with `calling.begin` and returns the new `call_id`.
    @discardableResult
    func dial(
        to: String = "+12015550100", from: String = "+15550001000", timeout: Int? = nil, tag: String = "tag-1", session: String = "s1"
    ) -> String {
        let result = run(.begin(BeginCommand(tag: tag, device: .phone(from: from, to: to, timeout: timeout))), session: session)
        #expect(result.code == "200", "calling.begin: \(result.message)")
        return result.members["call_id"]?.stringValue ?? ""
    }

    /// Dials `to` and runs the clock until the call is answered.
    @discardableResult
    func answeredOutbound(to: String = "+12015550100", session: String = "s1", tag: String = "tag-1") -> String {
        let id = dial(to: to, tag: tag, session: session)
        advance { snapshot(id)?.state == .answered }
        #expect(snapshot(id)?.state == .answered)
        return id
    }

    /// An inbound call offered to `session` on `office` and answered at once. Its ring timeout
    /// is 0 and fired right away (a no-op once answered), so no stale ring timer is left to move
    /// the clock in `runUntilIdle()`.
    @discardableResult
    func answeredInbound(behavior: PartyBehavior = .human, session: String = "s1", from: String = "+15551230000") -> String {
        if !receivers.contains(where: { $0.session == session && $0.context == "office" }) {
            receivers.append((project.id, "office", session))
        }
        let id = inject(from: from, context: "office", behavior: behavior, ringTimeout: 0).id
        let result = run(.answer(CallCommand(call: call(id))), session: session)
        #expect(result.code == "200")
        advance(by: 0)
        #expect(snapshot(id)?.state == .answered)
        return id
    }

    func snapshot(_ id: String) -> CallSnapshot? { engine.snapshot(of: id) }

    func call(_ id: String) -> CallAddress { CallAddress(nodeID: engine.snapshot(of: id)?.nodeID, callID: id) }

    func component(_ id: String, _ controlID: String) -> ComponentAddress { ComponentAddress(call: call(id), controlID: controlID) }

    /// The call's `call_id`/`node_id` members as JSON, plus `extra`.
    func ids(_ id: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var members = extra
        members["call_id"] = .string(id)
        members["node_id"] = engine.snapshot(of: id).map { .string($0.nodeID) } ?? .null
        return .object(members)
    }

    // MARK: - What happened

    /// How many events were sent so far: pass it to `lines(session:since:)`.
    var mark: Int { emitted.count }

    func events(for session: String) -> [CallingEvent] { emitted.filter { $0.session == session }.map(\.event) }

    func events(of callID: String) -> [Emitted] { emitted.filter { $0.event.callID == callID } }

    /// `call_state` of each `calling.call.state` event of the call, in order.
    func callStates(_ callID: String) -> [String] {
        events(of: callID).compactMap { if case .state(let state) = $0.event { state.state } else { nil } }
    }

    /// `"<time> <event>"` for each event of the call, e.g. `"2.0 state answered"`.
    func lines(call callID: String) -> [String] {
        events(of: callID).map { "\(Self.format($0.time)) \(Self.describe($0.event))" }
    }

    /// `"<time> <call_id> <event>"` for each event sent to the session.
    func lines(session: String = "s1", since mark: Int = 0) -> [String] {
        emitted.dropFirst(mark).filter { $0.session == session }.map { "\(Self.format($0.time)) \($0.event.callID ?? "-") \(Self.describe($0.event))" }
    }

    /// The time of the first event of the call matching `line` (as ``describe(_:)`` writes it).
    func time(of line: String, call callID: String) -> Double? {
        events(of: callID).first { Self.describe($0.event) == line }?.time
    }

    static func format(_ time: Double) -> String { "\((time * 1000).rounded() / 1000)" }

    /// A short, exact description of an event.
    static func describe(_ event: CallingEvent) -> String {
        switch event {
        case .state(let state): "state \(state.state)" + (state.endReason.map { " \($0)" } ?? "")
        case .receive(let state): "receive \(state.state)"
        case .connect(let connect): "connect \(connect.state)" + (connect.peer.map { " peer=\($0.callID)" } ?? "")
        case .play(let play): "play \(play.address.controlID) \(play.state)"
        case .collect(let collect):
            switch collect.result.type {
            case "digit":
                "collect \(collect.address.controlID) digit \(collect.result.params["digits"]?.stringValue ?? "?")"
                    + " terminator=\(collect.result.params["terminator"]?.stringValue ?? "?")"
            case "speech": "collect \(collect.address.controlID) speech \(collect.result.params["text"]?.stringValue ?? "?")"
            default: "collect \(collect.address.controlID) \(collect.result.type)"
            }
        case .record(let record):
            "record \(record.address.controlID) \(record.state)" + (record.duration.map { " \($0)s" } ?? "") + (record.size.map { " \($0)B" } ?? "")
        case .detect(let detect): "detect \(detect.address.controlID) \(detect.type) \(detect.event)"
        case .fax(let fax):
            fax.type == "page"
                ? "fax \(fax.address.controlID) page \(fax.params["number"]?.intValue ?? -1) \(fax.params["direction"]?.stringValue ?? "?")"
                : "fax \(fax.address.controlID) \(fax.type) success=\(fax.params["success"]?.boolValue.map { "\($0)" } ?? "?")"
                    + " pages=\(fax.params["pages"]?.intValue ?? -1)"
        case .tap(let tap): "tap \(tap.address.controlID) \(tap.state)"
        case .sendDigits(let digits): "send_digits \(digits.address.controlID) \(digits.state)"
        case .dial(let dial): "dial \(dial.tag) \(dial.state)" + (dial.call.map { " winner=\($0.callID)" } ?? "")
        case .refer(let refer): "refer \(refer.state)" + (refer.notifyResponseCode.map { " notify=\($0)" } ?? "")
        case .other(let type, _): "other \(type)"
        }
    }
}

/// Whether two simulated times are equal up to floating-point rounding.
func same(_ lhs: Double?, _ rhs: Double) -> Bool {
    guard let lhs else { return false }
    return abs(lhs - rhs) < 1e-6
}
