import ArgumentParser
import Foundation
import Logging
import RelayServer
import RelayWire
import ServiceLifecycle

/// `relay serve`: runs the local Relay server until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the local Relay server (WebSocket + HTTP on one port).",
        discussion: """
            Credentials: --project/--token (repeat both for several projects), else
            SIGNALWIRE_PROJECT/SIGNALWIRE_TOKEN, else the defaults local-project / local-token.
            Prints exactly one line on stdout when listening: "relay listening on ws://HOST:PORT".
            Then one line per call, message, task and session event on stderr (--quiet: none;
            --log-format json: one JSON object a line on stdout instead). The console is on
            http://HOST:PORT/ (docs/SERVER.md, "The console").
            """
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free port.") var port = 8080
    @Option(help: "Project id (repeatable, paired with --token).") var project: [String] = []
    @Option(help: "API token (repeatable, paired with --project).") var token: [String] = []
    @Option(help: "World file (JSON): extra numbers, routes of owned numbers to contexts, caller scripts.") var world: String?
    @Option(help: "Speed factor for every simulated duration (50 = fifty times faster).") var speed: Double = 1
    @Option(help: "scaled (simulated time runs at --speed) or manual (time stands still until POST /lab/clock/advance).")
    var clock = "scaled"
    @Option(name: .customLong("tls-cert"), help: "PEM certificate: serve wss:// and https:// on the same port.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (default: LOG_LEVEL or notice).")
    var logLevel: String?
    @Flag(help: "Print no line per call, message, task and session event.") var quiet = false
    @Option(name: .customLong("log-format"), help: "Event lines: text (human, on stderr) or json (one object a line, on stdout).")
    var logFormat = "text"
    @Option(help: "SIP edge UDP address HOST:PORT (off by default): INVITEs become inbound Relay calls.") var sip: String?
    @Option(name: .customLong("sip-context"), help: "Context for SIP calls to users the world does not route (default: the user itself).")
    var sipContext: String?
    @Option(name: .customLong("rtp-ports"), help: "UDP ports for SIP calls' RTP, LOW-HIGH (default: any free port).")
    var rtpPorts: String?
    @Option(name: .customLong("sip-capture"), help: "Directory where each SIP call's audio as its caller heard it is written (<call id>-heard.wav).")
    var sipCapture: String?
    @Option(
        name: .customLong("lab-token"),
        help: "Secret the lab API and console ask for (required when --host is not loopback; default RELAY_LAB_TOKEN).")
    var labToken: String?

    func validate() throws {
        guard project.count == token.count else { throw ValidationError("give --project and --token in pairs") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard speed > 0, speed.isFinite else { throw ValidationError("--speed must be a positive number") }
        guard clock == "scaled" || clock == "manual" else { throw ValidationError("--clock must be scaled or manual") }
        guard EventPrinter.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json") }
        if let sip, Self.hostAndPort(sip) == nil { throw ValidationError("--sip must be HOST:PORT, e.g. 127.0.0.1:5060") }
        if let rtpPorts, Self.portRange(rtpPorts) == nil {
            throw ValidationError("--rtp-ports must be LOW-HIGH with 1024 ≤ LOW < HIGH ≤ 65535, e.g. 20000-20999")
        }
        if !Self.isLoopback(host), (labToken ?? ProcessInfo.processInfo.environment["RELAY_LAB_TOKEN"] ?? "").isEmpty {
            throw ValidationError(
                "--host \(host) is not loopback: give --lab-token SECRET (or RELAY_LAB_TOKEN), or every page you open could drive this server")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "notice") ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "relay")

        var projects = zip(project, token).map { RelayProject(id: $0, token: $1) }
        let environment = ProcessInfo.processInfo.environment
        if projects.isEmpty, let id = environment["SIGNALWIRE_PROJECT"], let secret = environment["SIGNALWIRE_TOKEN"], !id.isEmpty, !secret.isEmpty {
            projects = [RelayProject(id: id, token: secret)]
        }
        let noCredentials = projects.isEmpty
        if noCredentials { projects = [.default] }

        var simulated = SimulatedWorld.standard
        if let world {
            guard let data = FileManager.default.contents(atPath: world) else { throw ValidationError("cannot read world file '\(world)'") }
            do {
                let json = try JSONCodec.parse(Array(data))
                simulated = try SimulatedWorld(json: json)
                // Extra projects: {"projects": [{"project": "…", "token": "…"}]}
                for entry in json["projects"]?.arrayValue ?? [] {
                    guard let id = entry["project"]?.stringValue ?? entry["id"]?.stringValue, let secret = entry["token"]?.stringValue else {
                        throw ValidationError("world file '\(world)': each of \"projects\" needs \"project\" and \"token\"")
                    }
                    projects.append(RelayProject(id: id, token: secret))
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("world file '\(world)': \(error)")
            }
        }

        if noCredentials {
            Self.printError("relay: no credentials given; using project '\(RelayProject.default.id)' token '\(RelayProject.default.token)'")
        }
        var configuration = RelayServerConfiguration(
            host: host, port: port, projects: projects, speed: speed, world: simulated,
            tls: tlsCert.flatMap { cert in tlsKey.map { RelayTLSFiles(certificatePath: cert, privateKeyPath: $0) } })
        if clock == "manual" { configuration.clockMode = .manual }
        configuration.sipAddress = sip.flatMap(Self.hostAndPort)
        configuration.sipContext = sipContext
        configuration.sipCaptureDirectory = sipCapture
        configuration.rtpPorts = rtpPorts.flatMap(Self.portRange)
        if let secret = labToken ?? environment["RELAY_LAB_TOKEN"], !secret.isEmpty { configuration.labToken = secret }
        let server = RelayServer(configuration: configuration, logger: logger)
        let sipHost = configuration.sipAddress?.host
        // Subscribed before the server runs, so the first call is never missed.
        let events = quiet ? nil : server.events(bufferLimit: 4096)
        let format = EventPrinter.Format(rawValue: logFormat) ?? .text
        // The signals get a group of their own, and the server a group with no signals. Run in
        // one group, the HTTP server would react to SIGTERM at the same moment as the hub and
        // could close sockets before every client got its `blade.disconnect`. Here the order is
        // explicit: disconnect and drain everyone, then stop the server gracefully.
        let signals = ServiceGroup(
            configuration: .init(services: [SignalWaiter()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let serving = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let events {
                tasks.addTask {
                    var printer = EventPrinter(format: format)
                    for await event in events { printer.print(event) }
                }
            }
            tasks.addTask {
                try await serving.run()
                await signals.triggerGracefulShutdown()
            }
            tasks.addTask {
                _ = try await server.waitUntilRunning(timeout: .seconds(60))
                Self.printLine("relay listening on \(server.url ?? "?")")
                Self.printError("relay: lab API and tasks endpoint on \(server.httpURL ?? "?") (\(clock == "manual" ? "manual clock: POST /lab/clock/advance" : "speed \(speed)x"))")
                Self.printError("relay: console on \(server.consoleURL ?? "?") — watch calls, dial in, key digits")
                if let sipHost {
                    // The edge binds beside the HTTP server; its port is known a moment later.
                    let deadline = ContinuousClock.now + .seconds(10)
                    while server.sipPort == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                    let host = sipHost.contains(":") ? "[\(sipHost)]" : sipHost
                    Self.printError("relay: SIP edge on udp \(host):\(server.sipPort.map(String.init) ?? "?") (GET /lab/info shows it as \"sip\")")
                }
            }
            tasks.addTask {
                try await signals.run()
                await server.disconnectAllAndWait(timeout: .seconds(2))
                await serving.triggerGracefulShutdown()
            }
            try await tasks.waitForAll()
        }
    }

    /// `HOST:PORT` (IPv6 in brackets) with a port in 0...65535.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// `LOW-HIGH` as a range of unprivileged ports holding at least one even port pair.
    static func portRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 1024 <= low, low < high, high <= 65535 else { return nil }
        return low...high
    }

    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.")
    }

    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Returns when a graceful shutdown (SIGTERM/SIGINT) is requested.
private struct SignalWaiter: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
