import RelayWire

/// What every `…Async` action shares: a live view of a running operation.
public protocol CallAction: Sendable {
    associatedtype Result: Sendable
    /// The final result so far (complete once `completed` is true).
    var result: Result { get }
    /// The operation's current state as Relay reported it (`playing`, `finished`, …).
    var state: String { get }
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

    public var controlID: String { component.controlID }
    public var state: String { component.snapshot.state }
    public var completed: Bool { component.isCompleted }
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

public struct PlayAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: PlayResult { core.component.snapshot.playResult }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> PlayResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
    public func pause() async -> PlayPauseResult { PlayPauseResult(successful: await core.control(RelayMethod.playPause)) }
    public func resume() async -> PlayResumeResult { PlayResumeResult(successful: await core.control(RelayMethod.playResume)) }
    /// - Parameter volume: -40 dB … +40 dB; 0 leaves it unchanged.
    public func volume(_ volume: Double) async -> PlayVolumeResult {
        PlayVolumeResult(successful: await core.control(RelayMethod.playVolume, volume: volume))
    }
}

public struct PromptAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: PromptResult { core.component.snapshot.promptResult_ }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> PromptResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
    public func volume(_ volume: Double) async -> PromptVolumeResult {
        PromptVolumeResult(successful: await core.control(RelayMethod.playAndCollectVolume, volume: volume))
    }
}

public struct RecordAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: RecordResult { core.component.snapshot.recordResult }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    /// Where the recording will be, from Relay's answer to `calling.record`.
    public var url: String? { core.component.snapshot.url }
    public func wait() async throws -> RecordResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
}

public struct DetectAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: DetectResult { core.component.snapshot.detectResult_ }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> DetectResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
}

public struct FaxAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: FaxResult { core.component.snapshot.faxResult }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> FaxResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
}

public struct SendDigitsAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: SendDigitsResult { core.component.snapshot.sendDigitsResult }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> SendDigitsResult {
        try await core.component.waitForCompletion()
        return result
    }
}

public struct TapAction: CallAction {
    let core: ActionCore
    public var controlID: String { core.controlID }
    public var result: TapResult { core.component.snapshot.tapResult }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    /// Where Relay sends the tapped media from.
    public var sourceDevice: JSONValue { core.component.snapshot.sourceDevice }
    public func wait() async throws -> TapResult {
        try await core.component.waitForCompletion()
        return result
    }
    public func stop() async -> StopResult { await core.stop() }
}

public struct ConnectAction: CallAction {
    let core: ActionCore
    public var result: ConnectResult {
        let store = core.component.snapshot
        return ConnectResult(successful: store.successful, event: store.event, call: store.peerCall)
    }
    public var state: String { core.state }
    public var completed: Bool { core.completed }
    public var payload: JSONValue { core.payload }
    public func wait() async throws -> ConnectResult {
        try await core.component.waitForCompletion()
        return result
    }
}
