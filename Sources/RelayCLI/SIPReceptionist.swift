import Logging
import SignalWire
import Synchronization

/// The consumer of `relay demo --sip`: answers the SIP caller, records it (async), welcomes it,
/// asks for a key, says which key it heard, stops the recording (unless the caller's silence
/// ended it) and hangs up.
struct SIPReceptionist: Consumer {
    /// What the demo prints at the end.
    struct Outcome: Sendable {
        var callID: String?
        var digit: String?
        var recordingURL: String?
        var recordingSeconds: Double?
        var recordingBytes: Int?
    }

    /// The outcome, shared between the consumer's handler and the demo.
    final class Shared: Sendable {
        let value = Mutex(Outcome())
        func withLock<T: Sendable>(_ body: (inout Outcome) -> T) -> T { value.withLock { body(&$0) } }
    }

    let project: String?
    let token: String?
    let host: String?
    let transcript: Transcript
    let outcome = Shared()
    var contexts: [String] { ["office"] }
    var logger: Logger { Logger(label: "relay.demo.consumer", factory: { _ in SwiftLogNoOpLogHandler() }) }

    init(project: String?, token: String?, host: String?, transcript: Transcript) {
        self.project = project
        self.token = token
        self.host = host
        self.transcript = transcript
    }

    func ready(client: RelayClient) async {
        transcript.say("consumer ready on context office")
    }

    func onIncomingCall(_ call: Call) async throws {
        defer { transcript.say("consumer done") }
        outcome.withLock { $0.callID = call.id }
        transcript.say("consumer incoming SIP call from \(call.from)")
        guard try await call.answer().successful else { return }
        transcript.say("consumer answered")

        // The caller's side, for as long as the call lasts (stopped below).
        let recording = try await call.recordAsync(format: .wav, direction: .listen)
        transcript.say("consumer recording the caller to \(recording.url ?? "?")")
        _ = try await call.playTTS(text: "Welcome to the Relay demo, over SIP.")
        let key = try await call.promptTTS(.digits(max: 1, digitTimeout: 5, initialTimeout: 20), text: "Please press a key.")
        let digit = key.successful ? key.result : nil
        outcome.withLock { $0.digit = digit }
        transcript.say("consumer caller pressed \(digit ?? "nothing")")
        _ = try await call.playTTS(text: digit.map { "You pressed \($0). Goodbye." } ?? "No key pressed. Goodbye.")

        if !recording.completed { _ = await recording.stop() }
        let recorded = try await recording.wait()
        outcome.withLock {
            $0.recordingURL = recorded.url.isEmpty ? recording.url : recorded.url
            $0.recordingSeconds = recorded.duration
            $0.recordingBytes = recorded.size
        }
        transcript.say("consumer recorded \(String(format: "%.1f", recorded.duration)) s of the caller")
        _ = try await call.hangup()
        transcript.say("consumer hung up")
    }
}
