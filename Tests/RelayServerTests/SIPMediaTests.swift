import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Logging
import NIOCore
import NIOPosix
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

@testable import RelayServer

/// Real audio on SIP calls, end to end: SIPp calls, a Swift consumer (the SDK users run)
/// answers, speaks with espeak-ng, prompts for a digit, records the caller and hangs up.
@Suite(.timeLimit(.minutes(2)))
struct SIPMediaTests {
    static let callerScenario = SIPEdgeTests.fixtures.appendingPathComponent("caller_plays_audio_then_waits_for_bye.xml").path
    /// What the scenario's caller sends: SIPp's sample, 236 A-law packets of 30 ms.
    static let callerAudioSeconds = 7.08

    @Test func aSwiftConsumerSpeaksPromptsRecordsTheCallerAndHangsUp() async throws {
        // The server runs simulated calls 50× faster; a SIP leg still runs on real time.
        try await withRelayTestServer(speed: 50, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await SIPEdgeTests.waitForSIPPort(server)
            let (client, calls) = try await Self.officeConsumer(server)
            async let sipp = SIPEdgeTests.sipp(Self.callerScenario, port: sipPort, user: "office")
            var iterator = calls.makeAsyncIterator()
            let call = try #require(await iterator.next())
            // The recording is asked for with the answer, so it starts before the caller's audio
            // does (however slow this machine is to reply).
            async let startRecording = call.recordAsync(direction: .listen)
            #expect(try await call.answer().successful)
            let recording = try await startRecording
            let greeting = try await call.playTTS(text: "Welcome to the local Relay server.")
            #expect(greeting.successful)
            let choice = try await call.promptTTS(.digits(max: 1, digitTimeout: 5, initialTimeout: 30), text: "Press one to continue.")
            // SIPp keys its RFC 4733 "1" about 8 s into the call.
            #expect(choice.result == "1", "\(choice)")
            // The caller fell silent after 7.08 s of speech: the recording ended on its own.
            let recorded = try await recording.wait()
            let callID = try #require(call.id)
            let timeline = await server.timeline(callID: callID).map(\.text)
            #expect(timeline.contains { $0.contains("finished (end of speech)") }, "\(timeline)")
            #expect(try await call.hangup().successful)
            let result = try await sipp
            #expect(result.status == 0, "SIPp: \(result.output.suffix(6000))")
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
            let counters = try #require(server.server.sipMediaCounters(callID: callID))
            #expect(counters.packetsIn == 246 && counters.lost == 0, "\(counters)")
            #expect(abs(counters.sendIntervalMilliseconds - 20) <= 1, "\(counters)")
            #expect(counters.sendJitterMilliseconds < 2, "\(counters)")
        }
    }

