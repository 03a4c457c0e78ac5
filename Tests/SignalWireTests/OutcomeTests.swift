import Foundation
import NIOCore
import NIOPosix
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

/// The unhappy outcomes of the Relay reference (issue 12), made to happen by the local server's
/// standard world (numbers `+1201555012x`) and URL conventions: each event reaches listeners
/// and completes the right action with the right result.
@Suite("Documented outcomes against the simulated world", .timeLimit(.minutes(3)))
struct OutcomeTests {
    static let missing = "https://media.example.com/greeting.mp3?status=404"

    // MARK: Play

    @Test func playErrorFromMediaThatFails() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client)
                let tally = EventTally(call)
                let failed = try await call.playAudio(url: Self.missing)
                #expect(!failed.successful)
                #expect(failed.event?.name == "error")
                #expect(tally.count(.playError) == 1)
                #expect(tally.count(.playPlaying) == 0, "media that fails first never plays")
                #expect(tally.states(.playStateChange) == ["error"])

                let later = try await call.playAsync([.silence(duration: 1), .audio(url: "https://nowhere.invalid/hold.mp3")])
                let result = try await later.wait()
                #expect(!result.successful)
                #expect(later.completed && later.state == "error")
                #expect(tally.states(.playStateChange) == ["error", "playing", "error"])
                let timeline = try #require(await server.call(id: call.id ?? "")).timeline
                #expect(timeline.contains { $0.kind == "play" && $0.text.contains("the media host could not be reached") })
            }
        }
    }

    // MARK: Prompt

    @Test func promptNoMatchHintsLanguageSilenceAndError() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let mumbler = try await answeredCall(client, to: "+12015550126")
                let tally = EventTally(mumbler)
                let unheard = try await mumbler.promptTTS(.speech(), text: "Which department?")
                #expect(!unheard.successful)
                #expect(unheard.type == "no_match")
                #expect(unheard.event?.name == "no_match")
                #expect(unheard.result == nil)
                let hinted = try await mumbler.promptTTS(.speech(hints: ["sales", "billing"]), text: "Which department?")
                #expect(hinted.successful)
                #expect(hinted.type == "speech")
                #expect(hinted.result == "billing")
                #expect(hinted.confidence == 65)
                #expect(tally.count(.prompt) == 2)

                let french = try await answeredCall(client, to: "+12015550127")
                #expect(try await french.promptTTS(.speech(), text: "Yes or no?").type == "no_match")
                let oui = try await french.promptTTS(.speech(language: "fr-FR"), text: "Oui ou non ?")
                #expect(oui.successful && oui.result == "oui")

                let silent = try await answeredCall(client)
                let nothing = try await silent.promptTTS(.speech(initialTimeout: 2), text: "Hello?")
                #expect(!nothing.successful && nothing.type == "no_input")
                let broken = try await silent.promptAudio(.digits(max: 1), url: Self.missing)
                #expect(!broken.successful)
                #expect(broken.type == "error")
                #expect(broken.event?.name == "error")
            }
        }
    }

    // MARK: Record

    @Test func recordTerminatorAndSilentCaller() async throws {
        // On the manual clock: recording durations are exact simulated seconds.
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { testServer in
            let server = testServer.server
            try await withClient(server) { client in
                let keyer = try await answeredOnManualClock(server, client, to: "+12015550128")
                let tally = EventTally(keyer)
                let first = try await keyer.recordAsync()
                await server.advanceClock(by: 4)
                let keyed = try await first.wait()
                #expect(keyed.successful)
                #expect(keyed.event?.name == "finished")
                #expect(keyed.duration == 3.1, "the # ends the 3 s message at once")
                let second = try await keyer.recordAsync(endSilenceTimeout: 2, terminators: "*")
                await server.advanceClock(by: 6)
                let other = try await second.wait()
                #expect(other.duration == 5, "# is not a terminator here: the message, then 2 s of silence")
                #expect(await eventually { tally.states(.recordStateChange) == ["recording", "finished", "recording", "finished"] })

                let silent = try await answeredOnManualClock(server, client, to: "+12015550129")
                let silentTally = EventTally(silent)
                let third = try await silent.recordAsync()
                await server.advanceClock(by: 5)
                let nothing = try await third.wait()
                #expect(!nothing.successful)
                #expect(nothing.event?.name == "no_input")
                #expect(silentTally.count(.recordNoInput) == 1)
            }
        }
    }

    // MARK: Fax

    @Test func faxErrorMidDocumentAndAFailedPage() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let breaks = try await answeredCall(client, to: "+12015550124")
                let tally = EventTally(breaks)
                let received = try await breaks.faxReceive()
                #expect(!received.successful)
                #expect(received.event?.name == "error")
                #expect(received.pages == nil, "fax fields are only read from a successful fax, as in Python")
                #expect(tally.count(.faxPage) == 1)
                #expect(tally.count(.faxError) == 1)
                #expect(tally.states(.faxStateChange) == ["page", "error"])

                let fails = try await answeredCall(client, to: "+12015550125")
                let failTally = EventTally(fails)
                let action = try await fails.faxSendAsync(document: "https://example.com/contract.pdf?pages=3")
                let sent = try await action.wait()
                #expect(!sent.successful)
                #expect(sent.event?.name == "finished")
                #expect(action.completed)
                #expect(failTally.count(.faxFinished) == 1 && failTally.count(.faxPage) == 1)

                let unreachable = try await answeredCall(client, to: "+12015550105")
                let fetch = try await unreachable.faxSend(document: "https://docs.example.com/missing.pdf?status=404")
                #expect(!fetch.successful)
                #expect(fetch.event?.name == "error")
            }
        }
    }

    // MARK: Detect

    @Test func detectErrorAndAnsweringMachineOutcomes() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let broken = try await answeredCall(client, to: "+12015550123")
                let tally = EventTally(broken)
                let failed = try await broken.detectAnsweringMachine()
                #expect(failed.successful, "MACHINE at 1.5 s completes it before the detector fails")
                let async = try await broken.detectAnsweringMachineAsync()
                let error = try await async.wait()
                #expect(!error.successful)
                #expect(error.event?.name == "error")
                // The blocking detector kept running after MACHINE completed it: it failed first.
                #expect(tally.count(.detectError) == 2)

                let shortGreeting = try await answeredCall(client, to: "+12015550120")
                #expect(try await shortGreeting.detectAnsweringMachine().result == "HUMAN")
                let longHello = try await answeredCall(client, to: "+12015550121")
                #expect(try await longHello.detectAnsweringMachine().result == "MACHINE")
                let lenient = try await longHello.detectAnsweringMachine(machineVoiceThreshold: 4, machineWordsThreshold: 10)
                #expect(lenient.result == "HUMAN")
                let beep = try await longHello.detectAnsweringMachine(waitForBeep: true)
                #expect(beep.successful && beep.result == "MACHINE" && beep.event?.name == "READY")

                let lateBeep = try await answeredCall(client, to: "+12015550122")
                let noBeep = try await lateBeep.detectAnsweringMachine(timeout: 10, waitForBeep: true)
                #expect(!noBeep.successful, "the beep comes after the detector's timeout")
                #expect(noBeep.event?.name == "finished")

                let silent = try await answeredCall(client, to: "+12015550129")
                #expect(try await silent.detectAnsweringMachine().result == "UNKNOWN")
            }
        }
    }

    // MARK: Ringtones

    @Test func everyListedRingtonePlaysAndAnUnknownOneIsRefused() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client)
                for name in Ringtones.referenceNames {
                    let result = try await call.playRingtone(name: name, duration: 0.5)
                    #expect(result.successful, "ringtone \(name)")
                }
                let unknown = try await call.playRingtone(name: "atlantis")
                #expect(!unknown.successful)
                #expect(unknown.event == nil, "refused by the server: no events")
                let prompt = try await call.promptRingtone(.digits(max: 1), name: "xx")
                #expect(!prompt.successful)
            }
        }
    }

    // MARK: Tap

    @Test func tapHonoursCodecRateAndPtime() async throws {
        let received = RTPHeaders()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { $0.pipeline.addHandler(received) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)
        try await withRelayServer(speed: 10) { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client)
                let action = try await call.tapAsync(direction: "listen", device: .rtp(address: "127.0.0.1", port: port, codec: "PCMA", ptime: 30, rate: 16000))
                #expect(action.sourceDevice["params"]?["codec"] == "PCMA")
                #expect(action.sourceDevice["params"]?["rate"] == 16000)
                #expect(await eventually { received.count >= 2 })
                #expect(await action.stop().successful)
                _ = try await action.wait()
            }
        }
        #expect(received.payloadType == 8, "PCMA")
        #expect(received.payloadSize == 480, "16 kHz × 30 ms, one byte a sample")
    }
}

