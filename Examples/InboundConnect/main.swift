// Connect an inbound call to devices in series (the seed's Call.connect example): a consumer
// on the `office` context answers the first call, rings the devices one after another until
// one answers, lets the two parties talk, then hangs up and exits.
//
//   swift run example-inbound-connect
//   # against the local server, in another terminal:
//   swift run relay call --context office --from +12025550123
//
// Configuration comes from the environment so the same binary runs against the local
// server (`swift run relay serve`, the defaults) and against SignalWire:
//   SIGNALWIRE_PROJECT, SIGNALWIRE_TOKEN, SIGNALWIRE_HOST  (local-project, local-token, ws://127.0.0.1:8080)
//   DEVICES  comma-separated numbers to try in order
//            (default: the local server's busy, unroutable, then answers-and-hangs-up-after-2-s numbers)
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

/// Where to connect (defaults to the local server) and whom to ring.
enum Settings {
    static let project = setting("SIGNALWIRE_PROJECT", "local-project")
    static let token = setting("SIGNALWIRE_TOKEN", "local-token")
    static let host = setting("SIGNALWIRE_HOST", "ws://127.0.0.1:8080")
    static let devices = setting("DEVICES", "+12015550101,+12015550103,+12015550108")
        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

struct Office: Consumer {
    // Given explicitly so the local server's defaults apply; Consumer's own fallback is the
    // SIGNALWIRE_* variables alone, then SignalWire's host.
    var project: String? { Settings.project }
    var token: String? { Settings.token }
    var host: String? { Settings.host }
    var contexts: [String] { ["office"] }

    func ready(client: RelayClient) async {
        print("ready: waiting for a call on 'office' (local server: swift run relay call --context office)")
    }

    func onIncomingCall(_ call: Call) async throws {
        // The consumer only logs errors a handler throws; this example reports them and exits 1.
        do {
            try await handle(call)
        } catch {
            fail("\(error)")
        }
        // One call is the whole demo; a real consumer keeps serving until SIGTERM.
        print("done")
        exit(0)
    }

    private func handle(_ call: Call) async throws {
        print("incoming call \(call.id ?? "?") from \(call.from) to \(call.to)")
        guard try await call.answer().successful else { fail("could not answer the call") }
        print("answered")

        print("connecting to \(Settings.devices.joined(separator: ", ")) in series…")
        let result = try await call.connect(series: Settings.devices.map { .phone(to: $0, timeout: 10) })
        guard result.successful, let remote = result.call else {
            if call.active { _ = try await call.hangup() }
            fail("none of the devices answered")
        }
        print("connected to \(remote.to) (call \(remote.id ?? "?"))")

        // The parties talk until either of them hangs up.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await remote.waitForEnded() }
            group.addTask { _ = try? await call.waitForEnded() }
            await group.next()
            group.cancelAll()
        }
        // A caller hanging up ends both legs; the device hanging up leaves the inbound call up.
        print(call.ended ? "the caller hung up" : "\(remote.to) hung up")

        if call.active {
            let hangup = try await call.hangup()
            print("hung up the inbound call (reason: \(hangup.reason))")
        }
    }
}

do {
    try await Office().run()
} catch {
    fail("\(error)")
}
