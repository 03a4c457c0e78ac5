import Foundation
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

/// Runs `body` with a local server on the manual clock and a client of `generation` connected to it.
func withRelayTestServer<T: Sendable>(
    _ generation: WireGeneration, world: SimulatedWorld = .standard, _ body: @Sendable (RelayTestServer, RelayClient) async throws -> T
) async throws -> T {
    try await withRelayTestServer(world: world, configure: { $0.clockMode = .manual }) { testServer in
        try await withClient(testServer.server, configuration: testConfiguration(generation)) { client in
            try await body(testServer, client)
        }
    }
}

/// Multi-device dial, SIP and WebRTC devices, pass and refer against the local server.
@Suite("Dial with devices, pass and refer", .timeLimit(.minutes(3)))
struct DialDevicesTests {
    static let bot = "+15550009999"

    /// Waits until the server has `count` calls, then returns them oldest first.
    static func calls(_ server: RelayTestServer, count: Int) async throws -> [CallSnapshot] {
        try await server.poll(what: "\(count) calls") {
            let calls = await server.calls()
            return calls.count >= count ? calls : nil
        }
    }

    @Test("parallel dial: the first to answer wins, the others are cancelled and reported", arguments: bothGenerations)
    func parallelWinner(generation: WireGeneration) async throws {
        var world = SimulatedWorld.standard
        world.numbers["+15550000002"] = PartyBehavior(answer: .afterRings(3))
        world.numbers["+15550000003"] = PartyBehavior(answer: .never)
        try await withRelayTestServer(generation, world: world) { server, client in
            async let dialing = client.calling.dial(devices: [[
                .phone(to: "+15550000001", from: Self.bot), .phone(to: "+15550000002", from: Self.bot), .phone(to: "+15550000003", from: Self.bot),
            ]])
            _ = try await Self.calls(server, count: 3)
            await server.advanceClock(by: 2)  // +15550000001 answers after one ring
            let result = try await dialing
            #expect(result.successful)
            #expect(result.event?.name == "answered")
            let call = try #require(result.call)
            #expect(call.state == .answered)
            #expect(call.to == "+15550000001")
            #expect(call.direction == .outbound)
            #expect(result.legs.count == 3)
            #expect(result.legs.filter(\.winner).map(\.callID) == [call.id ?? ""])
            #expect(result.losers.map(\.device.to) == ["+15550000002", "+15550000003"])
            #expect(result.losers.allSatisfy { $0.endReason == .cancel && $0.state == .ended })
            // The server's view: the losers ended `cancel`, the winner is up, all under one tag.
            let snapshots = await server.calls()
            #expect(snapshots.filter { $0.endReason == "cancel" }.count == 2)
            #expect(Set(snapshots.compactMap(\.tag)).count == 1)
            // The client keeps only the winner.
            #expect(client.calling.activeCalls.map(\.id) == [call.id])
            let frame = try #require(await sentCommands(server.server, method: "calling.dial").first)
            #expect(frame["devices"]?[0]?[2] == ["type": "phone", "params": ["from_number": .string(Self.bot), "to_number": "+15550000003"]])
            #expect(try await call.hangup().successful)
        }
    }