/// Dials `number` on a manual clock, moving time through the ring (2 s) once the server has the call.
func answeredOnManualClock(_ server: RelayServer, _ client: RelayClient, to number: String) async throws -> Call {
    let before = await server.calls().count
    async let dial = client.calling.dial(from: "+12029999999", to: number)
    #expect(await eventually { await server.calls().count > before })
    await server.advanceClock(by: 2)
    let result = try await dial
    #expect(result.successful, "dial to \(number) should be answered")
    return result.call
}

/// The ringtone names the Relay reference lists (its "Ringtones" table).
enum Ringtones {
    static let referenceNames = [
        "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr", "hu", "il", "in", "it", "lt",
        "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us", "tw", "ve", "za",
    ]
}

/// The RTP header of the first datagram a tap sends, and how many arrived.
final class RTPHeaders: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let state = Mutex<(count: Int, type: UInt8?, size: Int?)>((0, nil, nil))

    var count: Int { state.withLock { $0.count } }
    var payloadType: UInt8? { state.withLock { $0.type } }
    var payloadSize: Int? { state.withLock { $0.size } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let type = envelope.data.getInteger(at: envelope.data.readerIndex + 1, as: UInt8.self).map { $0 & 0x7F }
        let size = envelope.data.readableBytes - 12
        state.withLock { state in
            state.count += 1
            if state.type == nil {
                state.type = type
                state.size = size
            }
        }
    }
}
