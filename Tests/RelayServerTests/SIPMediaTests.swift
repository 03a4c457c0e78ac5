import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Logging
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Testing

/// Real audio on SIP calls, end to end: SIPp calls, a Swift consumer (the SDK users run)
/// answers, speaks with espeak-ng, prompts for a digit, records the caller and hangs up.
@Suite(.timeLimit(.minutes(2)))
struct SIPMediaTests {
    static let callerScenario = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sipp/caller_plays_audio_then_waits_for_bye.xml").path
    /// What the scenario's caller sends: SIPp's sample, 236 A-law packets of 30 ms.
    static let callerAudioSeconds = 7.08

    @Test func aSwiftConsumerSpeaksPromptsRecordsTheCallerAndHangsUp() async throws {
        // The server runs simulated calls 50× faster; a SIP leg still runs on real time.
        try await withRelayTestServer(speed: 50, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await SIPEdgeTests.waitForSIPPort(server)
            var configuration = RelayConfiguration()
            configuration.executeTimeout = .seconds(20)
            configuration.firstConnectRetryTime = .zero
            let client = try RelayClient(
                project: server.project, token: server.token, host: server.url, configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            try await client.connect()
            let (calls, inbox) = AsyncStream.makeStream(of: Call.self)
            try await client.calling.receive(contexts: ["office"]) { inbox.yield($0) }
            async let sipp = SIPEdgeTests.sipp(Self.callerScenario, port: sipPort, user: "office")
            var iterator = calls.makeAsyncIterator()
            let call = try #require(await iterator.next())
            #expect(try await call.answer().successful)
            let recording = try await call.recordAsync(direction: .listen)
            let greeting = try await call.playTTS(text: "Welcome to the local Relay server.")
            #expect(greeting.successful)
            let choice = try await call.promptTTS(.digits(max: 1, digitTimeout: 5, initialTimeout: 30), text: "Press one to continue.")
            // SIPp keys its RFC 4733 "1" about 8 s into the call.
            #expect(choice.result == "1", "\(choice)")
            _ = await recording.stop()
            let recorded = try await recording.wait()
            #expect(try await call.hangup().successful)
            let result = try await sipp
            #expect(result.status == 0, "SIPp: \(result.output.suffix(2000))")
            await client.disconnect()

            // The recording is the caller's audio: as long as what SIPp sent, and not silence.
            #expect(recorded.successful)
            #expect(abs(recorded.duration - Self.callerAudioSeconds) <= Self.callerAudioSeconds * 0.05, "\(recorded.duration) s")
            let (data, _) = try await URLSession.shared.data(from: URL(string: recorded.url)!)
            let samples = try Self.pcmSamples(Array(data))
            #expect(abs(Double(samples.count) / 8000 - recorded.duration) < 0.01)
            let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, samples.count))).squareRoot()
            #expect(rms > 300, "the caller's speech, not silence: RMS \(rms)")

            // What the caller heard was paced at 20 ms; nothing the caller sent was lost.
            let callID = try #require(call.id)
            let counters = try #require(server.server.sipMediaCounters(callID: callID))
            #expect(counters.packetsIn == 246 && counters.lost == 0, "\(counters)")
            #expect(abs(counters.sendIntervalMilliseconds - 20) <= 1, "\(counters)")
            #expect(counters.sendJitterMilliseconds < 2, "\(counters)")
        }
    }

    /// The 16-bit mono PCM of a WAV the server wrote.
    static func pcmSamples(_ bytes: [UInt8]) throws -> [Int16] {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[36..<40].elementsEqual("data".utf8) else {
            throw TestFailure("not a canonical WAV")
        }
        return stride(from: 44, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }
}
