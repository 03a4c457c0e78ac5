import RelayWire

/// What every `…Async` action shares: a live view of a running operation.
public protocol CallAction: Sendable {
    /// The result type `wait()` returns.
    associatedtype Result: Sendable
    /// The final result so far (complete once `completed` is true).
    var result: Result { get }
    /// The operation's current state as Relay reported it (`playing`, `finished`, …).
    var state: String { get }
    /// Whether the operation has finished.
    var completed: Bool { get }
    /// The params sent to Relay to start the operation.
    var payload: JSONValue { get }
    /// Waits for the operation to finish and returns its result.
    func wait() async throws -> Result
}

/// Shared plumbing of the action types.
public struct ActionCore: Sendable {
    let call: Call
    let component: Component
    let stopMethod: String?
    /// What `controlID` reports when it is not the component's own (connect: the call's tag).
    var shownControlID: String? = nil

    /// The `control_id` Relay knows the operation by.
    public var controlID: String { shownControlID ?? component.controlID }
    /// The operation's current state as Relay reported it.
    public var state: String { component.snapshot.state }
    /// Whether the operation has finished.
    public var completed: Bool { component.isCompleted }
    /// The params sent to Relay to start the operation.
    public var payload: JSONValue { component.snapshot.payload }

    /// Sends a control command (`.stop`, `.pause`, …); true when Relay accepted it.
    func control(_ method: String, volume: Double? = nil) async -> Bool {
        let command = ComponentControlCommand(component: ComponentAddress(call: call.address, controlID: component.controlID), volume: volume)
        do {
            _ = try await call.session.execute(method, params: command.json)
            return true
        } catch {
            call.logger.debug("control command failed", metadata: ["method": "\(method)", "error": "\(error)"])
            return false
        }
    }

    func stop() async -> StopResult {
        guard let stopMethod else { return StopResult(successful: false) }
        return StopResult(successful: await control(stopMethod))
    }
}

/// A running operation started by one of the `…Async` methods: a live view of its state and
/// result, plus the controls its kind supports (`stop`, `pause`, `resume`, `volume`).
public struct ComponentAction<Result: Sendable>: CallAction {
    let core: ActionCore
    let makeResult: @Sendable (Component.Store) -> Result

    /// Identifies the operation on the wire (`control_id`; for connect, the call's tag).
    public var controlID: String { core.controlID }
    public var result: Result { makeResult(core.component.snapshot) }
    public var state: String { core.state }
    /// Whether the operation has finished.
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }

    public func wait() async throws -> Result {
        try await core.component.waitForCompletion()
        return result
    }
}

/// A running `playAsync`/`play…Async`.
public typealias PlayAction = ComponentAction<PlayResult>
/// A running `promptAsync`/`prompt…Async`.
public typealias PromptAction = ComponentAction<PromptResult>
/// A running `recordAsync`.
public typealias RecordAction = ComponentAction<RecordResult>
/// A running `detectAsync`/`detect…Async`.
public typealias DetectAction = ComponentAction<DetectResult>
/// A running `faxSendAsync`/`faxReceiveAsync`.
public typealias FaxAction = ComponentAction<FaxResult>
/// A running `sendDigitsAsync`.
public typealias SendDigitsAction = ComponentAction<SendDigitsResult>
/// A running `tapAsync`.
public typealias TapAction = ComponentAction<TapResult>
/// A running `connectAsync`.
public typealias ConnectAction = ComponentAction<ConnectResult>
/// The action of `referAsync(to:headers:)`.
public typealias ReferAction = ComponentAction<ReferResult>

/// Results of operations Relay can stop (`calling.<verb>.stop`).
public protocol StoppableResult: Sendable {}
extension PlayResult: StoppableResult {}
extension PromptResult: StoppableResult {}
extension RecordResult: StoppableResult {}
extension DetectResult: StoppableResult {}
extension FaxResult: StoppableResult {}
extension TapResult: StoppableResult {}

extension ComponentAction where Result: StoppableResult {
    /// Stops the operation now; its result then completes with Relay's final event.
    public func stop() async -> StopResult { await core.stop() }
}

extension ComponentAction where Result == PlayResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.playResult) }
    /// Pauses playback.
    public func pause() async -> PlayPauseResult { PlayPauseResult(successful: await core.control(RelayMethod.playPause)) }
    /// Resumes paused playback.
    public func resume() async -> PlayResumeResult { PlayResumeResult(successful: await core.control(RelayMethod.playResume)) }
    /// - Parameter volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func volume(_ volume: Double) async -> PlayVolumeResult {
        PlayVolumeResult(successful: await core.control(RelayMethod.playVolume, volume: volume))
    }
}

extension ComponentAction where Result == PromptResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.promptResult_) }
    /// Changes the prompt's volume.
    /// - Parameter volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func volume(_ volume: Double) async -> PromptVolumeResult {
        PromptVolumeResult(successful: await core.control(RelayMethod.playAndCollectVolume, volume: volume))
    }
}

extension ComponentAction where Result == RecordResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.recordResult) }
    /// Where the recording will be, from Relay's answer to `calling.record`.
    public var url: String? { core.component.snapshot.url }
}

extension ComponentAction where Result == DetectResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.detectResult_) }
}

extension ComponentAction where Result == FaxResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.faxResult) }
}

extension ComponentAction where Result == SendDigitsResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.sendDigitsResult) }
}

extension ComponentAction where Result == TapResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.tapResult) }
    /// Where Relay sends the tapped media from.
    public var sourceDevice: JSONValue { core.component.snapshot.sourceDevice }
}

extension ComponentAction where Result == ConnectResult {
    init(core: ActionCore) {
        self.init(core: core) { store in ConnectResult(successful: store.successful, event: store.event, call: store.peerCall) }
    }
}

extension ComponentAction where Result == ReferResult {
    init(core: ActionCore) { self.init(core: core, makeResult: \.referResult) }
}
