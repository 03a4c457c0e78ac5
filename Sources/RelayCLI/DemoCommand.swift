import ArgumentParser
import Foundation
import Logging
import RelayServer
import ServiceLifecycle
import SignalWire
import Synchronization

/// `relay demo`: the end-to-end demo. An in-process local server, a Swift consumer written
/// with the SDK, and a scripted caller who dials in and keys a PIN. Prints what happened.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the end-to-end demo: a Swift consumer and a scripted caller against an in-process server."
    )

    @Option(help: "Simulation speed: 1 is real time; higher runs faster with the same order of events.")
    var speed: Double = 25

    @Option(help: "The PIN the caller keys.")
    var pin: String = "1234"

    @Flag(help: "Also print every Blade frame the consumer exchanged with the server.")
    var frames = false

    @Flag(help: "Keep the server and the consumer up after the demo, with the web console on --port, until Ctrl-C.")
    var console = false

    @Option(help: "Port of the server with --console (0 picks a free one).")
    var port = 8080

    @Flag(help: "Call the demo over SIP instead: the server's SIP edge, a consumer that records, plays TTS and prompts, and SIPp as the caller (needs sip-tester).")
    var sip = false

    func run() async throws {
        if sip {
            try await SIPDemo().run()
            return
        }
        let quiet = Logger(label: "relay.demo", factory: { _ in SwiftLogNoOpLogHandler() })
        let project = RelayProject.default
        let server = RelayServer(configuration: .init(port: console ? port : 0, projects: [project], speed: speed), logger: quiet)
        let transcript = Transcript()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            _ = try await server.waitUntilRunning()
            transcript.say("server   listening on \(server.url ?? "?") (speed ×\(speed))")

            let consumer = Receptionist(project: project.id, token: project.token, host: server.url ?? "", expectedPIN: pin, transcript: transcript)
            let service = try ConsumerService(consumer)
            let consumerGroup = ServiceGroup(configuration: .init(services: [service], logger: quiet))
            group.addTask { try await consumerGroup.run() }

            guard await transcript.wait(for: "consumer ready", timeout: .seconds(10)) else {
                throw ValidationError("the consumer did not connect")
            }
            let caller = PartyBehavior(digits: ["\(pin)#"], messageSeconds: 3)
            let call = try await server.injectCall(from: "+12015550142", to: "+12025550100", context: "office", script: caller, ringTimeout: 600)
            transcript.say("caller   +12015550142 dials +12025550100 (context office) and will key \(pin)#")

            let finished = await transcript.wait(for: "consumer done", timeout: .seconds(30))
            if !console { await consumerGroup.triggerGracefulShutdown() }
            let snapshot = await server.call(id: call.id)
            let legs = await server.calls().filter { $0.parent == call.id }

            print("")
            print("Call \(call.id) as the server saw it:")
            for entry in snapshot?.timeline ?? [] {
                print(String(format: "  %7.2fs  %@", entry.time, entry.text))
            }
            for leg in legs {
                print("  leg \(leg.to): \(leg.state.rawValue)\(leg.endReason.map { " (\($0))" } ?? "")")
            }
            if frames, let session = await server.sessions().first {
                print("\nBlade frames of the consumer's session:")
                for entry in await server.journal(sessionID: session.id) ?? [] {
                    print("  \(entry.direction == "in" ? "→" : "←") \(entry.text)")
                }
            }
            if !console { group.cancelAll() }
            guard finished, transcript.contains("consumer connected the caller") else {
                group.cancelAll()
                throw ValidationError("the demo call did not complete")
            }
            print("\nDemo complete.")
            if console {
                print("\nConsole: \(server.consoleURL ?? "?") (the consumer still answers context office; Ctrl-C stops)")
                try? await ServiceGroup(
                    configuration: .init(services: [UntilShutdown()], gracefulShutdownSignals: [.sigint, .sigterm], logger: quiet)
                ).run()
                await consumerGroup.triggerGracefulShutdown()
                await server.disconnectAllAndWait()
                group.cancelAll()
            }
        }
    }
}

/// Returns when a graceful shutdown (Ctrl-C) is requested.
private struct UntilShutdown: Service {
    func run() async throws { try? await gracefulShutdown() }
}

/// Lines printed as they happen, which the demo also waits on.
final class Transcript: Sendable {
    private let lines = Mutex<[String]>([])
    private let started = ContinuousClock.now

    func say(_ line: String) {
        let elapsed = ContinuousClock.now - started
        let millis = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        print(String(format: "[%5.2fs] %@", Double(millis) / 1000, line))
        lines.withLock { $0.append(line) }
    }

    func contains(_ prefix: String) -> Bool { lines.withLock { $0.contains { $0.hasPrefix(prefix) } } }

    func wait(for prefix: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if contains(prefix) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return contains(prefix)
    }
}

/// The demo's Swift consumer: answer, ask for a PIN, record a message, connect the caller
/// to the office phones one after another.
struct Receptionist: Consumer {
    let project: String?
    let token: String?
    let host: String?
    let expectedPIN: String
    let transcript: Transcript
    var contexts: [String] { ["office"] }
    var logger: Logger { Logger(label: "relay.demo.consumer", factory: { _ in SwiftLogNoOpLogHandler() }) }

    func ready(client: RelayClient) async {
        transcript.say("consumer ready on context office")
    }

    func onIncomingCall(_ call: Call) async throws {
        defer { transcript.say("consumer done") }
        transcript.say("consumer incoming call from \(call.from)")
        guard try await call.answer().successful else { return }
        transcript.say("consumer answered")

        let pin = try await call.promptTTS(.digits(max: 8, terminators: "#", digitTimeout: 5, initialTimeout: 10), text: "Welcome to SignalWire. Please enter your PIN, then press pound.")
        transcript.say("consumer caller keyed \(pin.result ?? "nothing")\(pin.terminator.map { " then \($0)" } ?? "")")
        guard pin.successful, pin.result == expectedPIN else {
            _ = try await call.playTTS(text: "Sorry, that PIN is not right. Goodbye.")
            _ = try await call.hangup()
            return
        }

        _ = try await call.playTTS(text: "Thank you. Leave a short message after the beep.")
        let message = try await call.record(beep: true, format: "wav", endSilenceTimeout: 1, terminators: "#")
        transcript.say("consumer recorded \(String(format: "%.1f", message.duration)) s (\(message.size) bytes) at \(message.url)")

        _ = try await call.playTTS(text: "Connecting you to the office.")
        let connect = try await call.connect(
            series: [.phone(to: "+12015550101", timeout: 10), .phone(to: "+12015550102", timeout: 5), .phone(to: "+12015550100", timeout: 10)],
            ringback: [.ringtone(name: "us")])
        if connect.successful, let leg = connect.call {
            transcript.say("consumer connected the caller to \(leg.to) (busy and unanswered phones skipped)")
        } else {
            transcript.say("consumer could not connect the caller")
        }
        _ = try await call.hangup()
        transcript.say("consumer hung up")
    }
}
