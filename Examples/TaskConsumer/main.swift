// Deliver a task and handle it in a consumer (the seed's create-task.py + consumer-task.py
// in one process): once the consumer is listening on `office`, it delivers a task to that
// context with RelayTask over HTTP(S), and its onTask prints the message and exits.
// In a real app the two halves live in different processes: a web request delivers, a
// long-running consumer handles.
//
//   swift run example-task-consumer
//
// Configuration comes from the environment so the same binary runs against the local
// server (`swift run relay serve`, the defaults) and against SignalWire:
//   SIGNALWIRE_PROJECT, SIGNALWIRE_TOKEN, SIGNALWIRE_HOST  (local-project, local-token, ws://127.0.0.1:8080)
// RelayTask posts to the same host: http://HOST/api/relay/rest/tasks for a ws:// host,
// https:// otherwise.
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

/// Where to connect; defaults to the local server.
enum Settings {
    static let project = setting("SIGNALWIRE_PROJECT", "local-project")
    static let token = setting("SIGNALWIRE_TOKEN", "local-token")
    static let host = setting("SIGNALWIRE_HOST", "ws://127.0.0.1:8080")
}

struct Worker: Consumer {
    var project: String? { Settings.project }
    var token: String? { Settings.token }
    var host: String? { Settings.host }
    var contexts: [String] { ["office"] }

    // ready runs once the consumer receives on `office`, so the task cannot arrive before
    // anyone listens (Relay refuses tasks for contexts nobody receives on).
    func ready(client: RelayClient) async {
        let task = RelayTask(project: Settings.project, token: Settings.token, host: Settings.host)
        do {
            let delivered = try await task.deliver(context: "office", message: ["uuid": "unique id", "data": "data for your job"])
            guard delivered else { fail("Relay refused the task (check project, token and context)") }
            print("Task delivered")
        } catch {
            fail("could not deliver the task: \(error)")
        }
    }

    func onTask(_ message: JSONValue) async throws {
        print("Handle inbound task")
        print(message["uuid"]?.stringValue ?? "(no uuid)")  // => unique id
        print(message["data"]?.stringValue ?? "(no data)")  // => data for your job
        // One task is the whole demo; a real consumer keeps serving until SIGTERM.
        exit(0)
    }
}

do {
    try await Worker().run()
} catch {
    fail("\(error)")
}
