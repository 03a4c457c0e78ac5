@testable import RelayServer
import RelayWire
import Testing

// calling.dial (serial groups of parallel legs), SIP and WebRTC devices, calling.pass and
// calling.refer, on the engine's manual clock.

extension CallEngineTests {
    @Suite("calling.dial with device groups")
    struct MultiDial {
        func phone(_ to: String, timeout: Int? = nil) -> Device { .phone(from: Phone.caller, to: to, timeout: timeout) }

        func dial(_ h: EngineHarness, _ devices: [[Device]], tag: String = "tag-1", maxDuration: Int? = nil, session: String = "s1") -> CommandResult {
            h.run(.dial(DialCommand(tag: tag, devices: devices, maxDuration: maxDuration)), session: session)
        }

        @Test("a group nobody answers ends noAnswer before the next rings; the first answer wins, its group's others are cancelled")
        func serialThenParallel() {
            let h = EngineHarness()
            h.world.numbers["+15550000003"] = PartyBehavior(answer: .afterRings(2))
            let result = dial(h, [[phone(Phone.never, timeout: 5)], [phone(Phone.human), phone("+15550000003")]])
            #expect(result.code == "200")
            #expect(result.message == "Dialing")
            #expect(result.members.isEmpty, "the reply has no call_id (RELAY-V3 §6.1)")
            h.runUntilIdle()
            #expect(
                h.lines() == [
                    "0.0 - dial tag-1 dialing",
                    "0.0 call1 state created", "0.0 call1 state ringing",
                    "5.0 call1 state ending noAnswer", "5.0 call1 state ended noAnswer",
                    "5.0 call2 state created", "5.0 call2 state ringing", "5.0 call3 state created", "5.0 call3 state ringing",
                    "7.0 call2 state answered",
                    "7.0 call3 state ending cancel", "7.0 call3 state ended cancel",
                    "7.0 - dial tag-1 answered winner=call2",
                ])
            // Every leg carries the dial's tag and its own device; the winner is named with its device.
            for emitted in h.emitted {
                if case .state(let state) = emitted.event {
                    #expect(state.tag == "tag-1")
                    #expect(state.direction == "outbound")
                    #expect(state.device?.to == h.snapshot(state.callID)?.to)
                }
            }
            guard case .dial(let answered) = h.emitted.last?.event else {
                Issue.record("no dial event last")
                return
            }
            #expect(answered.call?.dialWinner == true)
            #expect(answered.call?.device == phone(Phone.human))
            #expect(answered.call?.tag == "tag-1")
            #expect(answered.nodeID == h.snapshot("call2")?.nodeID)
            #expect(h.snapshot("call2")?.state == .answered)
            #expect(h.engine.dials.isEmpty)
            #expect(h.snapshot("call2")?.timeline.contains { $0.kind == "dial" && $0.text == "won dial tag-1" } == true)
        }

