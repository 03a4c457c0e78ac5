import Logging
import RelayServer
import SignalWire
import Synchronization

extension RelayTestServer {
    /// Runs `consumer` against this server for the duration of `body`: connects it with this
    /// server's project, token and URL (unless the consumer sets its own), waits until it
    /// receives on all its contexts, runs `body`, then stops the consumer (its running handlers
    /// are cancelled and `teardown()` runs).
    ///
    /// ```swift
    /// try await withRelayTestServer { server in
    ///     try await server.running(Receptionist()) {
    ///         let callID = try await server.injectCall(context: "office", script: PartyBehavior(digits: ["1234#"]))
    ///         let call = try await server.waitForCall(callID, state: .ended)
    ///         #expect(call.timeline.contains { $0.callState == .answered })
    ///     }
    /// }
    /// ```
    ///
    /// - Throws: what the consumer threw while starting (wrong credentials, …), a
    ///   `RelayServerError` when it was not receiving within `timeout`, or what `body` threw.
    public func running<Result: Sendable>(
        _ consumer: some Consumer, timeout: Duration = .seconds(20), _ body: () async throws -> Result
    ) async throws -> Result {
        let service = try ConsumerService(
            consumer, environment: ["SIGNALWIRE_PROJECT": project, "SIGNALWIRE_TOKEN": token, "SIGNALWIRE_HOST": url])
        let failure = StartFailure()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await service.run() } catch { failure.value.withLock { $0 = error } }
            }
            do {
                let contexts = consumer.contexts
                _ = try await poll(timeout: timeout, what: "the consumer to receive on \(contexts)") { () -> Bool? in
                    if failure.value.withLock({ $0 }) != nil { return true }
                    let sessions = await self.sessions().filter(\.connected)
                    return contexts.allSatisfy { context in sessions.contains { $0.contexts.contains(context) } } ? true : nil
                }
                if let error = failure.value.withLock({ $0 }) { throw error }
                let result = try await body()
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// What a consumer threw before `body` ran, shared with the task that runs it.
private final class StartFailure: Sendable {
    let value = Mutex<(any Error)?>(nil)
}
