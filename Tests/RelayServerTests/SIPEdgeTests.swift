import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import RelayTesting
import RelayWire
import Testing

/// The SIP edge against real SIPp (`sip-tester`, installed by scripts/sip-deps.sh), on loopback.
@Suite(.timeLimit(.minutes(2)))
struct SIPEdgeTests {
    /// Runs SIPp's built-in scenario `scenario` (or the scenario file at that path, when it ends
    /// in `.xml`) against `port`, dialling `user`; returns its exit
    /// code (0: every call succeeded) and what it printed.
    static func sipp(_ scenario: String, port: Int, user: String, extra: [String] = [], directory: URL? = nil) async throws -> (status: Int32, output: String) {
        // A path ending in .xml is a scenario file; anything else a built-in scenario. The media
        // port is a free one too: SIPp's default (6000) would be shared by tests side by side.
        let source = scenario.hasSuffix(".xml") ? ["-sf", scenario] : ["-sn", scenario]
        return try await runSIPp(
            source + ["127.0.0.1:\(port)", "-s", user, "-m", "1", "-p", "\(try freeUDPPort())", "-mp", "\(try freeUDPPort())", "-i", "127.0.0.1",
                      "-timeout", "60s", "-timeout_error", "-nostdin"] + extra, directory: directory)
    }

    /// Runs SIPp as a callee on `port` for one call: a built-in scenario (`uas`) or a file of
    /// `Tests/Fixtures/sipp/` (`uas_busy.xml`). Its control and media ports are free ones of its
    /// own, so tests run side by side.
    static func sippCallee(_ scenario: String, port: Int, extra: [String] = []) async throws -> (status: Int32, output: String) {
        let source = scenario.hasSuffix(".xml") ? ["-sf", fixtures.appendingPathComponent(scenario).path] : ["-sn", scenario]
        var attempt = 0
        while true {
            attempt += 1
            let result = try await runSIPp(
                source + ["-p", "\(port)", "-i", "127.0.0.1", "-m", "1", "-cp", "\(try freeUDPPort())", "-mp", "\(try freeUDPPort())",
                          "-timeout", "60s", "-timeout_error", "-nostdin"] + extra, directory: nil)
            // A free port can be taken between the check and SIPp's bind (its media port also
            // takes the next ones): start again on other ports.
            guard result.status != 0, attempt < 3, result.output.localizedCaseInsensitiveContains("bind") else { return result }
        }
    }

    /// SIPp scenarios of these tests.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sipp")