        @Test("when every group fails the dial fails, each leg with its real cause")
        func allFail() {
            let h = EngineHarness()
            #expect(dial(h, [[phone(Phone.busy)], [phone(Phone.unroutable)]]).code == "200")
            h.runUntilIdle()
            #expect(
                h.lines() == [
                    "0.0 - dial tag-1 dialing",
                    "0.0 call1 state created", "0.0 call1 state ringing",
                    "2.0 call1 state ending busy", "2.0 call1 state ended busy",
                    "2.0 call2 state created",
                    "2.2 call2 state ending error", "2.2 call2 state ended error",
                    "2.2 - dial tag-1 failed",
                ])
            #expect(h.engine.dials.isEmpty)
        }

        @Test("SIP and WebRTC devices behave like numbers: the world looks up their URI, else its default answers")
        func sipAndWebRTC() {
            let h = EngineHarness()
            h.world.numbers["sip:alice@example.test"] = PartyBehavior(answer: .busy)
            let headers = [SIPHeader(name: "X-Account", value: "42")]
            let busySIP = Device.sip(from: "sip:bot@example.test", to: "sips:alice@example.test;transport=tls", headers: headers, codecs: ["PCMU", "OPUS"])
            let webrtc = Device.webrtc(from: "sip:bot@example.test", to: "agent-7", timeout: 10)
            #expect(dial(h, [[busySIP], [webrtc]]).code == "200")
            h.runUntilIdle()
            #expect(h.snapshot("call1")?.endReason == "busy", "sips:…;transport=tls finds sip:alice@example.test")
            #expect(h.snapshot("call2")?.state == .answered, "an unknown WebRTC address is the world's default party")
            // The server keeps the device as sent: headers and codecs reach it.
            let device = h.snapshot("call1")?.device
            #expect(device?["type"] == "sip")
            #expect(device?["params"]?["headers"] == [["name": "X-Account", "value": "42"]])
            #expect(device?["params"]?["codecs"] == ["PCMU", "OPUS"])
            #expect(h.snapshot("call1")?.to == "sips:alice@example.test;transport=tls")
            #expect(h.snapshot("call2")?.tag == "tag-1")
        }

        @Test("max_duration (minutes) ends the answered winner with end_reason max_duration")
        func maxDuration() {
            let h = EngineHarness()
            #expect(dial(h, [[phone(Phone.human)]], maxDuration: 1).code == "200")
            h.runUntilIdle()
            #expect(h.lines(call: "call1").suffix(2) == ["62.0 state ending max_duration", "62.0 state ended max_duration"])
        }

        @Test("bad dials are refused with a reason and create nothing", arguments: [
            (#"{"tag": "t", "devices": []}"#, "Missing 'devices' (array of arrays of devices)"),
            (#"{"tag": "t", "devices": [[{"type": "fax", "params": {"to": "x"}}]]}"#, "Invalid device devices[0][0]: unknown device type 'fax': use phone, sip or webrtc"),
            (#"{"tag": "t", "devices": [[{"type": "sip", "params": {"from": "sip:a@b"}}]]}"#, "Invalid device devices[0][0]: a sip device needs 'params.to'"),
            (#"{"tag": "t", "devices": [[{"type": "phone", "params": {"to_number": "+1", "timeout": -3}}]]}"#, "Invalid device devices[0][0]: 'params.timeout' must be a number of seconds ≥ 0"),
            (#"{"tag": "", "devices": [[{"type": "phone", "params": {"to_number": "+1"}}]]}"#, "Missing 'tag'"),
        ])
        func refused(params: String, message: String) throws {
            let h = EngineHarness()
            let result = try h.run(method: "calling.dial", JSONCodec.parse(params))
            #expect(result.code == "400")
            #expect(result.message == message)
            #expect(h.emitted.isEmpty)
            #expect(h.engine.calls.isEmpty)
        }

        @Test("params that are not a dial fail to decode with a clear error")
        func undecodable() {
            #expect(throws: RelayCommand.DecodingError.invalidParams(WireError.missing("tag", in: "calling.dial"))) {
                try RelayCommand(method: "calling.dial", params: ["devices": [[["type": "phone", "params": ["to_number": "+1"]]]]])
            }
            #expect(throws: RelayCommand.DecodingError.self) { try RelayCommand(method: "calling.dial", params: ["tag": "t", "devices": ["x"]]) }
        }

        @Test("a tag in progress cannot dial again; more than the device limit is refused")
        func duplicateAndLimit() {
            let h = EngineHarness()
            #expect(dial(h, [[phone(Phone.never)]]).code == "200")
            let again = dial(h, [[phone(Phone.human)]])
            #expect(again.code == "400")
            #expect(again.message == "A dial with tag 'tag-1' is already in progress")
            #expect(dial(h, [[phone(Phone.human)]], session: "s2").code == "200", "tags are per session")
            let many = dial(h, [Array(repeating: phone(Phone.human), count: CallEngine.deviceLimit + 1)], tag: "big")
            #expect(many.code == "400")
            #expect(many.message == "Too many devices: at most \(CallEngine.deviceLimit)")
        }

        @Test("the dialling session expires: its legs hang up and no later group rings")
        func sessionExpires() {
            let h = EngineHarness()
            #expect(dial(h, [[phone(Phone.never)], [phone(Phone.human)]]).code == "200")
            h.advance(to: 1)
            h.expire("s1")
            h.runUntilIdle()
            #expect(h.lines().suffix(2) == ["1.0 call1 state ending hangup", "1.0 call1 state ended hangup"])
            #expect(h.engine.calls.count == 1)
            #expect(h.engine.dials.isEmpty)
        }

        @Test("the winner is a call like any other: the client hangs it up")
        func hangUpWinner() {
            let h = EngineHarness()
            #expect(dial(h, [[phone(Phone.human)]]).code == "200")
            h.runUntilIdle()
            #expect(h.run(.end(EndCommand(call: h.call("call1")))).code == "200")
            #expect(h.lines(call: "call1").suffix(2) == ["2.0 state ending hangup", "2.0 state ended hangup"])
        }
    }

    @Suite("calling.pass")
    struct Pass {
        @Test("nobody else receives the context: the pass is accepted and the call rings unowned until its ring timeout")
        func nobodyElse() throws {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject(ringTimeout: 30).id
            let passed = try h.run(method: "calling.pass", h.ids(id))
            #expect(passed.code == "200")
            #expect(passed.message == "Passing call")
            #expect(h.snapshot(id)?.owner == nil)
            h.runUntilIdle()
            #expect(h.snapshot(id)?.endReason == "noAnswer")
            #expect(h.lines(session: "s1") == ["0.0 call1 receive created"], "the passer hears nothing more")
            #expect(h.snapshot(id)?.timeline.contains { $0.text == "no other consumer is receiving context 'office'; ringing until timeout" } == true)
        }

        @Test("a call is never offered again to a session that passed it")
        func passersAreSkipped() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1"), ("project-a", "office", "s2"), ("project-a", "office", "s3")]
            let id = h.inject().id
            #expect(h.snapshot(id)?.owner == "s1")
            #expect(h.run(.pass(CallCommand(call: h.call(id))), session: "s1").code == "200")
            #expect(h.snapshot(id)?.owner == "s2")
            #expect(h.run(.pass(CallCommand(call: h.call(id))), session: "s2").code == "200")
            #expect(h.snapshot(id)?.owner == "s3")
            #expect(h.picks.last?.excluding == "s1,s2")
            #expect(h.run(.pass(CallCommand(call: h.call(id))), session: "s3").code == "200")
            #expect(h.snapshot(id)?.owner == nil)
        }
    }

    @Suite("calling.refer")
    struct Refer {
        func refer(_ h: EngineHarness, _ id: String, to: String) -> CommandResult {
            h.run(.refer(ReferCommand(call: h.call(id), to: to, headers: [SIPHeader(name: "X-Ref", value: "1")])))
        }

        @Test("accepted by default: inProgress (202), the target answers (NOTIFY 200), then this leg ends")
        func success() {
            let h = EngineHarness()
            let id = h.answeredOutbound()
            let mark = h.mark
            let result = refer(h, id, to: "sip:agent@example.test")
            #expect(result.code == "200")
            #expect(result.message == "Referring call")
            h.runUntilIdle()
            #expect(
                h.lines(since: mark) == [
                    "2.0 call1 refer inProgress", "4.0 call1 refer success notify=200", "4.0 call1 state ending hangup", "4.0 call1 state ended hangup",
                ])
            guard case .refer(let first) = h.emitted[mark].event else {
                Issue.record("no refer event")
                return
            }
            #expect(first.referTo == "sip:agent@example.test")
            #expect(first.referResponseCode == "202")
            #expect(first.notifyResponseCode == nil)
            #expect(h.snapshot(id)?.timeline.contains { $0.kind == "refer" && $0.text == "referring to sip:agent@example.test" } == true)
        }

        @Test("the target decides the NOTIFY: busy, no answer, unreachable; the call stays up", arguments: [
            (PartyBehavior(answer: .busy), 4.0, "busy", "486"),
            (PartyBehavior(answer: .never), 32.0, "noAnswer", "408"),
            (PartyBehavior(answer: .fail), 2.2, "error", "404"),
        ])
        func targetFails(target: PartyBehavior, at time: Double, state: String, code: String) {
            let h = EngineHarness()
            h.world.numbers["sip:desk@example.test"] = target
            let id = h.answeredOutbound()
            let mark = h.mark
            #expect(refer(h, id, to: "sip:desk@example.test").code == "200")
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["2.0 call1 refer inProgress", "\(EngineHarness.format(time)) call1 refer \(state) notify=\(code)"])
            #expect(h.snapshot(id)?.state == .answered)
            #expect(refer(h, id, to: "sip:agent@example.test").code == "200", "a finished refer allows another")
        }

        @Test("a far end with refer: reject declines the REFER at once (603)")
        func rejected() throws {
            let h = EngineHarness()
            h.world = try SimulatedWorld(json: JSONCodec.parse(#"{"numbers": {"+15550000077": {"refer": "reject"}}}"#))
            let id = h.answeredOutbound(to: "+15550000077")
            let mark = h.mark
            #expect(refer(h, id, to: "sip:agent@example.test").code == "200")
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["2.0 call1 refer error"])
            guard case .refer(let event) = h.emitted[mark].event else { return }
            #expect(event.referResponseCode == "603")
            #expect(h.snapshot(id)?.state == .answered)
            #expect(throws: WireError.self) { try SimulatedWorld(json: JSONCodec.parse(#"{"numbers": {"+1": {"refer": "maybe"}}}"#)) }
        }

        @Test("the call ends during the transfer: the refer is cancelled (487)")
        func cancelled() {
            let h = EngineHarness()
            h.world.numbers["sip:slow@example.test"] = PartyBehavior(answer: .never)
            let id = h.answeredOutbound()
            let mark = h.mark
            #expect(refer(h, id, to: "sip:slow@example.test").code == "200")
            h.advance(to: 5)
            #expect(h.run(.end(EndCommand(call: h.call(id)))).code == "200")
            h.runUntilIdle()
            #expect(
                h.lines(since: mark) == [
                    "2.0 call1 refer inProgress", "5.0 call1 refer cancel notify=487", "5.0 call1 state ending hangup", "5.0 call1 state ended hangup",
                ])
        }

        @Test("refused: a target that is not a SIP URI, a call not answered, a refer already in progress")
        func refused() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound()
            #expect(refer(h, id, to: "+15550001111").message == "Invalid refer target '+15550001111': a SIP URI such as sip:agent@example.com is required")
            #expect(refer(h, id, to: "sip:a@example.test").code == "200")
            #expect(refer(h, id, to: "sip:b@example.test").message == "A refer is already in progress on this call")
            let ringing = h.dial(to: Phone.never, tag: "tag-2")
            #expect(refer(h, ringing, to: "sip:a@example.test").message == "Only an answered call can be referred")
            #expect(throws: RelayCommand.DecodingError.self) {
                try RelayCommand(method: "calling.refer", params: ["call_id": "c", "node_id": "n", "device": ["type": "phone", "params": ["to": "x"]]])
            }
        }

        @Test("the password never reaches the timeline")
        func passwordHidden() {
            let h = EngineHarness()
            let id = h.answeredOutbound()
            _ = h.run(.refer(ReferCommand(call: h.call(id), to: "sip:a@example.test", username: "u", password: "secret")))
            let text = h.snapshot(id)?.timeline.map { "\($0.text) \($0.data)" }.joined() ?? ""
            #expect(!text.contains("secret"))
            #expect(text.contains("***"))
        }
    }
}
