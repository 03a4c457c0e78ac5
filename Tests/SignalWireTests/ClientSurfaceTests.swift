import Foundation
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

/// Client API that only scripted peers or frame comparisons exercised before (issue 12), now
/// against the local server: each completes with its events, and the frames it sent are checked.
@Suite("Client API against the local server", .timeLimit(.minutes(3)))
struct ClientSurfaceTests {
    @Test func disconnectOffAndSocketEvents() async throws {
        try await withRelayServer { server in
            let client = try RelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(), logger: quietLogger)
            let seen = Mutex<[String]>([])
            client.on(.socketClose) { _ in seen.withLock { $0.append("removed-all") } }
            client.on(.socketClose) { _ in seen.withLock { $0.append("removed-all-2") } }
            client.off(.socketClose)  // every listener of the event
            let one = client.on(.socketMessage) { _ in seen.withLock { $0.append("removed-one") } }
            client.off(.socketMessage, one)
            client.on(.socketOpen) { _ in seen.withLock { $0.append("open") } }
            client.on(.socketMessage) { _ in seen.withLock { if !$0.contains("message") { $0.append("message") } } }
            client.on(.socketClose) { _ in seen.withLock { $0.append("close") } }
            try await client.connect()
            #expect(await server.sessions().map(\.connected) == [true])
            await client.disconnect()
            #expect(!client.connected)
            #expect(await eventually { await server.sessions().map(\.connected) == [false] }, "the server sees the socket close")
            #expect(await eventually { seen.withLock { $0 } == ["open", "message", "close"] })
            await #expect(throws: RelayError.self) { _ = try await client.execute(RelayMethod.answer, params: ["call_id": "c", "node_id": "n"]) }
            // The frames the server journaled: the handshake, nothing after the disconnect.
            let methods = await sentFrames(server).compactMap { $0["method"]?.stringValue }
            #expect(methods.prefix(3) == [BladeMethod.connect, BladeMethod.execute, BladeMethod.subscription])
            #expect(await sentCommands(server, method: RelayMethod.answer).isEmpty)
        }
    }

    @Test func blockingTapReturnsWhenTheCallEnds() async throws {
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { testServer in
            let server = testServer.server
            try await withClient(server) { client in
                let call = try await answeredOnManualClock(server, client, to: "+12015550108")  // hangs up 2 s after answering
                let tally = EventTally(call)
                async let tapped = call.tap(direction: "listen", device: .rtp(address: "198.51.100.7", port: 4000, codec: "PCMA", ptime: 30))
                #expect(await eventually { tally.count(.tapTapping) == 1 })
                await server.advanceClock(by: 2)
                let result = try await tapped
                #expect(result.successful)
                #expect(result.event?.name == "finished")
                #expect(result.sourceDevice["params"]?["codec"] == "PCMA")
                #expect(result.destinationDevice?["params"]?["addr"] == "198.51.100.7")
                #expect(await eventually { call.ended }, "the hangup that ended the tap ends the call")
                let sent = try #require(await sentCommands(server, method: RelayMethod.tap).last)
                #expect(sent["tap"] == ["type": "audio", "params": ["direction": "listen"]])
                #expect(sent["device"] == ["type": "rtp", "params": ["addr": "198.51.100.7", "port": 4000, "codec": "PCMA", "ptime": 30]])
            }
        }
    }

    @Test func asyncFormsCompleteWithTheirEvents() async throws {
        try await withRelayServer { server in
            try await withClient(server) { client in
                let call = try await answeredCall(client, to: "+12015550106")  // keys 1234# at every digits prompt
                let tally = EventTally(call)
                let audio = "https://cdn.example.com/hello.mp3?duration=1"
                let actions = [
                    try await call.playAudioAsync(url: audio), try await call.playSilenceAsync(duration: 0.5),
                    try await call.playRingtoneAsync(name: "fr", duration: 0.5),
                ]
                var played: [PlayResult] = []
                for action in actions { played.append(try await action.wait()) }
                #expect(played.allSatisfy { $0.successful })
                #expect(tally.count(.playFinished) == 3)
                let media = await sentCommands(server, method: RelayMethod.play).map { $0["play"] }
                #expect(media == [
                    [["type": "audio", "params": ["url": .string(audio)]]], [["type": "silence", "params": ["duration": 0.5]]],
                    [["type": "ringtone", "params": ["name": "fr", "duration": 0.5]]],
                ])

                let pin = try await call.promptAudioAsync(.digits(max: 5, terminators: "#"), url: audio).wait()
                #expect(pin.successful && pin.result == "1234" && pin.terminator == "#")
                let one = try await call.promptRingtoneAsync(.digits(max: 1), name: "de", duration: 0.5).wait()
                #expect(one.successful && one.result == "1")
                #expect(tally.count(.prompt) == 2)
                let prompts = await sentCommands(server, method: RelayMethod.playAndCollect)
                #expect(prompts.map { $0["play"] } == [
                    [["type": "audio", "params": ["url": .string(audio)]]], [["type": "ringtone", "params": ["name": "de", "duration": 0.5]]],
                ])
                #expect(prompts.first?["collect"]?["digits"] == ["max": 5, "terminators": "#"])

                let fax = try await answeredCall(client, to: "+12015550105")
                let faxTally = EventTally(fax)
                let sending = try await fax.faxSendAsync(document: "https://cdn.example.com/two.pdf?pages=2", identity: "+12029999999")
                let sent = try await sending.wait()
                #expect(sent.successful && sent.pages == 2 && sent.direction == "send")
                #expect(faxTally.count(.faxPage) == 2 && faxTally.count(.faxFinished) == 1)
                #expect(await sentCommands(server, method: RelayMethod.sendFax).last?["document"] == "https://cdn.example.com/two.pdf?pages=2")
                let tone = try await fax.detectFaxAsync(timeout: 5).wait()
                #expect(tone.successful)
                #expect(tone.result == "CED")
                #expect(faxTally.count(.detectUpdate) == 1 && faxTally.count(.detectFinished) == 1)
                #expect(await sentCommands(server, method: RelayMethod.detect).last?["detect"] == ["type": "fax", "params": [:]])
            }
        }
    }
}