    @Test("serial dial: busy, then no answer at the device timeout, then the third group answers", arguments: bothGenerations)
    func serialFallback(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            async let dialing = client.calling.dial(devices: [
                [.phone(to: "+12015550101", from: Self.bot)], [.phone(to: "+12015550102", from: Self.bot, timeout: 5)], [.phone(to: "+12015550100", from: Self.bot)],
            ])
            _ = try await Self.calls(server, count: 1)
            await server.advanceClock(by: 9)  // busy at 2, no answer at 7, answered at 9
            let result = try await dialing
            #expect(result.successful)
            #expect(result.call?.to == "+12015550100")
            #expect(result.losers.map(\.endReason) == [.busy, .noAnswer])
            #expect(result.losers.map(\.device.timeout) == [nil, 5])
        }
    }

    @Test("every device fails: unsuccessful, no call, each leg with its cause", arguments: bothGenerations)
    func allFail(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            async let dialing = client.calling.dial(devices: [[.phone(to: "+12015550101", from: Self.bot)], [.phone(to: "+12015550103", from: Self.bot)]])
            _ = try await Self.calls(server, count: 1)
            await server.advanceClock(by: 3)
            let result = try await dialing
            #expect(!result.successful)
            #expect(result.call == nil)
            #expect(result.event?.name == "failed")
            #expect(result.legs.map(\.endReason) == [.busy, .error])
            #expect(client.calling.activeCalls.isEmpty)
        }
    }

    @Test("a refused dial (bad device) is unsuccessful with nothing created", arguments: bothGenerations)
    func refused(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            let result = try await client.calling.dial(devices: [[CallDevice(callType: "fax", to: "+15550000001")]])
            #expect(!result.successful)
            #expect(result.event == nil)
            #expect(await server.calls().isEmpty)
        }
    }

    @Test("a SIP device reaches the server with its headers, codecs and media flag; its URI behaves like a number", arguments: bothGenerations)
    func sipDevice(generation: WireGeneration) async throws {
        var world = SimulatedWorld.standard
        world.numbers["sip:busy@example.test"] = PartyBehavior(answer: .busy)
        try await withRelayTestServer(generation, world: world) { server, client in
            let headers = [SIPHeader(name: "X-Account", value: "42"), SIPHeader(name: "X-Campaign", value: "spring")]
            async let dialing = client.calling.dial(devices: [
                [.sip(to: "sip:busy@example.test;transport=tls", from: "sip:bot@example.test")],
                [.sip(to: "sip:alice@example.test", from: "sip:bot@example.test", fromName: "Bot", headers: headers, codecs: ["PCMU", "OPUS"], webrtcMedia: true)],
            ])
            _ = try await Self.calls(server, count: 1)
            await server.advanceClock(by: 4)
            let result = try await dialing
            #expect(result.successful)
            #expect(result.losers.map(\.endReason) == [.busy])
            let call = try #require(result.call)
            #expect(call.callType == "sip")
            #expect(call.to == "sip:alice@example.test")
            #expect(result.legs.last?.device == .sip(to: "sip:alice@example.test", from: "sip:bot@example.test", fromName: "Bot", headers: headers, codecs: ["PCMU", "OPUS"], webrtcMedia: true))
            // What the server holds for the leg: the device as sent.
            let snapshot = try #require(await server.call(call.id ?? ""))
            #expect(snapshot.to == "sip:alice@example.test")
            #expect(snapshot.from == "sip:bot@example.test")
            #expect(
                snapshot.device == [
                    "type": "sip",
                    "params": [
                        "from": "sip:bot@example.test", "to": "sip:alice@example.test", "from_name": "Bot",
                        "headers": [["name": "X-Account", "value": "42"], ["name": "X-Campaign", "value": "spring"]], "codecs": ["PCMU", "OPUS"],
                        "webrtc_media": true,
                    ],
                ])
        }
    }

    @Test("a WebRTC device is dialled by address", arguments: bothGenerations)
    func webrtcDevice(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            async let dialing = client.calling.dial(
                devices: [[.webrtc(to: "agent-7", from: "sip:bot@example.test", timeout: 15, codecs: ["OPUS"])]], maxDuration: 5, region: "us-east")
            _ = try await Self.calls(server, count: 1)
            await server.advanceClock(by: 2)
            let result = try await dialing
            let call = try #require(result.call)
            #expect(call.callType == "webrtc")
            #expect(call.to == "agent-7")
            let snapshot = try #require(await server.call(call.id ?? ""))
            #expect(snapshot.device == ["type": "webrtc", "params": ["from": "sip:bot@example.test", "to": "agent-7", "timeout": 15, "codecs": ["OPUS"]]])
            let frame = try #require(await sentCommands(server.server, method: "calling.dial").first)
            #expect(frame["max_duration"] == 5)
            #expect(frame["region"] == "us-east")
            // max_duration: 5 minutes after the answer the call ends.
            await server.advanceClock(by: 300)
            #expect(try await call.waitForEnded())
            #expect(call.endReason == "max_duration")
        }
    }

    /// The params of the first `method` request of a captured v3 scenario.
    static func captured(_ scenario: String, _ method: String) throws -> JSONValue {
        let data = try Data(contentsOf: Golden.fixtures.appendingPathComponent("captured-v3/\(scenario).json"))
        let frames = try JSONCodec.parse([UInt8](data))["frames"]?.arrayValue ?? []
        let frame = frames.first { $0["dir"]?.stringValue == "client->server" && $0["json"]?["method"]?.stringValue == method }
        guard let params = frame?["json"]?["params"] else { throw GoldenError("captured-v3/\(scenario) has no \(method)") }
        return params
    }
    /// Ids and the tag differ per run; every other member must match exactly.
    static func comparable(_ value: JSONValue) -> JSONValue {
        guard case .object(var members) = value else { return value }
        for key in ["tag", "node_id", "call_id"] where members[key] != nil { members[key] = "…" }
        return .object(members)
    }

    /// The calling payloads the official v3 client (signalwire-sdk 3.7.5) sent for the same
    /// requests: ours have the same members, nesting and JSON types (tag and ids aside),
    /// whichever envelope carries them.
    @Test("dial, SIP dial, refer and pass payloads match the official v3 client's", arguments: bothGenerations)
    func payloadsMatchTheV3Captures(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            let from = "+12025550199"
            async let serial = client.calling.dial(
                devices: [
                    [.phone(to: "+12025550001", from: from, timeout: 20)],
                    [.phone(to: "+12025550002", from: from, timeout: 30), .phone(to: "+12025550003", from: from, timeout: 30)],
                ], maxDuration: 10)
            _ = try await Self.calls(server, count: 1)
            await server.advanceClock(by: 2)
            let call = try #require(try await serial.call)
            let sip = CallDevice.sip(
                to: "sip:you@example.test", from: "sip:me@example.test", headers: [SIPHeader(name: "X-Foo", value: "bar")], codecs: ["PCMU", "OPUS"])
            async let sipDial = client.calling.dial(devices: [[sip]])
            _ = try await Self.calls(server, count: 2)
            await server.advanceClock(by: 2)
            #expect(try await sipDial.successful)
            let dials = await sentCommands(server.server, method: "calling.dial")
            #expect(dials.map(Self.comparable) == [Self.comparable(try Self.captured("dial_serial_parallel", "calling.dial")), Self.comparable(try Self.captured("dial_sip", "calling.dial"))])

            async let referring = call.refer(to: "sip:agent@example.test")
            _ = try await server.poll(what: "the refer") { await server.timeline(callID: call.id ?? "").contains { $0.kind == "refer" } ? true : nil }
            await server.advanceClock(by: 2)
            #expect(try await referring.successful)
            let refer = try #require(await sentCommands(server.server, method: "calling.refer").first)
            #expect(refer["device"] == (try Self.captured("call_v3_methods", "calling.refer"))["device"])

            let (offers, offered) = AsyncStream.makeStream(of: Call.self)
            try await client.calling.receive(contexts: ["office"]) { offered.yield($0) }
            _ = try await server.injectCall(context: "office")
            var iterator = offers.makeAsyncIterator()
            let inbound = try #require(await iterator.next())
            #expect(try await inbound.pass().successful)
            let pass = try #require(await sentCommands(server.server, method: "calling.pass").first)
            #expect(Self.comparable(pass) == Self.comparable(try Self.captured("inbound_call_pass", "calling.pass")))
        }
    }

    @Test("connect takes the same devices: a SIP device without from gets the call's", arguments: bothGenerations)
    func connectToSIPDevice(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            let call = try await Self.answered(server, client)
            async let connecting = call.connect([[.sip(to: "sip:desk@example.test", headers: [SIPHeader(name: "X-Queue", value: "sales")])]])
            _ = try await Self.calls(server, count: 2)
            await server.advanceClock(by: 2)
            let result = try await connecting
            #expect(result.successful)
            let leg = try #require(result.call)
            let snapshot = try #require(await server.call(leg.id ?? ""))
            #expect(snapshot.device == ["type": "sip", "params": ["from": .string(Self.bot), "to": "sip:desk@example.test", "headers": [["name": "X-Queue", "value": "sales"]]]])
            #expect(snapshot.parent == call.id)
        }
    }

    // MARK: - Pass

    /// Two clients receive `office`; each inbound call is announced on one stream with the
    /// name of the client that got it.
    @Test("pass hands a ringing call to the other consumer, which answers it", arguments: bothGenerations)
    func passToAnotherConsumer(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, first in
            try await withClient(server.server, configuration: testConfiguration(generation)) { second in
                let (offers, offered) = AsyncStream.makeStream(of: (String, Call).self)
                try await first.calling.receive(contexts: ["office"]) { offered.yield(("first", $0)) }
                try await second.calling.receive(contexts: ["office"]) { offered.yield(("second", $0)) }
                try await server.waitForConsumers(context: "office", count: 2)
                let callID = try await server.injectCall(context: "office")
                var iterator = offers.makeAsyncIterator()
                let (passer, offer) = try #require(await iterator.next())
                let result = try await offer.pass()
                #expect(result.successful)
                let passerClient = passer == "first" ? first : second
                #expect(passerClient.calling.call(id: callID) == nil, "a passed call is no longer the passer's")
                let (taker, call) = try #require(await iterator.next())
                #expect(taker != passer)
                #expect(call.id == callID)
                #expect(try await call.answer().successful)
                let snapshot = try await server.waitForCall(callID, state: .answered)
                #expect(snapshot.owner != nil)
                #expect(snapshot.timeline.contains { $0.kind == "pass" })
                #expect(try await call.hangup().successful)
            }
        }
    }

    @Test("pass with no other consumer: accepted, the call rings unowned and ends noAnswer at its ring timeout", arguments: bothGenerations)
    func passWithNobodyElse(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            let (offers, offered) = AsyncStream.makeStream(of: Call.self)
            try await client.calling.receive(contexts: ["office"]) { offered.yield($0) }
            try await server.waitForConsumers(context: "office")
            let callID = try await server.injectCall(context: "office", ringTimeout: 20)
            var iterator = offers.makeAsyncIterator()
            let call = try #require(await iterator.next())
            #expect(try await call.pass().successful)
            #expect(client.calling.activeCalls.isEmpty)
            #expect(await server.call(callID)?.owner == nil)
            await server.advanceClock(by: 20)
            let ended = try await server.waitForCall(callID, state: .ended)
            #expect(ended.endReason == "noAnswer")
            #expect(ended.timeline.contains { $0.text.contains("no other consumer is receiving context 'office'") })
            // A second pass of a call that is gone is refused, not thrown.
            #expect(try await call.pass().successful == false)
        }
    }

    // MARK: - Refer

    static func answered(_ server: RelayTestServer, _ client: RelayClient, to number: String = "+12015550100") async throws -> Call {
        let before = await server.calls().count
        async let dialing = client.calling.dial(from: bot, to: number)
        _ = try await calls(server, count: before + 1)
        await server.advanceClock(by: 2)
        let dial = try await dialing
        #expect(dial.successful)
        return dial.call
    }

    @Test("refer: accepted, the target answers, this leg is released; events and result carry the SIP codes", arguments: bothGenerations)
    func referSuccess(generation: WireGeneration) async throws {
        try await withRelayTestServer(generation) { server, client in
            let call = try await Self.answered(server, client)
            let states = Mutex<[String]>([])
            call.on(.referStateChange) { event in states.withLock { $0.append(event.state ?? "?") } }
            let action = try await call.referAsync(to: "sip:agent@example.test", headers: [SIPHeader(name: "X-Ticket", value: "77")])
            #expect(!action.completed)
            await server.advanceClock(by: 2)
            let result = try await action.wait()
            #expect(result.successful)
            #expect(result.state == .success)
            #expect(result.referTo == "sip:agent@example.test")
            #expect(result.referResponseCode == "202")
            #expect(result.notifyResponseCode == "200")
            #expect(result.event?.name == "success")
            #expect(states.withLock { $0 } == ["inProgress", "success"])
            #expect(try await call.waitForEnded())
            #expect(call.endReason == .hangup)
            let frame = try #require(await sentCommands(server.server, method: "calling.refer").first)
            #expect(frame["device"] == ["type": "sip", "params": ["to": "sip:agent@example.test", "headers": [["name": "X-Ticket", "value": "77"]]]])
            let timeline = await server.timeline(callID: call.id ?? "")
            #expect(timeline.contains { $0.kind == "refer" && $0.text.hasPrefix("success") })
        }
    }

    @Test("refer fails: a busy target (486) leaves the call up; a far end that declines (603) fails at once", arguments: bothGenerations)
    func referFailure(generation: WireGeneration) async throws {
        var world = SimulatedWorld.standard
        world.numbers["sip:busy@example.test"] = PartyBehavior(answer: .busy)
        var decliner = PartyBehavior.human
        decliner.rejectsRefer = true
        world.numbers["+15550000077"] = decliner
        try await withRelayTestServer(generation, world: world) { server, client in
            let call = try await Self.answered(server, client)
            async let referring = call.refer(to: "sip:busy@example.test")
            _ = try await server.poll(what: "the refer") { await server.timeline(callID: call.id ?? "").contains { $0.kind == "refer" } ? true : nil }
            await server.advanceClock(by: 2)
            let busy = try await referring
            #expect(!busy.successful)
            #expect(busy.state == .busy)
            #expect(busy.notifyResponseCode == "486")
            #expect(call.state == .answered)

            let other = try await Self.answered(server, client, to: "+15550000077")
            let declined = try await other.refer(to: "sip:agent@example.test")
            #expect(!declined.successful)
            #expect(declined.state == .error)
            #expect(declined.referResponseCode == "603")
            #expect(other.state == .answered)

            let notSIP = try await other.refer(to: "+15550001111")
            #expect(!notSIP.successful, "Relay refuses a target that is not a SIP URI")
            #expect(notSIP.state == nil)
        }
    }
}
