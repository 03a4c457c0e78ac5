import Foundation
import NIOCore
import NIOPosix
import RelayServer
import RelayTesting
import RelayWire
import Testing

/// Dials `to` and waits for `answered`; returns (call_id, node_id).
func dialAnswered(_ client: BladeTestClient, to: String = "+12015550100") async throws -> (String, String) {
    let tag = UUID().uuidString.lowercased()
    let begin = try await client.execute(
        "calling.begin", ["tag": .string(tag), "device": ["type": "phone", "params": ["from_number": "+12025550000", "to_number": .string(to)]]])
    #expect(begin["code"] == "200")
    let answered = try await client.event("calling.call.state") { $0["tag"]?.stringValue == tag && $0["call_state"] == "answered" }
    return (answered["call_id"]?.stringValue ?? "", answered["node_id"]?.stringValue ?? "")
}

func ids(_ call: (String, String), _ extra: [String: JSONValue] = [:]) -> JSONValue {
    var members = extra
    members["call_id"] = .string(call.0)
    members["node_id"] = .string(call.1)
    return .object(members)
}

@Suite("Call engine", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct CallTests {
    @Test func outboundCallStatesPlayAndHangup() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let tag = "tag-1"
            _ = try await client.execute(
                "calling.begin", ["tag": .string(tag), "device": ["type": "phone", "params": ["from_number": "+12025550000", "to_number": "+12015550100"]]])
            var states: [String] = []
            for _ in 0..<3 {
                let state = try await client.event("calling.call.state") { $0["tag"] == "tag-1" }
                states.append(state["call_state"]?.stringValue ?? "")
                #expect(state["direction"] == "outbound")
                #expect(state[path: "device", "params", "to_number"] == "+12015550100")
            }
            #expect(states == ["created", "ringing", "answered"])
            let callID = try #require(await server.calls().last?.id)
            let call = (callID, await server.calls().last?.nodeID ?? "")

            let play = try await client.execute("calling.play", ids(call, ["control_id": "p1", "play": [["type": "tts", "params": ["text": "Hello there"]]]]))
            #expect(play["code"] == "200")
            let playing = try await client.event("calling.call.play") { $0["control_id"] == "p1" }
            #expect(playing["state"] == "playing")
            let finished = try await client.event("calling.call.play") { $0["control_id"] == "p1" }
            #expect(finished["state"] == "finished")

            let bad = try await client.execute("calling.play", ids(call, ["control_id": "p2", "play": [["type": "", "params": ["text": "x"]]]]))
            #expect(bad["code"] == "400")

            _ = try await client.execute("calling.end", ids(call, ["reason": "hangup"]))
            let ending = try await client.event("calling.call.state") { $0["tag"] == "tag-1" }
            let ended = try await client.event("calling.call.state") { $0["tag"] == "tag-1" }
            #expect(ending["call_state"] == "ending" && ending["end_reason"] == "hangup")
            #expect(ended["call_state"] == "ended" && ended["end_reason"] == "hangup")
            let afterEnd = try await client.execute("calling.play", ids(call, ["control_id": "p3", "play": [["type": "silence", "params": ["duration": 1.0]]]]))
            #expect(afterEnd["code"] == "410")
            let timeline = await server.timeline(callID: callID)
            #expect(timeline.contains { $0.text.contains("Hello there") })
            await client.close()
        }
    }

    @Test func busyAndFailingNumbers() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            for (number, reason) in [("+12015550101", "busy"), ("+12015550103", "error")] {
                _ = try await client.execute(
                    "calling.begin", ["tag": .string(number), "device": ["type": "phone", "params": ["from_number": "+1", "to_number": .string(number)]]])
                let ended = try await client.event("calling.call.state") { $0["tag"]?.stringValue == number && $0["call_state"] == "ended" }
                #expect(ended["end_reason"]?.stringValue == reason)
            }
            await client.close()
        }
    }

    @Test func connectSerialAnnouncesPeerBeforeConnected() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client)
            let devices: JSONValue = [
                [["type": "phone", "params": ["from_number": "+1", "to_number": "+12015550101", "timeout": 5]]],
                [["type": "phone", "params": ["from_number": "+1", "to_number": "+12015550103"]]],
                [["type": "phone", "params": ["from_number": "+1", "to_number": "+12015550100"]]],
                [["type": "phone", "params": ["from_number": "+1", "to_number": "+12015550108"]]],
            ]
            let result = try await client.execute("calling.connect", ids(call, ["devices": devices]))
            #expect(result["code"] == "200")
            let connecting = try await client.event("calling.call.connect")
            #expect(connecting["connect_state"] == "connecting")
            let connected = try await client.event("calling.call.connect", timeout: 10)
            #expect(connected["connect_state"] == "connected")
            let peerID = try #require(connected[path: "peer", "call_id"]?.stringValue)
            #expect(connected[path: "peer", "device", "params", "to_number"] == "+12015550100")
            // The winning leg was announced with `peer` before `connected`.
            let frames = await client.rawTexts
            let legIndex = try #require(frames.firstIndex { $0.contains(peerID) && $0.contains("\"peer\"") && $0.contains("calling.call.state") })
            let connectedIndex = try #require(frames.firstIndex { $0.contains("\"connected\"") })
            #expect(legIndex < connectedIndex)
            let parent = try #require(await server.call(call.0))
            #expect(!parent.json.jsonString.contains("+12015550108"))
            _ = try await client.execute("calling.disconnect", ids(call))
            let disconnected = try await client.event("calling.call.connect")
            #expect(disconnected["connect_state"] == "disconnected")
            await client.close()
        }
    }

    @Test func promptCollectsDigitsAndSpeech() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client, to: "+12015550106")
            _ = try await client.execute(
                "calling.play_and_collect",
                ids(call, ["control_id": "c1", "play": [["type": "tts", "params": ["text": "PIN?"]]], "collect": ["digits": ["max": 6, "terminators": "#"]]]))
            let collect = try await client.event("calling.call.collect")
            #expect(collect["result"] == ["type": "digit", "params": ["digits": "1234", "terminator": "#"]])

            let speaker = try await dialAnswered(client, to: "+12015550107")
            _ = try await client.execute(
                "calling.play_and_collect",
                ids(speaker, ["control_id": "c2", "play": [["type": "tts", "params": ["text": "Say yes"]]], "collect": ["speech": [:]]]))
            let speech = try await client.event("calling.call.collect") { $0["control_id"] == "c2" }
            #expect(speech[path: "result", "type"] == "speech")
            #expect(speech[path: "result", "params", "text"] == "yes")

            let bad = try await client.execute("calling.send_digits", ids(call, ["control_id": "d1", "digits": "12x"]))
            #expect(bad["code"] == "400")
            #expect(bad["message"]?.stringValue?.contains("12x") == true)
            let good = try await client.execute("calling.send_digits", ids(call, ["control_id": "d2", "digits": "1w2#"]))
            #expect(good["code"] == "200")
            let sent = try await client.event("calling.call.send_digits")
            #expect(sent["state"] == "finished")
            await client.close()
        }
    }

    @Test func recordServesARealWAV() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client)
            let result = try await client.execute("calling.record", ids(call, ["control_id": "r1", "record": ["audio": ["format": "wav"]]]))
            let url = try #require(result["url"]?.stringValue)
            let recording = try await client.event("calling.call.record")
            #expect(recording["state"] == "recording")
            _ = try await client.execute("calling.record.stop", ids(call, ["control_id": "r1"]))
            let finished = try await client.event("calling.call.record")
            #expect(finished["state"] == "finished")
            #expect(finished["url"]?.stringValue == url)
            let size = try #require(finished["size"]?.intValue)
            let (status, data) = try await TestHTTP.request("GET", url)
            #expect(status == 200)
            #expect(data.count == size)
            #expect(String(decoding: data.prefix(4), as: UTF8.self) == "RIFF")
            await client.close()
        }
    }

    @Test func detectAnsweringMachine() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client, to: "+12015550104")
            _ = try await client.execute("calling.detect", ids(call, ["control_id": "m1", "detect": ["type": "machine", "params": [:]], "timeout": 10]))
            var events: [String] = []
            while events.last != "finished" {
                let event = try await client.event("calling.call.detect")
                events.append(event[path: "detect", "params", "event"]?.stringValue ?? "?")
            }
            #expect(events == ["MACHINE", "NOT_READY", "READY", "finished"])
            await client.close()
        }
    }

    @Test func faxSendToFaxMachine() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client, to: "+12015550105")
            _ = try await client.execute("calling.send_fax", ids(call, ["control_id": "f1", "document": "https://example.com/doc.pdf?pages=2"]))
            let page1 = try await client.event("calling.call.fax")
            let page2 = try await client.event("calling.call.fax")
            let done = try await client.event("calling.call.fax")
            #expect(page1[path: "fax", "type"] == "page" && page2[path: "fax", "type"] == "page")
            #expect(done[path: "fax", "type"] == "finished")
            #expect(done[path: "fax", "params", "success"] == true)
            #expect(done[path: "fax", "params", "pages"] == 2)
            await client.close()
        }
    }

    @Test func rtpTapSendsPCMUToLoopback() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let packets = PacketCounter()
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.pipeline.addHandler(packets) }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(channel.localAddress?.port)
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client)
            let result = try await client.execute(
                "calling.tap",
                ids(call, [
                    "control_id": "t1", "tap": ["type": "audio", "params": ["direction": "both"]],
                    "device": ["type": "rtp", "params": ["addr": "127.0.0.1", "port": .int(port), "codec": "PCMU", "ptime": 20]],
                ]))
            #expect(result[path: "source_device", "type"] == "rtp")
            let tapping = try await client.event("calling.call.tap")
            #expect(tapping["state"] == "tapping")
            // Until at least five packets arrived (bounded), however busy the machine is.
            let deadline = ContinuousClock.now + .seconds(10)
            while packets.count < 5, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            _ = try await client.execute("calling.tap.stop", ids(call, ["control_id": "t1"]))
            let finished = try await client.event("calling.call.tap")
            #expect(finished["state"] == "finished")
            #expect(packets.count >= 5)
            #expect(packets.firstPayloadType == 0)
            try await channel.close()
            await client.close()
        }
    }
}

