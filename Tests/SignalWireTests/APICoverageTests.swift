import RelayTesting
import Foundation
import RelayServer
import RelayWire
import SignalWire
import Synchronization
import Testing

/// Tests named in the Test column of docs/API-MAPPING.md for rows that the other suites did not
/// pin yet: every property, result field, action member and call event of the seed, asserted
/// against the simulated world (or, for frames, against the Python capture).
/// `scripts/check-api-mapping.sh` fails if a test named in the doc disappears.
@Suite("API mapping coverage", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct APICoverageTests {
    // MARK: Client

    @Test func clientDefaultsAndProperties() async throws {
        let offline = try RelayClient(project: "p", token: "t")
        #expect(offline.host == "relay.signalwire.com")
        #expect(offline.host == SignalWireSDK.defaultHost)
        #expect(offline.project == "p")
        #expect(!offline.connected)
        #expect(RelayTask(project: "p", token: "t").host == "relay.signalwire.com")
        try await withRelayServer { server in
            let client = try RelayClient(
                project: RelayProject.default.id, token: RelayProject.default.token, host: server.url ?? "", configuration: testConfiguration())
            #expect(client.host == server.url)
            try await client.connect()
            #expect(client.connected)
            let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
            #expect(dial.successful)
            #expect(client.calling.call(id: dial.call.id ?? "-") === dial.call)
            #expect(client.calling.activeCalls.contains { $0 === dial.call })
            _ = try await dial.call.hangup()
            await client.disconnect()
            #expect(!client.connected)
        }
    }

    @Test func socketMessageAndSocketErrorReachListeners() async throws {
        try await withRelayServer { server in
            let client = try RelayClient(
                project: RelayProject.default.id, token: RelayProject.default.token, host: server.url ?? "", configuration: testConfiguration())
            let messages = Mutex(0)
            client.on(.socketMessage) { _ in messages.withLock { $0 += 1 } }
            try await client.connect()
            // The blade.connect, setup and blade.subscription replies at least.
            #expect(await eventually { messages.withLock { $0 } >= 3 })
            await client.disconnect()
        }
        let unreachable = try RelayClient(project: "p", token: "t", host: "ws://127.0.0.1:1", configuration: testConfiguration())
        let errors = Mutex(0)
        unreachable.on(.socketError) { _ in errors.withLock { $0 += 1 } }
        _ = try? await unreachable.connect()
        #expect(await eventually { errors.withLock { $0 } >= 1 }, "signalwire.socket.error fires when the socket cannot open")
        await unreachable.disconnect()
    }

    // MARK: Call properties and state events

    @Test func callPropertiesFollowTheWire() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = client.calling.newCall(from: "+12029999999", to: "+12015550100", timeout: 20)
                #expect(call.id == nil)
                #expect(call.nodeID == nil)
                #expect(call.state == nil)
                #expect(call.previousState == nil)
                #expect(call.callType == "phone")
                #expect(call.from == "+12029999999")
                #expect(call.to == "+12015550100")
                #expect(call.timeout == 20)
                #expect(call.direction == "outbound")
                #expect(!call.tag.isEmpty)
                #expect(call.active)
                #expect(!call.answered)
                #expect(!call.ended)
                #expect(call.context == nil)
                let dial = try await call.dial()
                #expect(dial.successful)
                #expect(dial.call === call)
                let begin = await sentCommands(server, method: RelayMethod.begin).first
                #expect(begin?["tag"]?.stringValue == call.tag)
                #expect(begin?["device"]?["params"]?["timeout"]?.intValue == 20)
                let calls = await server.calls()
                let snapshot = try #require(calls.first(where: { $0.id == call.id }))
                #expect(call.nodeID == snapshot.nodeID)
                #expect(call.state == .answered)
                #expect(call.previousState == .ringing)
                #expect(call.answered)
                #expect(call.active)
                #expect(!call.ended)
                #expect(!call.busy)
                #expect(!call.failed)
                #expect(call.endReason == nil)
                _ = try await call.playSilence(duration: 0.1)
                let play = await sentCommands(server, method: RelayMethod.play).first
                #expect(play?["call_id"]?.stringValue == call.id)
                #expect(play?["node_id"]?.stringValue == call.nodeID)
                let hangup = try await call.hangup()
                #expect(hangup.successful)
                #expect(hangup.reason == "hangup")
                #expect(hangup.event?.name == "ended")
                #expect(hangup.event?.payload["call_state"]?.stringValue == "ended")
                #expect(call.state == .ended)
                #expect(call.previousState == .ending)
                #expect(call.ended)
                #expect(!call.active)
                #expect(!call.answered)
                #expect(call.endReason == "hangup")
            }
        }
    }

    @Test func callStateEventsReachListeners() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = client.calling.newCall(from: "+12029999999", to: "+12015550100")
                let tally = EventTally(call)
                let dial = try await call.dial()
                #expect(dial.event?.name == "answered")
                #expect(dial.event?.payload["call_state"]?.stringValue == "answered")
                _ = try await call.hangup()
                for name: CallEventName in [.created, .ringing, .answered, .ending, .ended] {
                    #expect(tally.count(name) == 1, "\(name.rawValue) fires once")
                }
                #expect(tally.states(.stateChange) == ["created", "ringing", "answered", "ending", "ended"])
            }
        }
    }

    @Test func waitForForms() async throws {
        try await withRelayServer(speed: 20) { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client, to: "+12015550108")
                async let ending = call.waitForEnding()
                async let ended = call.waitFor([.ended])
                let sawEnding = try await ending
                let sawEnded = try await ended
                #expect(sawEnding)
                #expect(sawEnded)
                let again = try await call.waitForEnded()
                #expect(again, "a state already reached returns true at once")
                #expect(await sentFrames(server).count > 0)
            }
        }
    }

    @Test func waitForAnsweredIsFalseWhenTheCallNeverAnswers() async throws {
        try await withRelayServer(speed: 20) { server in
            try await withClient(server) { client in
                let busy = client.calling.newCall(from: "+12029999999", to: "+12015550101")
                async let answered = busy.waitForAnswered()
                let dial = try await busy.dial()
                #expect(!dial.successful)
                let value = try await answered
                #expect(!value, "the call ended before it was answered (RELAY-V2.md §6.2: False if the call ended first)")
            }
        }
    }

    // MARK: Component events, results and actions

    @Test func playRecordPromptDigitsAndTapEventsReachListeners() async throws {
        try await withRelayServer(speed: 50) { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client, to: "+12015550106")
                let tally = EventTally(call)
                let play = try await call.playTTS(text: "Hello")
                #expect(play.successful)
                #expect(play.event?.name == "finished")
                #expect(play.event?.payload["state"]?.stringValue == "finished")
                #expect(tally.states(.playStateChange) == ["playing", "finished"])
                #expect(tally.count(.playPlaying) == 1)
                #expect(tally.count(.playFinished) == 1)

                let record = try await call.record(endSilenceTimeout: 1)
                #expect(record.successful)
                #expect(record.event?.name == "finished")
                #expect(record.event?.payload["url"]?.stringValue == record.url)
                #expect(tally.states(.recordStateChange) == ["recording", "finished"])
                #expect(tally.count(.recordRecording) == 1)
                #expect(tally.count(.recordFinished) == 1)

                let prompt = try await call.promptTTS(.digits(max: 8, terminators: "#"), text: "PIN?")
                #expect(prompt.event?.name == "digit")
                #expect(prompt.event?.payload["params"]?["digits"]?.stringValue == "1234")
                #expect(tally.count(.prompt) == 1)
                #expect(tally.events(.prompt).first?.payload["result"]?["type"]?.stringValue == "digit")

                let digits = try await call.sendDigits("12")
                #expect(digits.successful)
                #expect(digits.event?.name == "finished")
                #expect(digits.event?.payload["state"]?.stringValue == "finished")
                #expect(tally.count(.sendDigitsFinished) == 1)
                #expect(tally.states(.sendDigitsStateChange) == ["finished"])

                let tap = try await call.tapAsync(direction: "listen", device: .rtp(address: "127.0.0.1", port: 9))
                #expect(await eventually { tally.count(.tapTapping) == 1 })
                #expect(await tap.stop().successful)
                _ = try await tap.wait()
                #expect(tally.count(.tapFinished) == 1)
                #expect(tally.states(.tapStateChange) == ["tapping", "finished"])
            }
        }
    }

    @Test func playErrorAndRecordNoInputReachListeners() async throws {
        // On the manual clock: the party hangs up exactly when the test moves time, so the play
        // is always running by then, however loaded the machine is.
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { testServer in
            let server = testServer.server
            try await withClient(server) { client in
                /// Dials `number` and moves time through the ring (2 s) once the server has the call.
                func dialAnswered(_ number: String) async throws -> Call {
                    let result = try await dialThroughOneRing(client, server, to: number)
                    #expect(result.successful, "dial to \(number) should be answered")
                    return result.call
                }
                let hangsUp = try await dialAnswered("+12015550108")
                let tally = EventTally(hangsUp)
                let play = try await hangsUp.playAsync([.silence(duration: 60)])
                #expect(await eventually { tally.count(.playPlaying) == 1 })
                await server.advanceClock(by: 2)  // the party hangs up 2 s after answering
                let cut = try await play.wait()
                #expect(!cut.successful)
                #expect(await eventually { tally.count(.playError) == 1 }, "the play cut short by the hangup reports play.error")

                let fax = try await dialAnswered("+12015550105")
                let faxTally = EventTally(fax)
                let silent = try await fax.recordAsync(initialTimeout: 1)
                #expect(await eventually { faxTally.count(.recordRecording) == 1 })
                await server.advanceClock(by: 1)
                let result = try await silent.wait()
                #expect(!result.successful)
                #expect(result.event?.name == "no_input")
                #expect(faxTally.count(.recordNoInput) == 1)
                #expect(faxTally.states(.recordStateChange) == ["recording", "no_input"])
            }
        }
    }

    @Test func faxEventsAndResultFields() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let fax = try await answeredCall(client, to: "+12015550105")
                let tally = EventTally(fax)
                let received = try await fax.faxReceive()
                #expect(received.successful)
                #expect(received.direction == "receive")
                #expect(received.pages == 2)
                #expect(received.identity == "+12029999999")
                #expect(received.remoteIdentity == "+12015550105")
                #expect(received.document?.hasPrefix("http") == true)
                #expect(received.event?.name == "finished")
                #expect(received.event?.payload["params"]?["pages"]?.intValue == 2)
                #expect(tally.count(.faxPage) == 2)
                #expect(tally.count(.faxFinished) == 1)
                #expect(tally.states(.faxStateChange) == ["page", "page", "finished"])

                let human = try await answeredCall(client)
                let refused = try await human.faxSend(document: "https://example.com/fax.pdf")
                #expect(!refused.successful)
                #expect(refused.event?.name == "finished")
                #expect(refused.direction == nil, "fields are copied only on success")
                #expect(refused.pages == nil)
                #expect(refused.identity == nil)
                #expect(refused.remoteIdentity == nil)
                #expect(refused.document == nil)
            }
        }
    }

    @Test func detectEventsAndResultFields() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let keypad = try await answeredCall(client, to: "+12015550106")
                let keypadTally = EventTally(keypad)
                let digit = try await keypad.detectDigit(timeout: 10)
                #expect(digit.successful)
                #expect(digit.type == "digit")
                #expect(digit.result == "1")
                #expect(digit.event?.name == "1")
                #expect(digit.event?.payload["type"]?.stringValue == "digit")
                #expect(keypadTally.count(.detectUpdate) >= 1)

                let machine = try await answeredCall(client, to: "+12015550104")
                let tally = EventTally(machine)
                let action = try await machine.detectAsync(.machine(), timeout: 8)
                let result = try await action.wait()
                #expect(result.successful)
                #expect(result.type == "machine")
                #expect(result.result == "MACHINE,NOT_READY,READY")
                #expect(result.event?.name == "finished")
                #expect(action.state == "finished")
                #expect(action.completed)
                #expect(tally.count(.detectUpdate) == 3)
                #expect(tally.count(.detectFinished) == 1)
                #expect(tally.events(.detectUpdate).first?.payload["params"]?["event"]?.stringValue == "MACHINE")

                let fax = try await answeredCall(client, to: "+12015550105")
                let tone = try await fax.detectFax(tone: "CED", timeout: 10)
                #expect(tone.type == "fax")
                #expect(tone.result == "CED")
            }
        }
    }

    @Test func connectEventsResultAndAction() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client)
                let tally = EventTally(call)
                let action = try await call.connectAsync([[.phone(to: "+12015550100", timeout: 5)]])
                #expect(action.controlID == call.tag)
                #expect(action.payload == (await sentCommands(server, method: RelayMethod.connect).last))
                let result = try await action.wait()
                #expect(result.successful)
                #expect(result.event?.name == "connected")
                #expect(result.event?.payload["connect_state"]?.stringValue == "connected")
                #expect(result.call?.to == "+12015550100")
                #expect(action.result.call === result.call)
                #expect(action.state == "connected")
                #expect(action.completed)
                #expect(call.peer === result.call)
                #expect(tally.count(.connectConnecting) >= 1)
                #expect(tally.count(.connectConnected) == 1)

                let disconnect = try await call.disconnect()
                #expect(disconnect.successful)
                #expect(disconnect.event?.name == "disconnected")
                #expect(tally.count(.connectDisconnected) == 1)
                #expect(call.peer == nil)

                let failed = try await call.connect(series: [.phone(to: "+12015550101", timeout: 5)])
                #expect(!failed.successful)
                #expect(tally.count(.connectFailed) == 1)
                #expect(tally.states(.connectStateChange).last == "failed")
            }
        }
    }

    @Test func actionsExposeControlIDPayloadStateAndResult() async throws {
        try await withRelayServer(speed: 50) { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client, to: "+12015550106")

                let play = try await call.playAsync([.silence(duration: 1)], volume: 2)
                let sentPlay = await sentCommands(server, method: RelayMethod.play).last
                #expect(play.controlID == sentPlay?["control_id"]?.stringValue)
                #expect(play.payload == sentPlay)
                let played = try await play.wait()
                #expect(played.successful)
                #expect(play.completed)
                #expect(play.state == "finished")
                #expect(play.result.successful)
                #expect(play.result.event?.name == "finished")

                let prompt = try await call.promptAsync(.digits(max: 8, terminators: "#"), media: [.tts(text: "PIN?")])
                let sentPrompt = await sentCommands(server, method: RelayMethod.playAndCollect).last
                #expect(prompt.controlID == sentPrompt?["control_id"]?.stringValue)
                #expect(prompt.payload == sentPrompt)
                _ = try await prompt.wait()
                #expect(prompt.completed)
                #expect(prompt.state == "successful")
                #expect(prompt.result.result == "1234")

                let record = try await call.recordAsync(endSilenceTimeout: 1)
                let sentRecord = await sentCommands(server, method: RelayMethod.record).last
                #expect(record.controlID == sentRecord?["control_id"]?.stringValue)
                #expect(record.payload == sentRecord)
                let recordURL = record.url
                #expect(recordURL?.hasPrefix("http") == true)
                let recorded = try await record.wait()
                #expect(record.state == "finished")
                #expect(record.completed)
                #expect(recorded.url == recordURL, "the url known from the reply is where the recording ends up")
                #expect(record.result.size == recorded.size)

                let digits = try await call.sendDigitsAsync("5")
                let sentDigits = await sentCommands(server, method: RelayMethod.sendDigits).last
                #expect(digits.controlID == sentDigits?["control_id"]?.stringValue)
                #expect(digits.payload == sentDigits)
                _ = try await digits.wait()
                #expect(digits.state == "finished")
                #expect(digits.completed)
                #expect(digits.result.successful)

                let tapDevice = TapDevice.rtp(address: "127.0.0.1", port: 9, codec: "PCMU")
                let tap = try await call.tapAsync(direction: "both", device: tapDevice)
                let sentTap = await sentCommands(server, method: RelayMethod.tap).last
                #expect(tap.controlID == sentTap?["control_id"]?.stringValue)
                #expect(tap.payload == sentTap)
                #expect(tap.sourceDevice["type"]?.stringValue != nil)
                _ = await tap.stop()
                let tapped = try await tap.wait()
                #expect(tap.state == "finished")
                #expect(tap.completed)
                #expect(tapped.successful)
                #expect(tapped.event?.name == "finished")
                #expect(tapped.tap == sentTap?["tap"])
                #expect(tapped.destinationDevice == tapDevice.json)
                #expect(tapped.sourceDevice == tap.sourceDevice)
                #expect(tapped.sourceDevice["params"] != nil)

                let detect = try await call.detectDigitAsync(digits: "12", timeout: 5)
                let sentDetect = await sentCommands(server, method: RelayMethod.detect).last
                #expect(detect.controlID == sentDetect?["control_id"]?.stringValue)
                #expect(detect.payload == sentDetect)
                _ = try await detect.wait()
                #expect(detect.completed)
                #expect(detect.state == "finished")
                #expect(detect.result.result == "1,2")

                let fax = try await call.faxReceiveAsync()
                let sentFax = await sentCommands(server, method: RelayMethod.receiveFax).last
                #expect(fax.controlID == sentFax?["control_id"]?.stringValue)
                #expect(fax.payload == sentFax)
                // The receive may already have ended on a loaded machine; stop is then refused.
                _ = await fax.stop()
                _ = try await fax.wait()
                #expect(fax.completed)
                #expect(["finished", "error"].contains(fax.state))
                #expect(!fax.result.successful)

                _ = try await call.hangup()
                let late = try await call.playAsync([.silence(duration: 1)])
                #expect(late.state == "failed", "an action on an ended call fails without sending")
                #expect(late.completed)
                #expect(!late.result.successful)
                #expect(late.result.event == nil)
            }
        }
    }

    /// `fax.error` and `detect.error` are never produced by the simulated world, so a scripted
    /// peer plays Relay for them.
    @Test func errorEventsTheWorldCannotProduce() async throws {
        try await withScriptedPeer { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration())
            try await client.connect()
            let call = client.calling.newCall(from: "+12029999999", to: "+12028888888")
            async let dial = call.dial()
            #expect(await eventually { peer.received.contains { $0["params"]?["method"]?.stringValue == RelayMethod.begin } })
            try await peer.push(
                Self.broadcast(
                    RelayEventName.callState,
                    [
                        "call_id": "c1", "node_id": "n1", "tag": .string(call.tag), "call_state": "answered", "direction": "outbound",
                        "device": ["type": "phone", "params": ["from_number": "+12029999999", "to_number": "+12028888888"]],
                    ]))
            let answered = try await dial.successful
            #expect(answered)
            let tally = EventTally(call)

            let fax = try await call.faxSendAsync(document: "https://example.com/fax.pdf")
            try await peer.push(
                Self.broadcast(
                    RelayEventName.callFax,
                    ["call_id": "c1", "node_id": "n1", "control_id": .string(fax.controlID), "fax": ["type": "error", "params": ["description": "fax failed"]]]))
            let faxResult = try await fax.wait()
            #expect(!faxResult.successful)
            #expect(faxResult.event?.name == "error")
            #expect(fax.state == "error")
            #expect(tally.count(.faxError) == 1)
            #expect(tally.states(.faxStateChange) == ["error"])

            let detect = try await call.detectAsync(.machine())
            try await peer.push(
                Self.broadcast(
                    RelayEventName.callDetect,
                    ["call_id": "c1", "node_id": "n1", "control_id": .string(detect.controlID), "detect": ["type": "machine", "params": ["event": "error"]]]))
            let detectResult = try await detect.wait()
            #expect(!detectResult.successful)
            #expect(detectResult.event?.name == "error")
            #expect(tally.count(.detectError) == 1)
            await client.disconnect()
        }
    }

    static func broadcast(_ eventType: String, _ params: JSONValue) -> String {
        let frame: JSONValue = [
            "jsonrpc": "2.0", "id": .string(UUID().uuidString), "method": "blade.broadcast",
            "params": [
                "protocol": "signalwire_scripted_protocol", "event": "queuing.relay.events",
                "params": ["event_type": .string(eventType), "params": params],
            ],
        ]
        return frame.jsonString
    }

    // MARK: Inbound calls

    @Test func inboundCallFramesMatchPython() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let (calls, inbox) = AsyncStream.makeStream(of: Call.self)
                try await client.calling.receive(contexts: ["home", "office"]) { inbox.yield($0) }
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.receive).first,
                    try Golden.command("consumer_incoming_call", method: RelayMethod.receive), "signalwire.receive")
                // Contexts already registered are not sent again.
                try await client.messaging.receive(contexts: ["office"]) { _ in }
                #expect(await sentCommands(server, method: RelayMethod.receive).count == 1)

                let injected = try await server.injectCall(from: "+12027777777", to: "+12028888888", context: "office", ringTimeout: 3600)
                var iterator = calls.makeAsyncIterator()
                let call = try #require(await iterator.next())
                #expect(call.id == injected.id)
                #expect(call.nodeID == injected.nodeID)
                #expect(call.from == "+12027777777")
                #expect(call.to == "+12028888888")
                #expect(call.context == "office")
                #expect(call.direction == "inbound")
                #expect(call.state != nil)
                let answer = try await call.answer()
                #expect(answer.successful)
                #expect(answer.event?.name == "answered")
                #expect(answer.event?.payload["call_state"]?.stringValue == "answered")
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.answer).first,
                    try Golden.command("consumer_incoming_call", method: RelayMethod.answer), "calling.answer")
                // An inbound call's devices default to the caller's number, as Python.
                let connect = try await call.connect([[.phone(to: "+12025550100")]])
                #expect(connect.successful)
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.connect).first,
                    try Golden.command("consumer_incoming_call_connect", method: RelayMethod.connect), "calling.connect from an inbound call")
                let hangup = try await call.hangup()
                #expect(hangup.successful)
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.end).first,
                    try Golden.command("consumer_incoming_call", method: RelayMethod.end), "calling.end")
            }
        }
    }

    // MARK: Messaging

    @Test func messagingReceiveAndStateChangeOnABareClient() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let (inbound, inbox) = AsyncStream.makeStream(of: Message.self)
                try await client.messaging.receive(contexts: ["office"]) { inbox.yield($0) }
                let states = Mutex<[Message]>([])
                try await client.messaging.onStateChange(contexts: ["office"]) { message in states.withLock { $0.append(message) } }

                let record = try await server.injectMessage(
                    from: "+12027777777", to: "+12028888888", context: "office", body: "Hello inbound", media: ["https://example.com/a.png"], tags: ["t1"])
                var iterator = inbound.makeAsyncIterator()
                let message = try #require(await iterator.next())
                #expect(message.id == record.id)
                #expect(message.context == "office")
                #expect(message.from == "+12027777777")
                #expect(message.to == "+12028888888")
                #expect(message.direction == "inbound")
                #expect(message.state == "received")
                #expect(message.state == .received && message.state.rawValue == "received")
                #expect(message.body == "Hello inbound")
                #expect(message.media == ["https://example.com/a.png"])
                #expect(message.tags.contains("t1"), "the tags sent with the message (Relay adds its own)")
                #expect(message.segments == 1)
                #expect(message.reason == nil)
                _ = try await server.injectMessage(from: "+12027777777", to: "+12028888888", context: "office", body: String(repeating: "a", count: 200))
                let long = try #require(await iterator.next())
                #expect(long.segments == 2, "200 GSM characters take two segments")

                let delivered = try await client.messaging.send(context: "office", from: "+12029999999", to: "+12015550100", body: "ok")
                #expect(await eventually { states.withLock { $0 }.contains { $0.id == delivered.messageID && $0.state == "delivered" } })
                let deliveredStates = states.withLock { $0 }.filter { $0.id == delivered.messageID }
                #expect(deliveredStates.map(\.state) == [.queued, .initiated, .sent, .delivered])
                #expect(deliveredStates.allSatisfy { $0.direction == "outbound" && $0.reason == nil && $0.body == "ok" })

                for (number, final) in [("+12015550110", MessageState.undelivered), ("+12015550111", MessageState.failed)] {
                    let sent = try await client.messaging.send(context: "office", from: "+12029999999", to: number, body: "x")
                    #expect(sent.successful)
                    #expect(await eventually { states.withLock { $0 }.contains { $0.id == sent.messageID && $0.state == final } })
                    let last = states.withLock { $0 }.last { $0.id == sent.messageID }
                    #expect(last?.state == final)
                    #expect(last?.reason?.isEmpty == false, "\(final.rawValue) carries a reason")
                }
            }
        }
    }

    @Test func messagingSendFailureAndFrame() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                _ = try await client.messaging.send(context: "office", from: "+1000", to: "+12028888888", body: "Hi")
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.messagingSend).first,
                    try Golden.command("messaging_send_failure", method: RelayMethod.messagingSend), "messaging.send")
                let refused = try await client.messaging.send(context: "office", from: "+12029999999", to: "+12028888888")
                #expect(!refused.successful, "no body and no media: Relay answers 400")
                #expect(refused.messageID == nil)
                let sent = await sentCommands(server, method: RelayMethod.messagingSend).last
                #expect(sent?["body"] == nil)
                #expect(sent?["media"] == nil)
                #expect(sent?["tags"] == nil)
            }
        }
    }

    @Test func numericResultCodeIsAFailure() async throws {
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue else { return nil }
            return [BladeFrame.result(id: id, result: ["result": ["code": .int(200), "message": "Message accepted", "message_id": "m1"]]).json.jsonString]
        }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration())
            try await client.connect()
            let sent = try await client.messaging.send(context: "office", from: "+12029999999", to: "+12028888888", body: "Hi")
            #expect(!sent.successful, "a numeric 200 is not \"200\" (quirk_numeric_result_code)")
            #expect(sent.messageID == nil)
            let frame = peer.received.last { $0["params"]?["method"]?.stringValue == RelayMethod.messagingSend }?["params"]?["params"]
            Golden.expectMatch(frame, try Golden.command("quirk_numeric_result_code", method: RelayMethod.messagingSend), "messaging.send")
            await client.disconnect()
        }
    }

    // MARK: Tasks and consumers

    @Test func taskingReceiveAndTaskDelivery() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let received = Mutex<[JSONValue]>([])
                try await client.tasking.receive(contexts: ["office"]) { message in received.withLock { $0.append(message) } }
                let task = RelayTask(project: RelayProject.default.id, token: RelayProject.default.token, host: server.httpURL ?? "")
                let message: JSONValue = ["key": "value", "data": "random stuff"]
                let delivered = try await task.deliver(context: "office", message: message)
                #expect(delivered)
                #expect(await eventually { received.withLock { $0 } == [message] })
                let record = try #require(await server.tasks().last)
                let golden = try Golden.scenario("task_deliver")["http_requests"]?.arrayValue?.first?["json"]
                let ours: JSONValue = ["context": .string(record.context), "message": record.message]
                #expect(ours == golden, "the POST body Python sent")
                let nobody = try await task.deliver(context: "nobody-listens", message: message)
                #expect(!nobody, "no consumer on the context: not 204")
            }
        }
    }

    @Test func consumerRunFailsAtOnceAndReceivesItsContexts() async throws {
        struct NoContexts: Consumer {
            var project: String? { "p" }
            var token: String? { "t" }
            var contexts: [String] { [] }
        }
        await #expect(throws: RelayError.missingConfiguration("contexts (at least one)")) { try await NoContexts().run() }
        try await withRelayServer { server in
            let consumer = RecordingConsumer(server: server, contexts: ["home", "office"])
            try await withConsumer(consumer) {
                #expect(await eventually { consumer.entries.contains("ready") })
                Golden.expectMatch(
                    await sentCommands(server, method: RelayMethod.receive).first,
                    try Golden.command("session_consumer_connect", method: RelayMethod.receive), "consumer signalwire.receive")
                try await server.deliverTask(context: "home", message: ["job": "second-context"])
                #expect(await eventually { consumer.entries.contains("task second-context") })
            }
        }
    }
}

/// Records every call event a call's listeners hear, by name.
final class EventTally: Sendable {
    struct Entry: Sendable {
        let name: CallEventName
        let event: CallEvent
    }

    private let seen = Mutex<[Entry]>([])

    init(_ call: Call) {
        for name in CallEventName.allCases {
            call.on(name) { [self] event in self.seen.withLock { $0.append(Entry(name: name, event: event)) } }
        }
    }

    func events(_ name: CallEventName) -> [CallEvent] { seen.withLock { $0 }.filter { $0.name == name }.map(\.event) }
    func count(_ name: CallEventName) -> Int { events(name).count }
    /// The `state` of each event heard under `name`, in order.
    func states(_ name: CallEventName) -> [String] { events(name).map { $0.state ?? "?" } }
}
