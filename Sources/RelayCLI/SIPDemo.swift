import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Logging
import RelayServer
import RelayTesting
import ServiceLifecycle
import SignalWire

/// `relay demo --sip`: the server with its SIP edge on a free loopback port, the
/// ``SIPReceptionist`` consumer, and SIPp (`uac_pcap`, with the far end hanging up) calling it
/// as a child process. Prints the transcript, then where the recording of the caller is, what
/// SIPp reported and the call's RTP counters.
struct SIPDemo {
    /// SIPp gives up on its call after this long.
    static let sippTimeoutSeconds = 60

    func run() async throws {
        let quiet = Logger(label: "relay.demo", factory: { _ in SwiftLogNoOpLogHandler() })
        let project = RelayProject.default
        // A SIP caller talks in real time: speed 1.
        var configuration = RelayServerConfiguration(port: 0, projects: [project], speed: 1)
        configuration.sipAddress = ("127.0.0.1", 0)
        configuration.sipContext = "office"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-demo-sip-\(UUID().uuidString.prefix(8))")
        // What the edge sent to the caller is written there when the call ends.
        configuration.sipCaptureDirectory = directory.path
        let server = RelayServer(configuration: configuration, logger: quiet)
        let transcript = Transcript()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            _ = try await server.waitUntilRunning()
            let sipPort = try await Self.sipPort(server)
            transcript.say("server   listening on \(server.url ?? "?"); SIP edge on udp 127.0.0.1:\(sipPort)")

            let consumer = SIPReceptionist(project: project.id, token: project.token, host: server.url ?? "", transcript: transcript)
            let consumerGroup = ServiceGroup(configuration: .init(services: [try ConsumerService(consumer)], logger: quiet))
            group.addTask { try await consumerGroup.run() }
            guard await transcript.wait(for: "consumer ready", timeout: .seconds(10)) else {
                throw ValidationError("the consumer did not connect")
            }

            transcript.say("caller   SIPp dials sip:office@127.0.0.1:\(sipPort): 7 s of A-law audio, then the key 1 (RFC 4733)")
            let caller = SIPpCaller(.uacPcapFarHangup, user: "office", directory: directory, timeoutSeconds: Self.sippTimeoutSeconds)
            let sipp: SIPpCaller.Outcome
            do {
                sipp = try await caller.call(port: sipPort)
            } catch {
                throw ValidationError("\(error)")
            }
            transcript.say("caller   SIPp exited \(sipp.status)\(sipp.status == 0 ? " (its call succeeded)" : " (its call failed)")")
            _ = await transcript.wait(for: "consumer done", timeout: .seconds(10))
            await consumerGroup.triggerGracefulShutdown()

            let outcome = consumer.outcome.withLock { $0 }
            print("")
            if let callID = outcome.callID {
                print("Call \(callID) as the server saw it:")
                for entry in await server.call(id: callID)?.timeline ?? [] {
                    print(String(format: "  %7.2fs  %@", entry.time, entry.text))
                }
                if let media = server.sipMediaCounters(callID: callID) {
                    print(
                        "RTP:      \(media.packetsIn) packets in, \(media.packetsOut) out, \(media.lost) lost, jitter \(String(format: "%.2f", media.jitterMilliseconds)) ms"
                    )
                }
            }
            print("Digit:    \(outcome.digit ?? "none")")
            if let url = outcome.recordingURL {
                // The server stops with the demo: keep a copy where SIPp's files are.
                let copy = directory.appendingPathComponent("caller.wav")
                let saved = await Self.save(url, to: copy)
                print("Recording of the caller: \(saved ? copy.path : "(not copied)") (\(String(format: "%.1f", outcome.recordingSeconds ?? 0)) s, \(outcome.recordingBytes ?? 0) bytes; served at \(url) while the demo ran)")
            } else {
                print("Recording of the caller: none")
            }
            let heard = await Self.callerHeardCapture(server: server, callID: outcome.callID)
            print("What the caller heard: \(heard ?? "no capture")")
            print("SIPp:     exit \(sipp.status); its log and files are in \(directory.path)")
            guard sipp.status == 0, outcome.digit == "1", outcome.recordingURL != nil, heard != nil else {
                throw ValidationError("the SIP demo call did not complete; SIPp said:\n\(sipp.output)")
            }
            print("\nDemo complete.")
        }
    }

    /// Where the capture of what the edge sent to the caller is, once written (the edge writes
    /// it just after the call ends); `nil` when none appeared within five seconds.
    static func callerHeardCapture(server: RelayServer, callID: String?) async -> String? {
        guard let callID, let path = server.sipCapturePath(callID: callID) else { return nil }
        let deadline = ContinuousClock.now + .seconds(5)
        while !FileManager.default.fileExists(atPath: path) {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return path
    }

    /// Downloads `url` (a file of the in-process server) to `file`.
    static func save(_ url: String, to file: URL) async -> Bool {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else { return false }
            let body = try await response.body.collect(upTo: 64 << 20)
            try Data(body.readableBytesView).write(to: file)
            return true
        } catch {
            return false
        }
    }

    static func sipPort(_ server: RelayServer) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let port = server.sipPort { return port }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw ValidationError("the SIP edge did not bind a port")
    }
}