extension CallTests {
    @Test func rtpTapHonoursCodecRateAndPtime() async throws {
        try await withRelayTestServer(speed: 100) { server in
            let packets = PacketCounter()
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.pipeline.addHandler(packets) }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(channel.localAddress?.port)
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let call = try await dialAnswered(client)
            let result = try await client.execute(
                "calling.tap",
                ids(call, [
                    "control_id": "t1", "tap": ["type": "audio", "params": ["direction": "both"]],
                    "device": ["type": "rtp", "params": ["addr": "127.0.0.1", "port": .int(port), "codec": "PCMA", "rate": 16000, "ptime": 10]],
                ]))
            #expect(result[path: "source_device", "params", "codec"] == "PCMA")
            #expect(result[path: "source_device", "params", "rate"] == 16000)
            _ = try await client.event("calling.call.tap")
            let deadline = ContinuousClock.now + .seconds(10)
            while packets.count < 4, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            _ = try await client.execute("calling.tap.stop", ids(call, ["control_id": "t1"]))
            _ = try await client.event("calling.call.tap")
            #expect(packets.firstPayloadType == 8, "PCMA is RTP payload type 8")
            // 16 kHz × 10 ms = 160 samples a packet, one byte each.
            #expect(!packets.payloadSizes.isEmpty && packets.payloadSizes.allSatisfy { $0 == 160 })
            #expect(packets.timestampSteps.allSatisfy { $0 == 160 })
            try await channel.close()
            await client.close()
        }
    }
}

final class PacketCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let lock = NSLock()
    private var packets = 0
    private var payloadType: UInt8?
    private var sizes: [Int] = []
    private var timestamps: [UInt32] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        lock.lock()
        packets += 1
        if payloadType == nil, let byte: UInt8 = envelope.data.getInteger(at: envelope.data.readerIndex + 1) { payloadType = byte & 0x7F }
        if sizes.count < 8 {
            sizes.append(envelope.data.readableBytes - 12)
            if let stamp: UInt32 = envelope.data.getInteger(at: envelope.data.readerIndex + 4) { timestamps.append(stamp) }
        }
        lock.unlock()
    }

    /// Payload bytes of the first packets (after the 12-byte RTP header).
    var payloadSizes: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }
    /// RTP timestamp steps between the first packets.
    var timestampSteps: [UInt32] {
        lock.lock()
        defer { lock.unlock() }
        return zip(timestamps.dropFirst(), timestamps).map { $0 &- $1 }
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return packets }
    var firstPayloadType: UInt8? { lock.lock(); defer { lock.unlock() }; return payloadType }
}