    @Test func aTapOnASIPCallCarriesTheCallersRealVoice() async throws {
        let payloads = PayloadCollector()
        let receiver = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(payloads) } }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { receiver.close(promise: nil) }
        try await withRelayTestServer(speed: 50, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let sipPort = try await SIPEdgeTests.waitForSIPPort(server)
            let (client, calls) = try await Self.officeConsumer(server)
            async let sipp = SIPEdgeTests.sipp(Self.callerScenario, port: sipPort, user: "office")
            var iterator = calls.makeAsyncIterator()
            let call = try #require(await iterator.next())
            #expect(try await call.answer().successful)
            let tap = try await call.tapAsync(direction: "listen", device: .rtp(address: "127.0.0.1", port: receiver.localAddress!.port!, codec: "PCMU", ptime: 20))
            // Two seconds of the caller's speech, as the tap target hears it.
            let deadline = ContinuousClock.now + .seconds(30)
            while payloads.count < 100, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            _ = await tap.stop()
            // The scenario's caller keys 1 at about 8 s, then waits for the app to hang up.
            #expect(try await call.promptTTS(.digits(max: 1, initialTimeout: 30), text: "Press one.").result == "1")
            #expect(try await call.hangup().successful)
            #expect(try await sipp.status == 0)
            await client.disconnect()
            // Speech, not the simulator's steady tone: loud packets and quiet ones.
            let levels = payloads.all.map { payload in AudioClip(samples: payload.map(G711.linear(muLaw:))).rms }
            #expect(levels.count >= 100)
            #expect((levels.max() ?? 0) > 1000 && (levels.max() ?? 0) > 4 * (levels.min() ?? 0), "\(levels.prefix(40))")
        }
    }

    @Test func connectRelaysAudioBothWaysBetweenTwoSIPCalls() async throws {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("sip-capture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: capture) }
        try await withRelayTestServer(
            speed: 50,
            configure: {
                $0.sipAddress = ("127.0.0.1", 0)
                $0.sipCaptureDirectory = capture.path
            }
        ) { server in
            let sipPort = try await SIPEdgeTests.waitForSIPPort(server)
            let (client, calls) = try await Self.officeConsumer(server)
            // The callee echoes every RTP packet back: what the caller says comes back to them
            // through both legs.
            let calleePort = try SIPEdgeTests.freeUDPPort()
            async let callee = SIPEdgeTests.sippCallee("uas", port: calleePort, extra: ["-rtp_echo"])
            try await SIPEdgeTests.waitUntilBound(udpPort: calleePort)
            async let caller = SIPEdgeTests.sipp(Self.callerScenario, port: sipPort, user: "office")
            var iterator = calls.makeAsyncIterator()
            let call = try #require(await iterator.next())
            let callerID = try #require(call.id)
            #expect(try await call.answer().successful)
            let connected = try await call.connect([[.sip(to: "sip:bob@127.0.0.1:\(calleePort)", from: "sip:office@127.0.0.1")]])
            #expect(connected.successful, "\(connected)")
            let leg = try #require(connected.call?.id)
            // The caller's 7 s of speech and its key have all arrived.
            let deadline = ContinuousClock.now + .seconds(60)
            while (server.server.sipMediaCounters(callID: callerID)?.packetsIn ?? 0) < 246, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await call.hangup().successful)
            #expect(try await caller.status == 0)
            #expect(try await callee.status == 0)
            await client.disconnect()

            let inbound = try #require(server.server.sipMediaCounters(callID: callerID))
            let outbound = try #require(server.server.sipMediaCounters(callID: leg))
            // Each way, of the audio one leg received while connected, at least 95% went out on
            // the other leg's stream (the rest was dropped from a full buffer or never sent).
            // Caller → callee: the caller's speech (it began before the connect, so not all of it).
            #expect(inbound.packetsRelayed > 100, "\(inbound)")
            #expect(outbound.relaySamplesIn > 0 && Double(outbound.relaySamplesSent) >= 0.95 * Double(outbound.relaySamplesIn), "\(outbound)")
            // Callee → caller: the echo.
            #expect(outbound.packetsRelayed > 100, "\(outbound)")
            #expect(inbound.relaySamplesIn > 0 && Double(inbound.relaySamplesSent) >= 0.95 * Double(inbound.relaySamplesIn), "\(inbound)")
            // And the caller heard their own voice come back.
            // The capture is written as the call ends.
            let heardPath = try #require(server.server.sipCapturePath(callID: callerID))
            let written = ContinuousClock.now + .seconds(20)
            while !FileManager.default.fileExists(atPath: heardPath), ContinuousClock.now < written { try await Task.sleep(for: .milliseconds(20)) }
            let heard = try Self.pcmSamples(Array(try Data(contentsOf: URL(fileURLWithPath: heardPath))))
            #expect(AudioClip(samples: heard).rms > 300, "the caller heard the echo of their speech")
        }
    }

    /// A connected Swift client receiving the `office` context, and the calls it is offered.
    static func officeConsumer(_ server: RelayTestServer) async throws -> (RelayClient, AsyncStream<Call>) {
        var configuration = RelayConfiguration()
        configuration.executeTimeout = .seconds(20)
        configuration.firstConnectRetryTime = .zero
        let client = try RelayClient(
            project: server.project, token: server.token, host: server.url, configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await client.connect()
        let (calls, inbox) = AsyncStream.makeStream(of: Call.self)
        try await client.calling.receive(contexts: ["office"]) { inbox.yield($0) }
        return (client, calls)
    }

    /// The 16-bit mono PCM of a WAV the server wrote.
    static func pcmSamples(_ bytes: [UInt8]) throws -> [Int16] {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[36..<40].elementsEqual("data".utf8) else {
            throw TestFailure("not a canonical WAV")
        }
        return stride(from: 44, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
    }
}

/// Keeps the RTP payloads a tap target receives.
final class PayloadCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let payloads = Mutex<[[UInt8]]>([])

    var count: Int { payloads.withLock { $0.count } }
    var all: [[UInt8]] { payloads.withLock { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
        guard bytes.count > 12 else { return }
        payloads.withLock { $0.append(Array(bytes[12...])) }
    }
}
