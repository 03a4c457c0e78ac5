import Foundation
import Logging
import RelayWire
import Synchronization
import Tracing

/// What to collect in a prompt: digits, speech or both, with their options.
public struct Collect: Sendable, Hashable {
    /// Seconds to wait for the first input.
    public var initialTimeout: Double?
    /// Options for collecting digits; nil does not collect digits.
    public var digits: CollectOptions.Digits?
    /// Options for recognising speech; nil does not listen for speech.
    public var speech: CollectOptions.Speech?

    /// What to collect, with every option given.
    public init(initialTimeout: Double? = nil, digits: CollectOptions.Digits? = nil, speech: CollectOptions.Speech? = nil) {
        self.initialTimeout = initialTimeout
        self.digits = digits
        self.speech = speech
    }

    /// Collect DTMF digits.
    public static func digits(max: Int? = nil, terminators: String? = nil, digitTimeout: Double? = nil, initialTimeout: Double? = nil) -> Collect {
        Collect(initialTimeout: initialTimeout, digits: .init(max: max, terminators: terminators, digitTimeout: digitTimeout))
    }

    /// Collect speech.
    public static func speech(
        endSilenceTimeout: Double? = nil, speechTimeout: Double? = nil, language: String? = nil, hints: [String]? = nil, initialTimeout: Double? = nil
    ) -> Collect {
        Collect(
            initialTimeout: initialTimeout,
            speech: .init(endSilenceTimeout: endSilenceTimeout, speechTimeout: speechTimeout, language: language, hints: hints))
    }

    /// Collect whichever comes first, digits or speech.
    public static func both(
        digitsMax: Int? = nil, digitsTerminators: String? = nil, digitsTimeout: Double? = nil,
        endSilenceTimeout: Double? = nil, speechTimeout: Double? = nil, speechLanguage: String? = nil, speechHints: [String]? = nil,
        initialTimeout: Double? = nil
    ) -> Collect {
        Collect(
            initialTimeout: initialTimeout, digits: .init(max: digitsMax, terminators: digitsTerminators, digitTimeout: digitsTimeout),
            speech: .init(endSilenceTimeout: endSilenceTimeout, speechTimeout: speechTimeout, language: speechLanguage, hints: speechHints))
    }

    var options: CollectOptions { CollectOptions(initialTimeout: initialTimeout, digits: digits, speech: speech) }
}

/// A call (`Relay.Calling.Call`): inbound, outbound or a leg created by `connect`.
///
/// Blocking methods (`play`, `record`, …) wait for the operation to finish and return its
/// result; `…Async` methods return as soon as Relay accepted the command, with an action to
/// watch and control it. Relay-side failures give unsuccessful results; transport failures
/// (timeout, lost connection) throw `RelayError`.
public final class Call: Sendable, CustomStringConvertible {
    struct Store: Sendable {
        var id: String?
        var nodeID: String?
        var state: CallState?
        var previousState: CallState?
        var context: String?
        var endReason: String?
        var wasAnswered = false
        var peer: Call?
        var components: [String: Component] = [:]
        var listeners: [CallEventName: [(ListenerID, @Sendable (CallEvent) -> Void)]] = [:]
        var streams: [Int: AsyncStream<CallEvent>.Continuation] = [:]
        var nextStream = 0
        /// Open from when the client learns of the call until it ends; actions are its children.
        var span: (any Span)?
    }

    /// Client-side id used to match events before Relay assigns `id`.
    public let tag: String
    /// The device type (`phone`).
    public let callType: String
    /// The calling number.
    public let from: String
    /// The called number.
    public let to: String
    /// Seconds to ring before the call gives up, when set.
    public let timeout: Int?
    /// Whether the call came in or was dialled.
    public let direction: CallDirection

    let session: Session
    let logger: Logger
    /// The device a multi-device dial rang for this leg.
    let dialDevice: CallDevice?
    private let callingRef: WeakCalling
    private let store: Mutex<Store>

    init(calling: Calling, callType: String, from: String, to: String, timeout: Int?, direction: String, id: String? = nil, nodeID: String? = nil, context: String? = nil, state: CallState? = nil,
        device: CallDevice? = nil
    ) {
        session = calling.session
        dialDevice = device
        logger = calling.logger
        callingRef = WeakCalling(value: calling)
        tag = UUID().uuidString.lowercased()
        self.callType = callType
        self.from = from
        self.to = to
        self.timeout = timeout
        self.direction = CallDirection(rawValue: direction)
        store = Mutex(Store(id: id, nodeID: nodeID, state: state, context: context))
    }

    var calling: Calling? { callingRef.value }

    // MARK: Properties

