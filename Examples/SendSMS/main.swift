// Send an SMS (the seed's Relay.Messaging.send example), then follow its delivery states
// until it is delivered or fails.
//
//   swift run example-send-sms
//
// Configuration comes from the environment so the same binary runs against the local
// server (`swift run relay serve`, the defaults) and against SignalWire:
//   SIGNALWIRE_PROJECT, SIGNALWIRE_TOKEN, SIGNALWIRE_HOST  (local-project, local-token, ws://127.0.0.1:8080)
//   FROM_NUMBER   a number you own             (default +12025550777)
//   TO_NUMBER     the recipient                (default +12015550100)
//   MESSAGE_BODY  the text                     (default "Welcome at SignalWire!")
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
let context = "office"
let from = setting("FROM_NUMBER", "+12025550777")
let to = setting("TO_NUMBER", "+12015550100")
let body = setting("MESSAGE_BODY", "Welcome at SignalWire!")
let finalStates: Set<MessageState> = [.delivered, .undelivered, .failed]

do {
    let client = try RelayClient(
        project: setting("SIGNALWIRE_PROJECT", "local-project"), token: setting("SIGNALWIRE_TOKEN", "local-token"), host: host)
    try await client.connect()
    print("connected to \(host)")

    // State changes are reported on the message's context. Listen before sending: the first
    // ones can arrive before send() returns. The stream buffers them until we read.
    let (states, stateSink) = AsyncStream.makeStream(of: Message.self)
    try await client.messaging.onStateChange(contexts: [context]) { stateSink.yield($0) }

    let result = try await client.messaging.send(context: context, from: from, to: to, body: body)
    guard result.successful, let messageID = result.messageID else {
        await client.disconnect()
        fail("Relay did not accept the message to \(to)")
    }
    print("Message ID: \(messageID)")

    // Give up waiting after 30 s; the message was sent either way.
    let watchdog = Task {
        try await Task.sleep(for: .seconds(30))
        stateSink.finish()
    }
    var final: Message?
    for await message in states where message.id == messageID {
        print("state: \(message.state)\(message.reason.map { " (\($0))" } ?? "")")
        if finalStates.contains(message.state) {
            final = message
            break
        }
    }
    watchdog.cancel()
    await client.disconnect()

    if let final, final.state == .delivered {
        print("done")
    } else if let final, final.state == .undelivered || final.state == .failed {
        fail("message \(messageID) was not delivered: \(final.reason ?? final.state.rawValue)")
    } else {
        print("no final state within 30 s; the message was sent")
    }
} catch {
    fail("\(error)")
}
