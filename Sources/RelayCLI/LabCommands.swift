import ArgumentParser
import Foundation
import RelayWire

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a running server is, shared by `call`, `sms` and `task`.
struct ServerOptions: ParsableArguments {
    @Option(help: "The running server (ws:// or http:// URL; default RELAY_URL or http://127.0.0.1:8080).") var server: String?

    var baseURL: String {
        var url = server ?? ProcessInfo.processInfo.environment["RELAY_URL"] ?? "http://127.0.0.1:8080"
        if url.hasPrefix("ws://") { url = "http://" + url.dropFirst(5) }
        if url.hasPrefix("wss://") { url = "https://" + url.dropFirst(6) }
        if !url.hasPrefix("http://") && !url.hasPrefix("https://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

enum LabHTTP {
    struct Reply {
        var status: Int
        var body: JSONValue?
        var text: String
    }

    static func request(_ method: String, _ url: String, body: JSONValue?, basicAuth: (String, String)? = nil) async throws -> Reply {
        guard let target = URL(string: url) else { throw ValidationError("bad URL '\(url)'") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = 15
        if let body {
            request.httpBody = Data(JSONCodec.serialize(body))
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token = labToken { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        if let (user, password) = basicAuth {
            request.setValue("Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        }
        let (data, response): (Data, URLResponse) = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else if let response {
                    continuation.resume(returning: (data ?? Data(), response))
                } else {
                    continuation.resume(throwing: ValidationError("no response from \(url)"))
                }
            }.resume()
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        return Reply(status: status, body: try? JSONCodec.parse(Array(data)), text: text)
    }

    /// The lab token of a server bound beyond loopback (`RELAY_LAB_TOKEN`).
    static var labToken: String? {
        ProcessInfo.processInfo.environment["RELAY_LAB_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func pretty(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        return JSONCodec.string(value)
    }
}

/// `relay call`: inject an inbound call with a caller script.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "call", abstract: "Inject an inbound call into a running server.")

    @OptionGroup var options: ServerOptions
    @Option(help: "Caller number.") var from = "+12015550199"
    @Option(help: "Dialled number (routed by the world file when --context is not given).") var to = "+12015550000"
    @Option(help: "Context the call is offered on.") var context: String?
    @Option(help: "DTMF the caller keys at digits prompts (repeatable, one per prompt).") var digits: [String] = []
    @Option(help: "Words the caller says at speech prompts (repeatable).") var say: [String] = []
    @Option(name: .customLong("hangup-after"), help: "Seconds after answer at which the caller hangs up.") var hangupAfter: Double?
    @Option(name: .customLong("ring-timeout"), help: "Seconds the call rings unanswered before it ends.") var ringTimeout: Double = 30
    @Option(help: "Project id (default: the server's first project).") var project: String?
    @Flag(help: "Follow the call's timeline until it ends.") var watch = false

    func run() async throws {
        var body = JSONObjectBuilder()
        body.set("from", from)
        body.set("to", to)
        body.set("context", context)
        body.set("project", project)
        body.set("ring_timeout", ringTimeout)
        var script = JSONObjectBuilder()
        if !digits.isEmpty { script.set("digits", digits) }
        if !say.isEmpty { script.set("speech", say) }
        script.set("hangup_after", hangupAfter)
        body.set("script", script.value)
        let reply = try await LabHTTP.request("POST", options.baseURL + "/lab/calls", body: body.value)
        guard reply.status == 201, let callID = reply.body?["call_id"]?.stringValue else {
            print("relay call: HTTP \(reply.status): \(reply.text)")
            throw ExitCode(1)
        }
        print("call \(callID) injected (\(from) -> \(to))")
        guard watch else { return }
        var printed = 0
        while true {
            try await Task.sleep(for: .milliseconds(300))
            let state = try await LabHTTP.request("GET", options.baseURL + "/lab/calls/\(callID)", body: nil)
            let timeline = state.body?["timeline"]?.arrayValue ?? []
            for entry in timeline.dropFirst(printed) {
                let time = entry["time"]?.doubleValue ?? 0
                let kind = (entry["kind"]?.stringValue ?? "").padding(toLength: 12, withPad: " ", startingAt: 0)
                print("\(String(format: "%8.2f", time))s  \(kind) \(entry["text"]?.stringValue ?? "")")
            }
            printed = max(printed, timeline.count)
            if state.body?["state"]?.stringValue == "ended" || state.status == 404 { return }
        }
    }
}

/// `relay sms`: inject an inbound message.
struct SMSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sms", abstract: "Inject an inbound message into a running server.")

    @OptionGroup var options: ServerOptions
    @Option(help: "Sender number.") var from = "+12015550199"
    @Option(help: "Receiving number.") var to = "+12015550000"
    @Option(help: "Context the message is delivered on.") var context: String?
    @Option(help: "Message text.") var body: String = ""
    @Option(help: "Media URL (repeatable).") var media: [String] = []
    @Option(help: "Project id (default: the server's first project).") var project: String?

    func run() async throws {
        var json = JSONObjectBuilder()
        json.set("from", from)
        json.set("to", to)
        json.set("context", context)
        json.set("body", body)
        json.set("media", media)
        json.set("project", project)
        let reply = try await LabHTTP.request("POST", options.baseURL + "/lab/messages", body: json.value)
        guard reply.status == 201 else {
            print("relay sms: HTTP \(reply.status): \(reply.text)")
            throw ExitCode(1)
        }
        print("message \(reply.body?["message_id"]?.stringValue ?? "?") delivered to session \(reply.body?["session"]?.stringValue ?? "?")")
    }
}

/// `relay task`: deliver a task through `POST /api/relay/rest/tasks`.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Deliver a task through the REST tasks endpoint.")

    @OptionGroup var options: ServerOptions
    @Option(help: "Context the task goes to.") var context: String
    @Option(help: "Task message (JSON; plain text is sent as a JSON string).") var message: String = "{}"
    @Option(help: "Project id (default SIGNALWIRE_PROJECT or local-project).") var project: String?
    @Option(help: "API token (default SIGNALWIRE_TOKEN or local-token).") var token: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let projectID = project ?? environment["SIGNALWIRE_PROJECT"] ?? "local-project"
        let secret = token ?? environment["SIGNALWIRE_TOKEN"] ?? "local-token"
        let payload = (try? JSONCodec.parse(message)) ?? .string(message)
        let reply = try await LabHTTP.request(
            "POST", options.baseURL + "/api/relay/rest/tasks", body: ["context": .string(context), "message": payload],
            basicAuth: (projectID, secret))
        guard reply.status == 204 else {
            print("relay task: HTTP \(reply.status): \(reply.text)")
            throw ExitCode(1)
        }
        print("task delivered to context '\(context)'")
    }
}