    /// Relay's call id, known once the first event for the call arrived.
    public var id: String? { store.withLock { $0.id } }
    /// The Relay node that owns the call, known with `id`.
    public var nodeID: String? { store.withLock { $0.nodeID } }
    /// The latest state Relay reported; nil before the first event.
    public var state: CallState? { store.withLock { $0.state } }
    /// The state before `state`.
    public var previousState: CallState? { store.withLock { $0.previousState } }
    /// The context an inbound call arrived on.
    public var context: String? { store.withLock { $0.context } }
    /// The leg this call is connected to, if any.
    public var peer: Call? { store.withLock { $0.peer } }
    /// Whether the call is answered right now.
    public var answered: Bool { state == .answered }
    /// True once the call is `ending` or `ended`.
    public var ended: Bool { state?.isOver ?? false }
    /// Whether the call is not yet ending or ended.
    public var active: Bool { !ended }
    /// Whether the call ended because the line was busy.
    public var busy: Bool { store.withLock { $0.endReason == "busy" } }
    /// Whether the call ended because it could not be placed.
    public var failed: Bool { store.withLock { $0.endReason == "error" } }
    /// Why the call ended (`end_reason`), once it has.
    public var endReason: CallEndReason? { store.withLock { $0.endReason.map(CallEndReason.init(rawValue:)) } }

    public var description: String {
        "Call(\(id ?? "tag:\(tag)"), \(direction) \(from) → \(to), \(state?.rawValue ?? "new"))"
    }

    var address: CallAddress {
        store.withLock { CallAddress(nodeID: $0.nodeID, callID: $0.id) }
    }

    // MARK: Listeners and the event stream

    /// Adds a listener for one call event; see `CallEventName`.
    @discardableResult
    public func on(_ event: CallEventName, _ handler: @escaping @Sendable (CallEvent) -> Void) -> ListenerID {
        let id = ListenerID.next()
        store.withLock { $0.listeners[event, default: []].append((id, handler)) }
        return id
    }

    /// Removes one listener, or all listeners of `event` when `id` is nil.
    public func off(_ event: CallEventName, _ id: ListenerID? = nil) {
        store.withLock { store in
            if let id { store.listeners[event]?.removeAll { $0.0 == id } } else { store.listeners[event] = nil }
        }
    }