    static func runSIPp(_ arguments: [String], directory: URL?) async throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") else {
            throw TestFailure("SIPp is missing: scripts/sip-deps.sh installs it (apt-get install sip-tester)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        // `-p 0`-style ports are not supported by SIPp: callers give it free ones.
        process.arguments = arguments
        // Output to a file and the exit through a handler: nothing blocks a thread of the
        // cooperative pool (two blocked reads would starve every server and client on 2 cores).
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: log)
        }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = handle
        process.standardError = handle
        // A test that fails early cancels this task: SIPp is stopped rather than left to time out.
        let status = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (exit: CheckedContinuation<Int32, any Error>) in
                process.terminationHandler = { exit.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { exit.resume(throwing: error) }
            }
        } onCancel: {
            // SIGKILL: SIPp ignores SIGTERM while it waits for a call.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Waits until something (SIPp) has bound UDP `port` on 127.0.0.1: binding it ourselves fails.
    static func waitUntilBound(udpPort port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let free = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(socket)
            if !free { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("nothing bound UDP port \(port)")
    }

    static func freeUDPPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free UDP port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func sippCallIsAnsweredByARelayConsumerAndItsByeEndsTheCall() async throws {
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await Self.waitForSIPPort(server)
            let consumer = try await BladeTestClient.connect(server.url)
            try await consumer.handshake(project: server.project, token: server.token, contexts: ["office"])
            async let sipp = Self.sipp("uac", port: sipPort, user: "office", extra: ["-d", "200"])
            let offer = try await consumer.event("calling.call.receive", timeout: 30)
            let callID = try #require(offer["call_id"]?.stringValue)
            #expect(offer["device"]?["params"]?["from_number"] == "sipp")
            let answer = try await consumer.execute("calling.answer", ["call_id": .string(callID), "node_id": offer["node_id"] ?? .null])
            #expect(answer["code"] == "200")
            // SIPp acknowledges the answer, waits 200 ms and hangs up: the Relay call ends.
            let ended = try await consumer.event("calling.call.state", timeout: 30) { $0["call_state"] == "ended" }
            #expect(ended["end_reason"] == "hangup")
            let result = try await sipp
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
            await consumer.close()
        }
    }

    @Test func malformedDatagramsAreDroppedAndTheEdgeKeepsAnswering() async throws {
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await Self.waitForSIPPort(server)
            // Garbage, a lone header block and a huge line: none may stop the edge.
            let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(sipPort).bigEndian
            for junk in ["hello", "INVITE sip:x SIP/2.0\r\n\r\n", String(repeating: "A", count: 60_000), "\r\n\r\n"] {
                let bytes = Array(junk.utf8)
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(socket, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            // A whole call still goes through.
            let consumer = try await BladeTestClient.connect(server.url)
            try await consumer.handshake(project: server.project, token: server.token, contexts: ["office"])
            async let sipp = Self.sipp("uac", port: sipPort, user: "office", extra: ["-d", "0"])
            let offer = try await consumer.event("calling.call.receive", timeout: 30)
            _ = try await consumer.execute("calling.answer", ["call_id": offer["call_id"] ?? .null, "node_id": offer["node_id"] ?? .null])
            #expect(try await sipp.status == 0)
            await consumer.close()
        }
    }

    @Test func rtpFlowsBothWaysAndTheCallersKeyAnswersAPrompt() async throws {
        // SIPp's uac_pcap plays `pcap/g711a.pcap` (236 packets, 7 s of A-law at 30 ms) and a
        // DTMF 1 (10 packets from a source of its own) after the answer.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("pcap").path, withDestinationPath: "/usr/share/sip-tester")
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await Self.waitForSIPPort(server)
            let consumer = try await BladeTestClient.connect(server.url)
            try await consumer.handshake(project: server.project, token: server.token, contexts: ["office"])
            async let sipp = Self.sipp("uac_pcap", port: sipPort, user: "office", directory: directory)
            let offer = try await consumer.event("calling.call.receive", timeout: 30)
            let callID = try #require(offer["call_id"]?.stringValue)
            let ids: [String: JSONValue] = ["call_id": .string(callID), "node_id": offer["node_id"] ?? .null]
            _ = try await consumer.execute("calling.answer", .object(ids))
            // The caller's DTMF (after its 7 s of audio) answers a prompt, as a key on a phone would.
            var prompt = ids
            prompt["control_id"] = "p1"
            prompt["play"] = [["type": "silence", "params": ["duration": 1]]]
            prompt["collect"] = ["initial_timeout": 30, "digits": ["max": 1, "digit_timeout": 5]]
            #expect(try await consumer.execute("calling.play_and_collect", .object(prompt))["code"] == "200")
            let collect = try await consumer.event("calling.call.collect", timeout: 60)
            #expect(collect["result"] == ["type": "digit", "params": ["digits": "1", "terminator": ""]], "\(collect)")
            _ = try await consumer.event("calling.call.state", timeout: 60) { $0["call_state"] == "ended" }
            let result = try await sipp
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
            let counters = try #require(server.server.sipMediaCounters(callID: callID))
            // Every packet of both streams arrives on loopback.
            #expect(counters.packetsIn == 246, "\(counters)")
            #expect(counters.lost == 0, "\(counters)")
            #expect(counters.packetsOut >= 300, "the caller heard a paced stream: \(counters)")
            // The lab API shows the same counters.
            let (data, _) = try await URLSession.shared.data(from: URL(string: "\(server.server.httpURL!)/lab/calls/\(callID)")!)
            let lab = try JSONCodec.parse(Array(data))
            #expect(lab["sip_media"]?["packets_in"] == .int(246), "\(lab["sip_media"] ?? .null)")
            await consumer.close()
        }
    }

    static func waitForSIPPort(_ server: RelayTestServer) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let port = server.server.sipPort { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("the SIP edge did not bind")
    }
}
