// Outbound call with TTS (the seed's Relay.Client example): dial a number, say something
// once it answers, hang up.
//
//   swift run example-outbound-call
//
// Configuration comes from the environment so the same binary runs against the local
// server (`swift run relay serve`, the defaults) and against SignalWire:
//   SIGNALWIRE_PROJECT, SIGNALWIRE_TOKEN, SIGNALWIRE_HOST  (local-project, local-token, ws://127.0.0.1:8080)
//   FROM_NUMBER  a number you own            (default +12025550777)
//   TO_NUMBER    the party to call           (default +12015550100, the local server's "human")
import Foundation
import SignalWire

RelayLogging.bootstrap()  // LOG_LEVEL=debug shows skipped commands, LOG_LEVEL=trace every frame

/// An environment variable, or `fallback` when it is unset or empty.
func setting(_ name: String, _ fallback: String) -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return fallback }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

let host = setting("SIGNALWIRE_HOST", "ws://127.0.0.1:8080")
let from = setting("FROM_NUMBER", "+12025550777")
let to = setting("TO_NUMBER", "+12015550100")

do {
    let client = try RelayClient(
        project: setting("SIGNALWIRE_PROJECT", "local-project"), token: setting("SIGNALWIRE_TOKEN", "local-token"), host: host)
    // connect() returns once the session is ready, so there is no need for a `ready` listener.
    try await client.connect()
    print("connected to \(host)")

    print("dialing \(to) from \(from)…")
    let dial = try await client.calling.dial(from: from, to: to)
    guard dial.successful else {
        await client.disconnect()
        // A busy, unanswered or failed call is not an error of the SDK, but it is of this script.
        fail("call to \(to) was not answered (end reason: \(dial.call.endReason ?? "unknown"))")
    }
    let call = dial.call
    print("answered: call \(call.id ?? "?")")

    let play = try await call.playTTS(text: "Welcome to SignalWire!")
    print(play.successful ? "played TTS" : "TTS did not finish (the other party may have hung up)")

    // Hang up only if the other side has not already done so.
    if call.active {
        let hangup = try await call.hangup()
        print("hung up (reason: \(hangup.reason))")
    } else {
        print("the other party hung up (reason: \(call.endReason ?? "unknown"))")
    }
    await client.disconnect()
    guard play.successful else { exit(1) }
    print("done")
} catch {
    fail("\(error)")
}