    /// Every event of this call from now on, ending when the call ends. Each access makes a
    /// new stream; a slow reader keeps the newest 256 events.
    public var events: AsyncStream<CallEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: CallEvent.self, bufferingPolicy: .bufferingNewest(256))
        let alreadyEnded = store.withLock { store -> Bool in
            if store.state == .ended { return true }
            let key = store.nextStream
            store.nextStream += 1
            store.streams[key] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.store.withLock { _ = $0.streams.removeValue(forKey: key) }
            }
            return false
        }
        if alreadyEnded { continuation.finish() }
        return stream
    }

    /// Hands one event to the listeners of its general name, then of its specific name, then
    /// to every stream. Nothing is copied when nobody listens: this runs for every event.
    private func publish(_ event: CallEvent) {
        let general = event.generalName
        let (handlers, streams) = store.withLock { store -> ([@Sendable (CallEvent) -> Void], [AsyncStream<CallEvent>.Continuation]) in
            guard !store.listeners.isEmpty || !store.streams.isEmpty else { return ([], []) }
            var handlers = store.listeners[general]?.map(\.1) ?? []
            if event.name != general, let specific = store.listeners[event.name] { handlers += specific.map(\.1) }
            return (handlers, store.streams.isEmpty ? [] : Array(store.streams.values))
        }
        for handler in handlers { handler(event) }
        for stream in streams { stream.yield(event) }
    }

    // MARK: Event handling (called by Calling, on the session's event loop)

    func adopt(id: String, nodeID: String?) {
        store.withLock { store in
            if store.id == nil { store.id = id }
            if store.nodeID == nil { store.nodeID = nodeID }
        }
    }

    func handleState(_ event: CallStateEvent) {
        guard let newState = event.callState else { return }
        let components = store.withLock { store -> [Component] in
            if store.id == nil { store.id = event.callID }
            if store.nodeID == nil { store.nodeID = event.nodeID }
            store.previousState = store.state
            store.state = newState
            if newState == .answered { store.wasAnswered = true }
            if let reason = event.endReason { store.endReason = reason }
            return Array(store.components.values)
        }
        // Listeners hear an event before the operation it completes returns to its caller.
        let wire = CallingEvent.state(event)
        if let callEvent = CallEvent(wire) { publish(callEvent) }
        for component in components where component.kind.followsCallState {
            if component.handle(wire) { unregister(component) }
        }
        if newState == .ended { finish(ended: wire) }
    }

    /// Opens the call's span (once).
    func startSpan(_ tracer: any Tracer) {
        let span = tracer.startSpan("call", ofKind: direction == "inbound" ? .server : .client)
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["signalwire.call.direction"] = direction.rawValue
                attributes["signalwire.call.from"] = from
                attributes["signalwire.call.to"] = to
                if let id { attributes["signalwire.call_id"] = id }
            }
        }
        let previous = store.withLock { store -> (any Span)? in
            guard store.span == nil else { return span }
            store.span = span
            return nil
        }
        previous?.end()
    }

    /// A child span of the call for one action, keyed by its `control_id`.
    private func actionSpan(_ method: String, controlID: String) -> (any Span)? {
        guard let parent = store.withLock({ $0.span }), parent.isRecording else { return nil }
        let span = session.instruments.tracer.startSpan(method, context: parent.context, ofKind: .client)
        span.updateAttributes { $0["signalwire.control_id"] = controlID }
        return span
    }

    /// The call is over: every pending operation fails (Python skips every other one, §6.1),
    /// listeners are released and streams end.
    private func finish(ended: CallingEvent) {
        let (components, streams) = store.withLock { store in
            defer {
                store.components.removeAll()
                store.listeners.removeAll()
                store.streams.removeAll()
                store.peer = nil
            }
            return (Array(store.components.values), Array(store.streams.values))
        }
        let span = store.withLock { store in
            defer { store.span = nil }
            return store.span
        }
        if let span {
            if let id, span.isRecording { span.updateAttributes { $0["signalwire.call_id"] = id } }
            if let reason = endReason { span.attributes["signalwire.call.end_reason"] = reason.rawValue }
            span.end()
        }
        let event = RelayEvent(name: CallState.ended.rawValue, event: ended)
        for component in components { component.terminate(event: event) }
        for stream in streams { stream.finish() }
    }

    /// The session that knew this call is gone: end it locally.
    func abandon(reason: String) {
        let ended = CallingEvent.state(CallStateEvent(callID: id ?? "", nodeID: nil, state: CallState.ended.rawValue, endReason: reason))
        store.withLock { store in
            store.previousState = store.state
            store.state = .ended
            store.endReason = reason
        }
        if let event = CallEvent(ended) { publish(event) }
        finish(ended: ended)
    }

    /// A `calling.call.refer`: listeners first, then the refer operation waiting on it.
    func handleRefer(_ event: ReferEvent) {
        let components = store.withLock { Array($0.components.values) }
        let wire = CallingEvent.refer(event)
        if let callEvent = CallEvent(wire) { publish(callEvent) }
        for component in components where component.kind.followsRefer {
            if component.handle(wire) { unregister(component) }
        }
    }

    func handleConnect(_ event: ConnectEvent, peerCall: Call?) {
        let components = store.withLock { store -> [Component] in
            store.peer = event.state == "connected" ? peerCall : nil
            return Array(store.components.values)
        }
        let wire = CallingEvent.connect(event)
        if let callEvent = CallEvent(wire) { publish(callEvent) }
        for component in components where component.kind.followsConnect {
            if case .connect = component.kind { component.setPeer(event.state == "connected" ? peerCall : nil) }
            if component.handle(wire) { unregister(component) }
        }
    }

    /// A component event (play, collect, record, …): listeners first, then the operation
    /// with that `control_id`, which ignores events of another kind.
    func handleComponentEvent(_ event: CallingEvent) {
        let component = store.withLock { store in event.controlID.flatMap { store.components[$0] } }
        if let callEvent = CallEvent(event) { publish(callEvent) }
        if let component, component.handle(event) { unregister(component) }
    }

    private func register(_ component: Component) {
        store.withLock { $0.components[component.controlID] = component }
    }

    private func unregister(_ component: Component) {
        store.withLock { store in
            // Only this component: the key may already belong to a newer one.
            if store.components[component.controlID] === component { store.components[component.controlID] = nil }
        }
    }

    // MARK: Running components

    /// Sends a command for a component and records the outcome. A call that is ending or
    /// over fails the component without sending anything (as Python does).
    private func start(_ component: Component, method: String, params: JSONValue) async throws {
        component.store.withLock { $0.payload = params }
        if ended {
            logger.debug("command skipped: the call has ended", metadata: ["method": "\(method)", "call_id": "\(id ?? tag)"])
            component.terminate()
            return
        }
        register(component)
        if !component.kind.followsCallState, let span = actionSpan(method, controlID: component.controlID) {
            component.attach(span)
        }
        do {
            let result = try await session.execute(method, params: params)
            component.recordExecuteResult(result)
        } catch let error as RelayError where error.code == .callGone {
            // RELAY v3: the call does not exist any more. Not an error of the caller's: the
            // operation ends unsuccessfully, and so does everything else waiting on the call.
            logger.info("command skipped: Relay says the call is gone", metadata: ["method": "\(method)", "call_id": "\(id ?? tag)", "code": "\(error.relayCode ?? "")"])
            unregister(component)
            component.terminate(event: RelayEvent(name: RelayEvent.callGoneName, payload: ["code": .string(error.relayCode ?? ""), "method": .string(method)]))
            if !ended {
                calling?.forget(self)
                abandon(reason: CallEndReason.gone.rawValue)
            }
        } catch let error as RelayError where error.isCommandFailure {
            logger.debug("command failed: Relay refused it", metadata: ["method": "\(method)", "call_id": "\(id ?? tag)", "error": "\(error)"])
            unregister(component)
            component.terminate()
        } catch {
            unregister(component)
            component.terminate()
            throw error
        }
    }

    private func run(_ kind: Component.Kind, method: String, controlID: String, params: JSONValue) async throws -> Component {
        let component = Component(kind: kind, controlID: controlID)
        try await start(component, method: method, params: params)
        try await component.waitForCompletion()
        return component
    }

    private func newControlID() -> String { UUID().uuidString.lowercased() }

    private func componentAddress(_ controlID: String) -> ComponentAddress {
        ComponentAddress(call: address, controlID: controlID)
    }

    private func action(
        _ kind: Component.Kind, method: String, stopMethod: String?, shownControlID: String? = nil, params: (String) -> JSONValue
    ) async throws -> ActionCore {
        let controlID = newControlID()
        let component = Component(kind: kind, controlID: controlID)
        try await start(component, method: method, params: params(controlID))
        return ActionCore(call: self, component: component, stopMethod: stopMethod, shownControlID: shownControlID)
    }

    // MARK: Dial, answer, hangup

    /// Starts this outbound call and waits until it is answered or ends.
    public func dial() async throws -> DialResult {
        let device: Device
        if callType == DeviceType.phone {
            var params = Device.phone(from: from, to: to, timeout: nil).params
            if let timeout { params["timeout"] = .int(timeout) }
            device = Device(type: callType, params: params)
        } else {
            // SIP and WebRTC devices name their parties `to`/`from`, not `to_number`.
            device = CallDevice(callType: callType, to: to, from: from, timeout: timeout).wire(defaultFrom: nil, defaultTimeout: nil)
        }
        // v2 `calling.begin`, v3 `calling.dial` with one device: either way the leg's events
        // carry our tag until its id is known.
        let (method, command) = session.dialectType.outboundCall(tag: tag, device: device)
        let component = Component(kind: .dial, controlID: tag)
        calling?.track(self)
        try await start(component, method: method, params: command)
        try await component.waitForCompletion()
        let store = component.snapshot
        return DialResult(successful: store.successful, event: store.event, call: self)
    }

    /// Answers an inbound call.
    public func answer() async throws -> AnswerResult {
        let component = try await run(.answer, method: RelayMethod.answer, controlID: newControlID(), params: CallCommand(call: address).json)
        let store = component.snapshot
        return AnswerResult(successful: store.successful, event: store.event)
    }

    /// Hangs up and waits for the call to end.
    /// - Parameter reason: `hangup` (default), `cancel`, `busy`, `noAnswer`, `decline` or `error`.
    public func hangup(reason: CallEndReason = .hangup) async throws -> HangupResult {
        let component = try await run(
            .hangup(reason: reason.rawValue), method: RelayMethod.end, controlID: newControlID(),
            params: EndCommand(call: address, reason: reason.rawValue).json)
        let store = component.snapshot
        return HangupResult(successful: store.successful, event: store.event, reason: store.endReason.map(CallEndReason.init(rawValue:)) ?? reason)
    }

    // MARK: Pass and refer

    /// Declines an inbound call that is still ringing, so Relay offers it to another consumer
    /// receiving its context (`calling.pass`). The call is then no longer this client's: it
    /// gets no more events for it. With no other consumer, Relay keeps ringing it until its
    /// ring timeout.
    public func pass() async throws -> PassResult {
        if ended { return PassResult(successful: false) }
        do {
            _ = try await session.execute(RelayMethod.pass, params: CallCommand(call: address).json)
        } catch let error as RelayError where error.isCommandFailure {
            logger.debug("pass refused", metadata: ["call_id": "\(id ?? tag)", "error": "\(error)"])
            return PassResult(successful: false)
        }
        calling?.release(self)
        return PassResult(successful: true)
    }

    /// Transfers an answered call with a SIP REFER and waits for the outcome: the far end
    /// calls `to` and, when the target answers (`success`), this leg is released and ends.
    /// - Parameters:
    ///   - to: the SIP URI to transfer to, such as `sip:agent@example.com`.
    ///   - headers: extra SIP headers for the REFER.
    ///   - username: credentials if the target asks for authentication.
    ///   - password: the password for `username`.
    public func refer(to: String, headers: [SIPHeader] = [], username: String? = nil, password: String? = nil) async throws -> ReferResult {
        try await referAsync(to: to, headers: headers, username: username, password: password).wait()
    }

    /// Starts a SIP REFER and returns once Relay accepted it; the action completes with the
    /// transfer's outcome. See ``refer(to:headers:username:password:)``.
    public func referAsync(to: String, headers: [SIPHeader] = [], username: String? = nil, password: String? = nil) async throws -> ReferAction {
        let command = ReferCommand(call: address, to: to, username: username, password: password, headers: headers)
        // calling.refer has no control_id: its events are matched by call, as Node matches them by tag.
        return ReferAction(core: try await action(.refer, method: RelayMethod.refer, stopMethod: nil, shownControlID: tag) { _ in command.json })
    }

    // MARK: Connect

    private func connectCommand(_ devices: [[ConnectDevice]], ringback: [Media]) -> ConnectCommand {
        let groups = devices.map { group in group.map { $0.wire(defaultFrom: from, defaultTimeout: timeout) } }
        return ConnectCommand(call: address, devices: groups, ringback: ringback)
    }

    /// Connects this call to other devices and waits until one answers or all fail.
    /// - Parameters:
    ///   - devices: groups tried in series; devices inside a group ring in parallel.
    ///   - ringback: what the caller hears while the devices ring.
    public func connect(_ devices: [[ConnectDevice]], ringback: [Media] = []) async throws -> ConnectResult {
        try await connectAsync(devices, ringback: ringback).wait()
    }

    /// Connects to devices one after another.
    public func connect(series devices: [ConnectDevice], ringback: [Media] = []) async throws -> ConnectResult {
        try await connect(devices.map { [$0] }, ringback: ringback)
    }

    /// Connects to devices ringing all at once.
    public func connect(parallel devices: [ConnectDevice], ringback: [Media] = []) async throws -> ConnectResult {
        try await connect([devices], ringback: ringback)
    }

    /// Starts connecting this call to devices and returns once Relay accepted the command.
    /// - Parameters:
    ///   - devices: groups tried in series; the devices of one group ring in parallel.
    ///   - ringback: what the caller hears while the devices ring.
    public func connectAsync(_ devices: [[ConnectDevice]], ringback: [Media] = []) async throws -> ConnectAction {
        let command = connectCommand(devices, ringback: ringback)
        // calling.connect has no control_id: connect events are matched by call, and Python
        // names the operation by the call's tag.
        return ConnectAction(core: try await action(.connect, method: RelayMethod.connect, stopMethod: nil, shownControlID: tag) { _ in command.json })
    }

    /// Ends the bridge with the connected leg.
    public func disconnect() async throws -> DisconnectResult {
        let component = try await run(.disconnect, method: RelayMethod.disconnect, controlID: newControlID(), params: CallCommand(call: address).json)
        let store = component.snapshot
        return DisconnectResult(successful: store.successful, event: store.event)
    }

    // MARK: Play

    /// Plays media in order and waits until playback ends.
    /// - Parameters:
    ///   - media: audio files, TTS, silence or ringtones.
    ///   - volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func play(_ media: [Media], volume: Double = 0) async throws -> PlayResult {
        try await playAsync(media, volume: volume).wait()
    }

    /// Starts playing media and returns an action to pause, resume, change volume or stop it.
    /// - Parameters:
    ///   - media: audio files, TTS, silence or ringtones.
    ///   - volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func playAsync(_ media: [Media], volume: Double = 0) async throws -> PlayAction {
        let address = self.address
        return PlayAction(
            core: try await action(.play, method: RelayMethod.play, stopMethod: RelayMethod.playStop) { controlID in
                PlayCommand(component: ComponentAddress(call: address, controlID: controlID), media: media, volume: volume).json
            })
    }

    /// Plays an audio file and waits until it ends.
    public func playAudio(url: String, volume: Double = 0) async throws -> PlayResult { try await play([.audio(url: url)], volume: volume) }
    /// Starts playing an audio file; see `playAsync(_:volume:)`.
    public func playAudioAsync(url: String, volume: Double = 0) async throws -> PlayAction { try await playAsync([.audio(url: url)], volume: volume) }
    /// Plays silence for `duration` seconds.
    public func playSilence(duration: Double) async throws -> PlayResult { try await play([.silence(duration: duration)]) }
    /// Starts playing silence; see `playAsync(_:volume:)`.
    public func playSilenceAsync(duration: Double) async throws -> PlayAction { try await playAsync([.silence(duration: duration)]) }
    /// Plays a ringtone (`us`, `gb`, …) and waits until it ends.
    public func playRingtone(name: String, duration: Double? = nil, volume: Double = 0) async throws -> PlayResult {
        try await play([.ringtone(name: name, duration: duration)], volume: volume)
    }
    /// Starts playing a ringtone; see `playAsync(_:volume:)`.
    public func playRingtoneAsync(name: String, duration: Double? = nil, volume: Double = 0) async throws -> PlayAction {
        try await playAsync([.ringtone(name: name, duration: duration)], volume: volume)
    }
    /// Speaks `text` and waits until it has been said.
    /// - Parameters:
    ///   - text: what to say (SSML is passed through).
    ///   - language: such as `en-US`; Relay's default when nil.
    ///   - gender: `male` or `female`; Relay's default when nil.
    ///   - volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func playTTS(text: String, language: String? = nil, gender: String? = nil, volume: Double = 0) async throws -> PlayResult {
        try await play([.tts(text: text, language: language, gender: gender)], volume: volume)
    }
    /// Starts speaking `text`; see `playTTS(text:language:gender:volume:)`.
    public func playTTSAsync(text: String, language: String? = nil, gender: String? = nil, volume: Double = 0) async throws -> PlayAction {
        try await playAsync([.tts(text: text, language: language, gender: gender)], volume: volume)
    }

    // MARK: Prompt

    /// Plays media and collects digits and/or speech.
    public func prompt(_ collect: Collect, media: [Media], volume: Double? = nil) async throws -> PromptResult {
        try await promptAsync(collect, media: media, volume: volume).wait()
    }

    /// Starts a prompt and returns an action to change its volume or stop it.
    /// - Parameters:
    ///   - collect: what to collect.
    ///   - media: what to play while collecting.
    ///   - volume: -40 dB … +40 dB; nil leaves it unchanged.
    public func promptAsync(_ collect: Collect, media: [Media], volume: Double? = nil) async throws -> PromptAction {
        guard collect.digits != nil || collect.speech != nil else {
            throw RelayError.invalidArgument("a prompt needs digits, speech or both to collect")
        }
        let address = self.address
        return PromptAction(
            core: try await action(.prompt, method: RelayMethod.playAndCollect, stopMethod: RelayMethod.playAndCollectStop) { controlID in
                PlayAndCollectCommand(component: ComponentAddress(call: address, controlID: controlID), media: media, collect: collect.options, volume: volume).json
            })
    }

    /// Plays an audio file while collecting input, and waits for the input.
    public func promptAudio(_ collect: Collect, url: String, volume: Double? = nil) async throws -> PromptResult {
        try await prompt(collect, media: [.audio(url: url)], volume: volume)
    }
    /// Starts a prompt that plays an audio file; see `promptAsync(_:media:volume:)`.
    public func promptAudioAsync(_ collect: Collect, url: String, volume: Double? = nil) async throws -> PromptAction {
        try await promptAsync(collect, media: [.audio(url: url)], volume: volume)
    }
    /// Speaks `text` while collecting input, and waits for the input.
    ///
    /// ```swift
    /// let pin = try await call.promptTTS(.digits(max: 4, terminators: "#"), text: "Enter your PIN")
    /// if pin.successful { print(pin.result ?? "") }
    /// ```
    public func promptTTS(_ collect: Collect, text: String, language: String? = nil, gender: String? = nil, volume: Double? = nil) async throws -> PromptResult {
        try await prompt(collect, media: [.tts(text: text, language: language, gender: gender)], volume: volume)
    }
    /// Starts a prompt that speaks `text`; see `promptAsync(_:media:volume:)`.
    public func promptTTSAsync(_ collect: Collect, text: String, language: String? = nil, gender: String? = nil, volume: Double? = nil) async throws -> PromptAction {
        try await promptAsync(collect, media: [.tts(text: text, language: language, gender: gender)], volume: volume)
    }
    /// Plays a ringtone while collecting input, and waits for the input.
    public func promptRingtone(_ collect: Collect, name: String, duration: Double? = nil, volume: Double? = nil) async throws -> PromptResult {
        try await prompt(collect, media: [.ringtone(name: name, duration: duration)], volume: volume)
    }
    /// Starts a prompt that plays a ringtone; see `promptAsync(_:media:volume:)`.
    public func promptRingtoneAsync(_ collect: Collect, name: String, duration: Double? = nil, volume: Double? = nil) async throws -> PromptAction {
        try await promptAsync(collect, media: [.ringtone(name: name, duration: duration)], volume: volume)
    }

    // MARK: Record

    /// Records the call and waits until the recording ends.
    /// - Parameters:
    ///   - beep: play a beep first.
    ///   - format: `mp3` or `wav`.
    ///   - stereo: each side on its own channel.
    ///   - direction: which side to record.
    ///   - initialTimeout: seconds of silence allowed before anything is said.
    ///   - endSilenceTimeout: seconds of silence that end the recording.
    ///   - terminators: DTMF digits that end the recording.
    public func record(
        beep: Bool? = nil, format: RecordFormat? = nil, stereo: Bool? = nil, direction: MediaDirection? = nil,
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, terminators: String? = nil
    ) async throws -> RecordResult {
        try await recordAsync(
            beep: beep, format: format, stereo: stereo, direction: direction, initialTimeout: initialTimeout,
            endSilenceTimeout: endSilenceTimeout, terminators: terminators
        ).wait()
    }

    /// Starts recording and returns an action to stop it; the URL is known at once.
    /// Parameters as in `record(beep:format:stereo:direction:initialTimeout:endSilenceTimeout:terminators:)`.
    public func recordAsync(
        beep: Bool? = nil, format: RecordFormat? = nil, stereo: Bool? = nil, direction: MediaDirection? = nil,
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, terminators: String? = nil
    ) async throws -> RecordAction {
        let options = RecordOptions(
            beep: beep, format: format?.rawValue, stereo: stereo, direction: direction?.rawValue, initialTimeout: initialTimeout,
            endSilenceTimeout: endSilenceTimeout, terminators: terminators)
        let address = self.address
        return RecordAction(
            core: try await action(.record, method: RelayMethod.record, stopMethod: RelayMethod.recordStop) { controlID in
                RecordCommand(component: ComponentAddress(call: address, controlID: controlID), record: options).json
            })
    }

    // MARK: Send digits

    /// Sends DTMF: `0-9`, `*`, `#`, `A-D`, and `w`/`W` for short/long pauses.
    /// - Throws: `RelayError.invalidArgument` (before sending anything) for other characters.
    public func sendDigits(_ digits: String) async throws -> SendDigitsResult {
        try await sendDigitsAsync(digits).wait()
    }

    /// Starts sending DTMF digits; see `sendDigits(_:)`.
    public func sendDigitsAsync(_ digits: String) async throws -> SendDigitsAction {
        if digits.isEmpty { throw RelayError.invalidArgument("no digits to send") }
        if let bad = SendDigitsCommand.firstInvalidCharacter(in: digits) {
            // The server applies the same rule (SendDigitsCommand) and words it the same way.
            throw RelayError.invalidArgument("'\(bad)' is not a DTMF digit: \(SendDigitsCommand.rule)")
        }
        let address = self.address
        return SendDigitsAction(
            core: try await action(.sendDigits, method: RelayMethod.sendDigits, stopMethod: nil) { controlID in
                SendDigitsCommand(component: ComponentAddress(call: address, controlID: controlID), digits: digits).json
            })
    }

    // MARK: Tap

    /// Streams the call's audio to `device` until the call ends or the tap is stopped.
    /// - Parameters:
    ///   - direction: `listen` (what the caller hears), `speak` (what they say) or `both`.
    ///   - device: where the media goes: `TapDevice.rtp(address:port:codec:ptime:rate:)` or `TapDevice.ws(uri:codec:rate:)`.
    public func tap(direction: MediaDirection, device: TapDevice) async throws -> TapResult {
        try await tapAsync(direction: direction, device: device).wait()
    }

    /// Starts tapping media; see `tap(direction:device:)`.
    public func tapAsync(direction: MediaDirection, device: TapDevice) async throws -> TapAction {
        let address = self.address
        return TapAction(
            core: try await action(.tap, method: RelayMethod.tap, stopMethod: RelayMethod.tapStop) { controlID in
                TapCommand(component: ComponentAddress(call: address, controlID: controlID), direction: direction.rawValue, device: device).json
            })
    }

    // MARK: Detect

    /// Runs a detector and waits for its answer. With `waitForBeep` a machine result waits
    /// until the machine is ready to take a message.
    public func detect(_ detector: DetectOptions, timeout: Double? = nil, waitForBeep: Bool = false) async throws -> DetectResult {
        let controlID = newControlID()
        let command = DetectCommand(component: componentAddress(controlID), detect: detector, timeout: timeout)
        let component = try await run(.detect(waitForBeep: waitForBeep, blocking: true), method: RelayMethod.detect, controlID: controlID, params: command.json)
        return component.snapshot.detectResult_
    }

    /// Runs a detector in the background; its result lists every detection, comma separated.
    public func detectAsync(_ detector: DetectOptions, timeout: Double? = nil) async throws -> DetectAction {
        let address = self.address
        return DetectAction(
            core: try await action(.detect(waitForBeep: false, blocking: false), method: RelayMethod.detect, stopMethod: RelayMethod.detectStop) { controlID in
                DetectCommand(component: ComponentAddress(call: address, controlID: controlID), detect: detector, timeout: timeout).json
            })
    }

    /// Detects whether a person or a machine answered, and waits for the answer.
    /// - Parameters:
    ///   - initialTimeout: seconds to wait for the first sound.
    ///   - endSilenceTimeout: seconds of silence that end a greeting.
    ///   - machineVoiceThreshold: seconds of speech that mean a machine.
    ///   - machineWordsThreshold: words that mean a machine.
    ///   - timeout: seconds the detector runs.
    ///   - waitForBeep: with a machine, wait for its beep before returning.
    public func detectAnsweringMachine(
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, machineVoiceThreshold: Double? = nil, machineWordsThreshold: Double? = nil,
        timeout: Double? = nil, waitForBeep: Bool = false
    ) async throws -> DetectResult {
        try await detect(
            .machine(initialTimeout: initialTimeout, endSilenceTimeout: endSilenceTimeout, machineVoiceThreshold: machineVoiceThreshold, machineWordsThreshold: machineWordsThreshold),
            timeout: timeout, waitForBeep: waitForBeep)
    }

    /// Starts answering-machine detection; see `detectAnsweringMachine`.
    public func detectAnsweringMachineAsync(
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, machineVoiceThreshold: Double? = nil, machineWordsThreshold: Double? = nil,
        timeout: Double? = nil
    ) async throws -> DetectAction {
        try await detectAsync(
            .machine(initialTimeout: initialTimeout, endSilenceTimeout: endSilenceTimeout, machineVoiceThreshold: machineVoiceThreshold, machineWordsThreshold: machineWordsThreshold),
            timeout: timeout)
    }

    /// Alias of `detectAnsweringMachine`.
    public func amd(
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, machineVoiceThreshold: Double? = nil, machineWordsThreshold: Double? = nil,
        timeout: Double? = nil, waitForBeep: Bool = false
    ) async throws -> DetectResult {
        try await detectAnsweringMachine(
            initialTimeout: initialTimeout, endSilenceTimeout: endSilenceTimeout, machineVoiceThreshold: machineVoiceThreshold,
            machineWordsThreshold: machineWordsThreshold, timeout: timeout, waitForBeep: waitForBeep)
    }

    /// Alias of `detectAnsweringMachineAsync`.
    public func amdAsync(
        initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, machineVoiceThreshold: Double? = nil, machineWordsThreshold: Double? = nil,
        timeout: Double? = nil
    ) async throws -> DetectAction {
        try await detectAnsweringMachineAsync(
            initialTimeout: initialTimeout, endSilenceTimeout: endSilenceTimeout, machineVoiceThreshold: machineVoiceThreshold,
            machineWordsThreshold: machineWordsThreshold, timeout: timeout)
    }

    /// Detects DTMF digits; `digits` limits which keys count.
    public func detectDigit(digits: String? = nil, timeout: Double? = nil) async throws -> DetectResult {
        try await detect(.digit(digits: digits), timeout: timeout)
    }
    /// Starts digit detection; see `detectDigit(digits:timeout:)`.
    public func detectDigitAsync(digits: String? = nil, timeout: Double? = nil) async throws -> DetectAction {
        try await detectAsync(.digit(digits: digits), timeout: timeout)
    }

    /// Detects a fax tone: `CED` (called station) or `CNG` (calling station).
    public func detectFax(tone: String? = nil, timeout: Double? = nil) async throws -> DetectResult {
        try await detect(.fax(tone: tone), timeout: timeout)
    }
    /// Starts fax tone detection; see `detectFax(tone:timeout:)`.
    public func detectFaxAsync(tone: String? = nil, timeout: Double? = nil) async throws -> DetectAction {
        try await detectAsync(.fax(tone: tone), timeout: timeout)
    }

    // MARK: Fax

    /// Receives a fax and waits until it is complete.
    public func faxReceive() async throws -> FaxResult { try await faxReceiveAsync().wait() }

    /// Starts receiving a fax and returns an action to stop it.
    public func faxReceiveAsync() async throws -> FaxAction {
        let address = self.address
        return FaxAction(
            core: try await action(.fax, method: RelayMethod.receiveFax, stopMethod: RelayMethod.receiveFaxStop) { controlID in
                ComponentControlCommand(component: ComponentAddress(call: address, controlID: controlID)).json
            })
    }

    /// Sends the PDF at `document`. `identity` is the number shown to the receiver and
    /// `header` the text printed at the top of each page.
    public func faxSend(document: String, identity: String? = nil, header: String? = nil) async throws -> FaxResult {
        try await faxSendAsync(document: document, identity: identity, header: header).wait()
    }

    /// Starts sending a fax; see `faxSend(document:identity:header:)`.
    public func faxSendAsync(document: String, identity: String? = nil, header: String? = nil) async throws -> FaxAction {
        let address = self.address
        return FaxAction(
            core: try await action(.fax, method: RelayMethod.sendFax, stopMethod: RelayMethod.sendFaxStop) { controlID in
                SendFaxCommand(component: ComponentAddress(call: address, controlID: controlID), document: document, identity: identity, header: header).json
            })
    }

    // MARK: Waiting for states

    /// Waits until the call reaches (or has passed) any of `states`. Returns false if the call
    /// ended first.
    public func waitFor(_ states: CallState...) async throws -> Bool {
        try await waitFor(states)
    }

    /// Waits until the call reaches one of `states` (or a later state); false when it ended first.
    public func waitFor(_ states: [CallState]) async throws -> Bool {
        let component = Component(kind: .awaitState(states), controlID: newControlID())
        let decided = store.withLock { store -> Bool? in
            if let current = store.state, states.contains(where: { current >= $0 }) {
                // Past the awaited state already; an ended call only counts if it got that far.
                if current.isOver && !states.contains(where: \.isOver) { return store.wasAnswered }
                return true
            }
            store.components[component.controlID] = component
            return nil
        }
        if let decided { return decided }
        try await component.waitForCompletion()
        return component.snapshot.successful
    }

    /// Waits until the call rings; false when it ended first.
    public func waitForRinging() async throws -> Bool { try await waitFor(.ringing) }
    /// Waits until the call is answered; false when it ended first.
    public func waitForAnswered() async throws -> Bool { try await waitFor(.answered) }
    /// Waits until the call is ending.
    public func waitForEnding() async throws -> Bool { try await waitFor(.ending) }
    /// Waits until the call has ended.
    public func waitForEnded() async throws -> Bool { try await waitFor(.ended) }
}

struct WeakCalling: Sendable {
    weak var value: Calling?
}
