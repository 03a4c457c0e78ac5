import Foundation
import RelayTesting
import NIOCore
import NIOPosix
import RelayServer
import RelayWire
import SignalWire
import Synchronization
import Testing

/// Results and events of every Call verb against the simulated telephone network.
@Suite("Calling against the simulated world", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct CallingBehaviourTests {
    @Test(arguments: bothGenerations) func busyNumberFailsTheDial(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550101")
                #expect(!dial.successful)
                #expect(dial.call.busy)
                #expect(dial.call.ended)
                #expect(dial.event?.name == "ended" || dial.event?.name == "ending")
            }
        }
    }

    @Test(arguments: bothGenerations) func unroutableNumberFails(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550103")
                #expect(!dial.successful)
                #expect(dial.call.failed)
            }
        }
    }

    @Test(arguments: bothGenerations) func unansweredNumberTimesOut(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550102", timeout: 5)
                #expect(!dial.successful)
                #expect(dial.call.endReason == "noAnswer")
            }
        }
    }

    @Test(arguments: bothGenerations) func remoteHangupEndsTheCallAndItsOperations(generation: WireGeneration) async throws {
        // The party hangs up 2 simulated seconds after answering. On the manual clock that is
        // when the test says so, after the listeners and the play are in place.
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { testServer in
            let server = testServer.server
            try await withClient(server, generation: generation) { client in
                async let dial = client.calling.dial(from: "+12029999999", to: "+12015550108")
                #expect(await eventually { await !server.calls().isEmpty })
                await server.advanceClock(by: 2)  // one ring
                let dialed = try await dial
                #expect(dialed.successful)
                let call = dialed.call
                let states = Mutex<[String]>([])
                call.on(.stateChange) { event in states.withLock { $0.append(event.state ?? "?") } }
                let stream = call.events
                let play = try await call.playAsync([.silence(duration: 60)])
                #expect(await eventually { await server.call(id: call.id ?? "")?.timeline.contains { $0.kind == "play" } == true })
                await server.advanceClock(by: 2)  // the party hangs up
                let value0 = try await call.waitForEnded()
                #expect(value0)
                let result = try await play.wait()
                #expect(!result.successful, "a play cut short by the hangup is not successful")
                #expect(["ended", "error", "finished"].contains(result.event?.name ?? ""))
                #expect(states.withLock { $0 } == ["ending", "ended"])
                var streamed: [String] = []
                for await event in stream where event.kind == .state { streamed.append(event.state ?? "?") }
                #expect(streamed == ["ending", "ended"], "the stream ends with the call")
                #expect(!call.active)
            }
        }
    }

    @Test(arguments: bothGenerations) func waitForSeesRingingAndAnswered(generation: WireGeneration) async throws {
        try await withRelayServer(speed: 20) { server in
            try await withClient(server, generation: generation) { client in
                let call = client.calling.newCall(from: "+12029999999", to: "+12015550100")
                async let dial = call.dial()
                async let ringing = call.waitForRinging()
                async let answered = call.waitForAnswered()
                let value1 = try await ringing
                #expect(value1)
                let value2 = try await answered
                #expect(value2)
                let value3 = try await dial.successful
                #expect(value3)
                #expect(call.previousState == .ringing)
                let value4 = try await call.waitFor(.created)
                #expect(value4, "a state already passed returns at once")
            }
        }
    }

    @Test(arguments: bothGenerations) func promptCollectsDigitsAndSpeech(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let keypad = try await answeredCall(client, to: "+12015550106")
                let digits = try await keypad.promptTTS(.digits(max: 8, terminators: "#"), text: "Enter your PIN")
                #expect(digits.successful)
                #expect(digits.type == "digit")
                #expect(digits.result == "1234")
                #expect(digits.terminator == "#")
                let talker = try await answeredCall(client, to: "+12015550107")
                let speech = try await talker.promptTTS(.speech(language: "en-US"), text: "Say yes or no")
                #expect(speech.successful)
                #expect(speech.type == "speech")
                #expect(speech.result == "yes")
                #expect((speech.confidence ?? 0) > 0)
                let silent = try await answeredCall(client)
                let nothing = try await silent.promptTTS(.digits(max: 4, initialTimeout: 2), text: "Anyone?")
                #expect(!nothing.successful)
                #expect(nothing.type == "no_input")
            }
        }
    }

    @Test(arguments: bothGenerations) func promptWithoutAnythingToCollectIsRejectedLocally(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                await #expect(throws: RelayError.self) { try await call.prompt(Collect(), media: [.tts(text: "?")]) }
                #expect(await sentCommands(server, method: RelayMethod.playAndCollect).isEmpty)
            }
        }
    }

    @Test(arguments: bothGenerations) func recordGivesAURLDurationAndSize(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let record = try await call.record(format: "wav", endSilenceTimeout: 1)
                #expect(record.successful)
                #expect(record.url.hasPrefix("http"))
                #expect(record.duration > 0)
                #expect(record.size > 44)
            }
        }
    }

    @Test(arguments: bothGenerations) func answeringMachineWithBeep(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let machine = try await answeredCall(client, to: "+12015550104")
                let beep = try await machine.amd(waitForBeep: true)
                #expect(beep.successful)
                #expect(beep.result == "MACHINE")
                #expect(beep.event?.name == "READY")
                #expect(beep.type == "machine")
                let person = try await answeredCall(client)
                let human = try await person.detectAnsweringMachine(timeout: 10)
                #expect(human.successful)
                #expect(human.result == "HUMAN")
            }
        }
    }

    @Test(arguments: bothGenerations) func asyncDetectCollectsEveryResult(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let machine = try await answeredCall(client, to: "+12015550104")
                let action = try await machine.amdAsync(timeout: 30)
                let result = try await action.wait()
                #expect(result.successful)
                #expect(result.result?.rawValue.contains("MACHINE") == true, "got \(result.result?.rawValue ?? "nil")")
            }
        }
    }

    @Test(arguments: bothGenerations) func faxDetectionAndTransfer(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let fax = try await answeredCall(client, to: "+12015550105")
                let tone = try await fax.detectFax(timeout: 10)
                #expect(tone.successful)
                #expect(tone.result == "CED")
                let pages = Mutex(0)
                fax.on(.faxPage) { _ in pages.withLock { $0 += 1 } }
                let sent = try await fax.faxSend(document: "https://example.com/fax.pdf", identity: "+12029999999", header: "Hello")
                #expect(sent.successful)
                #expect(sent.direction == "send")
                #expect((sent.pages ?? 0) > 0)
                #expect(pages.withLock { $0 } == sent.pages)
                #expect(sent.document == "https://example.com/fax.pdf")
            }
        }
    }

    /// The session decodes each broadcast once; what listeners get must still be exactly what
    /// the server sent: the typed `wire` event, and a `payload` equal to the params (number
    /// kinds included) or, for fax and detect, the inner object.
    @Test(arguments: bothGenerations) func listenersHearEachBroadcastExactlyAsSent(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let tally = EventTally(call)
                _ = try await call.playTTS(text: "Hi")
                _ = try await call.sendDigits("12")
                let record = try await call.recordAsync()
                _ = await record.stop()
                _ = try await record.wait()
                _ = try await call.detectDigit(timeout: 0.2)
                _ = try await call.hangup()
                let callID = try #require(call.id)
                var sent: [(event: CallingEvent, params: JSONValue)] = []
                for (type, params) in await deliveredEvents(server) where params["call_id"]?.stringValue == callID {
                    sent.append((try CallingEvent(eventType: type, params: params), params))
                }
                let heard = [CallEventName.stateChange, .playStateChange, .sendDigitsStateChange, .recordStateChange].flatMap(tally.events)
                    + tally.events(.detectUpdate) + tally.events(.detectFinished) + tally.events(.detectError)
                #expect(heard.count >= 8, "heard \(heard.map(\.name))")
                for event in heard {
                    guard let params = sent.first(where: { $0.event == event.wire })?.params else {
                        Issue.record("\(event.name) was not sent as heard: \(event.wire)")
                        continue
                    }
                    // JSONValue == keeps int and float apart: the payload is the JSON as sent.
                    switch event.kind {
                    case .detect: #expect(event.payload == params["detect"])
                    case .fax: #expect(event.payload == params["fax"])
                    default: #expect(event.payload == params)
                    }
                    #expect(event.controlID == params["control_id"]?.stringValue)
                }
                for kind in [RelayEventName.callPlay, RelayEventName.callSendDigits, RelayEventName.callRecord] {
                    #expect(heard.filter { $0.wire.eventType == kind }.count == sent.filter { $0.event.eventType == kind }.count, "\(kind)")
                }
            }
        }
    }

    @Test(arguments: bothGenerations) func sendDigitsValidatesBeforeSending(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                await #expect(throws: RelayError.invalidArgument("'x' is not a DTMF digit: \(SendDigitsCommand.rule)")) {
                    try await call.sendDigits("12x4")
                }
                #expect(await sentCommands(server, method: RelayMethod.sendDigits).isEmpty)
                let sent = try await call.sendDigits("1234w#*")
                #expect(sent.successful)
                #expect(sent.event?.name == "finished")
            }
        }
    }

    @Test(arguments: bothGenerations) func tapStreamsRealRTPToALoopbackPort(generation: WireGeneration) async throws {
        let received = PacketCounter()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { $0.pipeline.addHandler(received) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)
        try await withRelayServer(speed: 10) { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let action = try await call.tapAsync(direction: "both", device: .rtp(address: "127.0.0.1", port: port, codec: "PCMU", ptime: 20))
                #expect(action.sourceDevice["type"]?.stringValue != nil, "calling.tap answers with the source device")
                #expect(await eventually { received.count >= 3 }, "RTP packets arrive while tapping")
                #expect(await action.stop().successful)
                let result = try await action.wait()
                #expect(result.successful)
                #expect(result.destinationDevice?["params"]?["port"]?.intValue == port)
            }
        }
        #expect(received.firstByte == 0x80, "RTP version 2")
    }

    @Test(arguments: bothGenerations) func connectInSeriesSkipsABusyDevice(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let legs = Mutex<[String]>([])
                call.on(.connectStateChange) { event in legs.withLock { $0.append(event.state ?? "?") } }
                let result = try await call.connect(series: [.phone(to: "+12015550101", timeout: 5), .phone(to: "+12015550100", timeout: 5)])
                #expect(result.successful)
                #expect(result.call?.to == "+12015550100")
                #expect(call.peer === result.call)
                #expect(legs.withLock { $0 }.first == "connecting")
                #expect(legs.withLock { $0 }.last == "connected")
                let disconnect = try await call.disconnect()
                #expect(disconnect.successful)
            }
        }
    }

    @Test(arguments: bothGenerations) func connectFailsWhenNobodyAnswers(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let result = try await call.connect(parallel: [.phone(to: "+12015550101"), .phone(to: "+12015550103")])
                #expect(!result.successful)
                #expect(result.call == nil)
                #expect(result.event?.name == "failed")
            }
        }
    }

    @Test(arguments: bothGenerations) func operationsOnAnEndedCallFailWithoutSending(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let value5 = try await call.hangup().successful
                #expect(value5)
                let before = await sentCommands(server, method: RelayMethod.play).count
                let play = try await call.playTTS(text: "too late")
                #expect(!play.successful)
                #expect(await sentCommands(server, method: RelayMethod.play).count == before)
            }
        }
    }

    @Test(arguments: bothGenerations) func listenersCanBeRemoved(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let count = Mutex(0)
                let id = call.on(.playFinished) { _ in count.withLock { $0 += 1 } }
                _ = try await call.playSilence(duration: 0.1)
                call.off(.playFinished, id)
                _ = try await call.playSilence(duration: 0.1)
                #expect(count.withLock { $0 } == 1)
            }
        }
    }

    @Test(arguments: bothGenerations) func inboundCallIsAnsweredThroughReceive(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let (calls, inbox) = AsyncStream.makeStream(of: Call.self)
                try await client.calling.receive(contexts: ["office"]) { inbox.yield($0) }
                let injected = try await server.injectCall(
                    from: "+12015550106", to: "+12025550000", context: "office", script: PartyBehavior(digits: ["1234#"]), ringTimeout: 3600)
                var iterator = calls.makeAsyncIterator()
                let call = try #require(await iterator.next())
                #expect(call.id == injected.id)
                #expect(call.context == "office")
                #expect(call.from == "+12015550106")
                #expect(call.direction == "inbound")
                let value6 = try await call.answer().successful
                #expect(value6)
                let pin = try await call.promptTTS(.digits(max: 8, terminators: "#"), text: "PIN?")
                #expect(pin.result == "1234")
                let value7 = try await call.hangup().successful
                #expect(value7)
            }
        }
    }
}

/// Counts UDP datagrams (the RTP a tap sends).
final class PacketCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let state = Mutex<(count: Int, first: UInt8?)>((0, nil))

    var count: Int { state.withLock { $0.count } }
    var firstByte: UInt8? { state.withLock { $0.first } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let byte = envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt8.self)
        state.withLock { state in
            state.count += 1
            if state.first == nil { state.first = byte }
        }
    }
}
