@testable import RelayServer
import RelayWire
import Testing

// The calling engine driven directly on a manual clock (EngineHarness): no sockets, no
// sleeps, no real time. Every verb, with exact event sequences and exact simulated times.

/// Numbers of the standard simulated world (SimulatedWorld.standard).
enum Phone {
    static let caller = "+15550001000"
    static let human = "+12015550100"
    static let busy = "+12015550101"
    static let never = "+12015550102"
    static let unroutable = "+12015550103"
    static let machine = "+12015550104"
    static let fax = "+12015550105"
    static let keysPIN = "+12015550106"
    static let saysYes = "+12015550107"
    static let hangsUp = "+12015550108"
}

@Suite("Call engine on a manual clock", .timeLimit(.minutes(1)))
struct CallEngineTests {}

// MARK: - calling.begin

extension CallEngineTests {
    @Suite("calling.begin (dial)")
    struct Dial {
        @Test("answers after N rings of world.ringSeconds", arguments: [(0, 2.0), (1, 2.0), (3, 2.0), (2, 0.5), (4, 1.25)])
        func answersAfterRings(rings: Int, ringSeconds: Double) {
            let h = EngineHarness()
            h.world.ringSeconds = ringSeconds
            h.world.numbers["+15550009999"] = PartyBehavior(answer: .afterRings(rings))
            let id = h.dial(to: "+15550009999")
            let answerAt = Double(rings) * ringSeconds
            if answerAt > 0 {
                h.advance(by: answerAt - 0.001)
                #expect(h.callStates(id) == ["created", "ringing"])
            }
            h.advance(to: answerAt)
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "\(EngineHarness.format(answerAt)) state answered"])
            #expect(h.snapshot(id)?.state == .answered)
        }

        @Test("created, ringing, answered, then ending and ended with end_reason; tag, direction, device; no peer")
        func outboundLifecycle() {
            let h = EngineHarness()
            let result = h.run(.begin(BeginCommand(tag: "my-tag", device: .phone(from: Phone.caller, to: Phone.human))))
            #expect(result.code == "200")
            #expect(result.message == "Call started")
            #expect(result.members["call_id"] == "call1")
            #expect(result.members["node_id"] == "node1")
            h.advance(to: 10)
            #expect(h.run(.end(EndCommand(call: h.call("call1")))).message == "Hanging up call")
            #expect(
                h.lines(call: "call1") == [
                    "0.0 state created", "0.0 state ringing", "2.0 state answered", "10.0 state ending hangup", "10.0 state ended hangup",
                ])
            for emitted in h.events(of: "call1") {
                #expect(emitted.session == "s1")
                guard case .state(let state) = emitted.event else {
                    Issue.record("unexpected \(emitted.event)")
                    continue
                }
                #expect(state.tag == "my-tag")
                #expect(state.nodeID == "node1")
                #expect(state.direction == "outbound")
                #expect(state.device?.to == Phone.human)
                #expect(state.device?.from == Phone.caller)
                #expect(state.peer == nil)
                #expect(state.context == nil)
                #expect(state.endReason == (state.state == "ending" || state.state == "ended" ? "hangup" : nil))
            }
            #expect(h.snapshot("call1")?.endReason == "hangup")
            h.runUntilIdle()
            #expect(h.events(of: "call1").count == 5)
        }

        @Test("a busy line rings one ring (or the device timeout, if shorter), then ends busy without ending")
        func busy() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.busy)
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "2.0 state ended busy"])

            let short = h.dial(to: Phone.busy, timeout: 1)
            h.runUntilIdle()
            #expect(h.lines(call: short) == ["2.0 state created", "2.0 state ringing", "3.0 state ended busy"])
        }

        @Test("a number that never answers ends noAnswer at the device timeout (30 s by default)")
        func neverAnswers() {
            let h = EngineHarness()
            let withTimeout = h.dial(to: Phone.never, timeout: 7)
            let withDefault = h.dial(to: Phone.never, tag: "tag-2")
            h.advance(to: 6.999)
            #expect(h.callStates(withTimeout) == ["created", "ringing"])
            h.runUntilIdle()
            #expect(h.lines(call: withTimeout) == ["0.0 state created", "0.0 state ringing", "7.0 state ended noAnswer"])
            #expect(h.lines(call: withDefault) == ["0.0 state created", "0.0 state ringing", "30.0 state ended noAnswer"])
        }

        @Test("answering after more rings than the device timeout allows ends noAnswer at the timeout")
        func ringsLongerThanTimeout() {
            let h = EngineHarness()
            h.world.numbers["+15550002000"] = PartyBehavior(answer: .afterRings(5))
            let id = h.dial(to: "+15550002000", timeout: 8)
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "8.0 state ended noAnswer"])
        }

        @Test("an unroutable number ends with end_reason error after 0.2 s, without ringing")
        func unroutable() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.unroutable)
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.2 state ended error"])
            #expect(h.snapshot(id)?.endReason == "error")
        }

        @Test("hanging up a ringing outbound call: ended hangup at once, without ending; its answer never comes")
        func hangupWhileRinging() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.human)
            h.advance(to: 1)
            h.run(.end(EndCommand(call: h.call(id))))
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "1.0 state ended hangup"])
            let again = h.run(.end(EndCommand(call: h.call(id))))
            #expect(again.code == "410")
            #expect(again.message == "Call has ended")
        }

        @Test("the far end hangs up hangup_after seconds after answering")
        func farEndHangsUp() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.hangsUp)
            h.runUntilIdle()
            #expect(
                h.lines(call: id) == [
                    "0.0 state created", "0.0 state ringing", "2.0 state answered", "4.0 state ending hangup", "4.0 state ended hangup",
                ])
        }

        @Test("calling.begin from JSON as a client sends it, with the device timeout")
        func beginFromJSON() throws {
            let h = EngineHarness()
            let result = try h.run(
                json: """
                    {"protocol": "signalwire_calling_proto", "method": "calling.begin", "params": {"tag": "json-tag",
                     "device": {"type": "phone", "params": {"from_number": "+15550001000", "to_number": "+12015550102", "timeout": 12}}}}
                    """)
            #expect(result.code == "200")
            let id = try #require(result.members["call_id"]?.stringValue)
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "12.0 state ended noAnswer"])
            guard case .state(let ended) = h.events(of: id).last?.event else {
                Issue.record("no state event")
                return
            }
            #expect(ended.tag == "json-tag")
        }

        @Test("a device timeout of 0 ends the dial noAnswer at once (current behaviour)")
        func zeroTimeout() throws {
            let h = EngineHarness()
            let result = try h.run(
                method: "calling.begin",
                ["tag": "t", "device": ["type": "phone", "params": ["from_number": "+15550001000", "to_number": "+12015550100", "timeout": 0]]])
            let id = try #require(result.members["call_id"]?.stringValue)
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "0.0 state ended noAnswer"])
        }

        @Test("calling.begin without a to_number is refused with no events and no timers")
        func beginWithoutDestination() {
            let h = EngineHarness()
            let result = h.run(.begin(BeginCommand(tag: "t", device: Device(type: "phone", params: ["from_number": "+15550001000"]))))
            #expect(result.code == "400")
            #expect(result.message == "Missing 'device.params.to_number'")
            #expect(h.lastEffects.isEmpty)
            #expect(h.engine.snapshots(project: nil).isEmpty)
        }

        @Test("calling.end echoes the reason the client gives")
        func endReason() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound()
            try h.run(method: "calling.end", h.ids(id, ["reason": "busy"]))
            #expect(h.lines(call: id).suffix(2) == ["2.0 state ending busy", "2.0 state ended busy"])
        }

        @Test("calling.answer on one's own outbound call that is still ringing is refused")
        func answeringOwnRingingOutboundCall() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.busy)
            let result = h.run(.answer(CallCommand(call: h.call(id))))
            #expect(result.code != "200")
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 state created", "0.0 state ringing", "2.0 state ended busy"])
        }
    }
}

// MARK: - Inbound calls, calling.answer, calling.pass

extension CallEngineTests {
    @Suite("inbound calls: receive, answer, pass")
    struct Inbound {
        @Test("an inbound call is offered to the picked session as calling.call.receive; unanswered it ends noAnswer at the ring timeout")
        func offeredThenNoAnswer() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1"), ("project-a", "office", "s2")]
            let snapshot = h.inject(from: "+15551230000", to: "+15557770000", context: "office", ringTimeout: 20)
            #expect(snapshot.id == "call1")
            #expect(snapshot.owner == "s1")
            #expect(snapshot.state == .ringing)
            #expect(snapshot.direction == "inbound")
            #expect(h.picks == [EngineHarness.Pick(project: "project-a", context: "office", excluding: nil)])
            guard case .receive(let receive) = h.events(for: "s1").first else {
                Issue.record("no calling.call.receive")
                return
            }
            #expect(receive.callID == "call1")
            #expect(receive.nodeID == "node1")
            #expect(receive.state == "created")
            #expect(receive.context == "office")
            #expect(receive.direction == "inbound")
            #expect(receive.device?.from == "+15551230000")
            #expect(receive.device?.to == "+15557770000")
            h.advance(to: 19.999)
            #expect(h.snapshot("call1")?.state == .ringing)
            h.advance(to: 20)
            #expect(h.lines(session: "s1") == ["0.0 call1 receive created", "20.0 call1 state ended noAnswer"])
            #expect(h.events(for: "s2").isEmpty)
            #expect(h.snapshot("call1")?.endReason == "noAnswer")
        }

        @Test("with no session receiving the context the call rings silently until the ring timeout")
        func nobodyReceiving() {
            let h = EngineHarness()
            h.receivers = [("project-b", "office", "other-project-session")]
            let snapshot = h.inject(context: "office", ringTimeout: 15)
            #expect(snapshot.owner == nil)
            #expect(h.picks == [EngineHarness.Pick(project: "project-a", context: "office", excluding: nil)])
            // Not offered: the call stays `created` (it is not moved to `ringing` as an offered call is).
            #expect(snapshot.state == .created)
            h.advance(to: 14.999)
            #expect(h.snapshot(snapshot.id)?.state.isOver == false)
            h.advance(to: 15)
            #expect(h.snapshot(snapshot.id)?.state == .ended)
            #expect(h.snapshot(snapshot.id)?.endReason == "noAnswer")
            #expect(h.emitted.isEmpty)
        }

        @Test("answering: answered with context, the ring timeout no longer applies, a second answer repeats the state")
        func answer() throws {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject(ringTimeout: 10).id
            h.advance(to: 3)
            let result = try h.run(method: "calling.answer", h.ids(id))
            #expect(result.code == "200")
            #expect(result.message == "Answering call")
            h.advance(to: 5)
            #expect(h.run(.answer(CallCommand(call: h.call(id)))).code == "200")
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 receive created", "3.0 state answered", "5.0 state answered"])
            guard case .state(let answered) = h.events(of: id)[1].event else {
                Issue.record("no answered state")
                return
            }
            #expect(answered.direction == "inbound")
            #expect(answered.context == "office")
            #expect(answered.tag == nil)
            #expect(h.snapshot(id)?.state == .answered)
        }

        @Test("calling.pass offers the call to another session; once answered it cannot be passed")
        func pass() throws {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1"), ("project-a", "office", "s2")]
            let id = h.inject(ringTimeout: 30).id
            h.advance(to: 1)
            let passed = try h.run(method: "calling.pass", h.ids(id))
            #expect(passed.code == "200")
            #expect(passed.message == "Passing call")
            #expect(h.picks.last == EngineHarness.Pick(project: "project-a", context: "office", excluding: "s1"))
            #expect(h.snapshot(id)?.owner == "s2")
            h.advance(to: 2)
            #expect(h.run(.answer(CallCommand(call: h.call(id))), session: "s2").code == "200")
            let refused = h.run(.pass(CallCommand(call: h.call(id))), session: "s2")
            #expect(refused.code == "400")
            #expect(refused.message == "Only an unanswered inbound call can be passed")
            h.runUntilIdle()
            #expect(h.lines(session: "s1") == ["0.0 call1 receive created"])
            #expect(h.lines(session: "s2") == ["1.0 call1 receive created", "2.0 call1 state answered"])
        }

        @Test("passed with nobody else receiving, the call rings unowned until the ring timeout")
        func passToNobody() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject(ringTimeout: 30).id
            #expect(h.run(.pass(CallCommand(call: h.call(id)))).code == "200")
            #expect(h.snapshot(id)?.owner == nil)
            h.runUntilIdle()
            #expect(h.lines(session: "s1") == ["0.0 call1 receive created"])
            #expect(h.snapshot(id)?.endReason == "noAnswer")
            #expect(h.now == 30)
        }

        @Test("an outbound call cannot be passed")
        func passOutbound() {
            let h = EngineHarness()
            let id = h.dial(to: Phone.never)
            let result = h.run(.pass(CallCommand(call: h.call(id))))
            #expect(result.code == "400")
            #expect(result.message == "Only an unanswered inbound call can be passed")
        }

        @Test("the caller hangs up hangup_after seconds after the answer")
        func callerHangsUp() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject(behavior: PartyBehavior(hangupAfter: 5), ringTimeout: 30).id
            h.advance(to: 2)
            h.run(.answer(CallCommand(call: h.call(id))))
            h.runUntilIdle()
            #expect(
                h.lines(call: id) == ["0.0 receive created", "2.0 state answered", "7.0 state ending hangup", "7.0 state ended hangup"])
        }

        @Test("rejecting an unanswered inbound call goes straight to ended with the given reason")
        func rejectBeforeAnswer() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject().id
            h.advance(to: 1)
            h.run(.end(EndCommand(call: h.call(id), reason: "decline")))
            h.runUntilIdle()
            #expect(h.lines(call: id) == ["0.0 receive created", "1.0 state ended decline"])
        }
    }
}

// MARK: - calling.end with components running

extension CallEngineTests {
    @Suite("calling.end")
    struct End {
        @Test("hanging up: every running component gets its terminal event, then ending, then ended; stale timers do nothing")
        func hangupWithEveryComponent() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.human)
            let c = { (control: String) in h.component(id, control) }
            #expect(h.run(.play(PlayCommand(component: c("a-play"), media: [.silence(duration: 60)]))).code == "200")
            let collect = CollectOptions(digits: .init(max: 4))
            #expect(h.run(.playAndCollect(PlayAndCollectCommand(component: c("b-prompt"), media: [.silence(duration: 60)], collect: collect))).code == "200")
            #expect(h.run(.record(RecordCommand(component: c("c-record"), record: RecordOptions()))).code == "200")
            #expect(h.run(.detect(DetectCommand(component: c("d-detect"), detect: .machine(), timeout: 60))).code == "200")
            #expect(h.run(.sendFax(SendFaxCommand(component: c("e-sendfax"), document: "https://example.com/a.pdf"))).code == "200")
            #expect(h.run(.receiveFax(c("f-receivefax"))).code == "200")
            #expect(h.run(.tap(TapCommand(component: c("g-tap"), direction: "both", device: .rtp(address: "127.0.0.1", port: 5004)))).code == "200")
            #expect(h.run(.sendDigits(SendDigitsCommand(component: c("h-digits"), digits: "WWWWW"))).code == "200")
            h.advance(to: 3)
            let mark = h.mark
            #expect(h.run(.end(EndCommand(call: h.call(id)))).code == "200")
            #expect(
                h.lines(since: mark) == [
                    "3.0 call1 play a-play error",
                    "3.0 call1 collect b-prompt no_input",
                    "3.0 call1 record c-record finished 1.0s 16044B",
                    "3.0 call1 detect d-detect machine finished",
                    "3.0 call1 fax e-sendfax finished success=false pages=0",
                    "3.0 call1 fax f-receivefax finished success=false pages=0",
                    "3.0 call1 tap g-tap finished",
                    "3.0 call1 send_digits h-digits finished",
                    "3.0 call1 state ending hangup",
                    "3.0 call1 state ended hangup",
                ])
            #expect(h.tapEffects.map(\.effect) == [.startTap(key: "call1/g-tap", .rtp(host: "127.0.0.1", port: 5004, format: .standard)), .stopTap(key: "call1/g-tap")])
            #expect(h.tapEffects.map(\.time) == [2, 3])
            let count = h.emitted.count
            h.runUntilIdle()
            #expect(h.emitted.count == count)
            #expect(h.tapEffects.count == 2)
        }

        @Test("a command on an ended call answers 410 (gone)")
        func commandsAfterEnd() {
            let h = EngineHarness()
            let id = h.answeredOutbound()
            h.run(.end(EndCommand(call: h.call(id))))
            for command in [RelayCommand.end(EndCommand(call: h.call(id))), .play(PlayCommand(component: h.component(id, "p"), media: [.silence(duration: 1)]))] {
                let result = h.run(command)
                #expect(result.code == "410")
                #expect(result.message == "Call has ended")
                #expect(h.lastEffects.isEmpty)
            }
        }
    }
}

// MARK: - calling.connect and calling.disconnect

extension CallEngineTests {
    @Suite("calling.connect and calling.disconnect")
    struct Connect {
        /// An inbound call answered at 0 (call1, node1, owned by s1).
        func parent(_ h: EngineHarness) -> String { h.answeredInbound() }

        func phone(_ to: String, timeout: Int? = nil) -> Device { .phone(from: Phone.caller, to: to, timeout: timeout) }

        @Test("groups are dialled in series: busy, then no answer at the device timeout, then one that answers is bridged")
        func series() {
            let h = EngineHarness()
            let id = parent(h)
            let mark = h.mark
            let result = h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.busy)], [phone(Phone.never, timeout: 5)], [phone(Phone.human)]])))
            #expect(result.code == "200")
            #expect(result.message == "Connecting call")
            // One step of the clock: the timers each group sets while the clock advances fire too.
            h.advance(to: 9)
            #expect(h.pendingTimers.isEmpty)
            #expect(
                h.lines(since: mark) == [
                    "0.0 call1 connect connecting",
                    "0.0 call2 state created", "0.0 call2 state ringing", "2.0 call2 state ended busy",
                    "2.0 call3 state created", "2.0 call3 state ringing", "7.0 call3 state ended noAnswer",
                    "7.0 call4 state created", "7.0 call4 state ringing", "9.0 call4 state answered",
                    "9.0 call1 connect connected peer=call4",
                ])
            #expect(h.snapshot(id)?.bridgedWith == "call4")
            #expect(h.snapshot("call4")?.parent == id)
            #expect(h.snapshot("call4")?.bridgedWith == id)
            #expect(h.snapshot("call4")?.owner == "s1")
            // Legs name their parent as peer; connected names the leg, with its device.
            for leg in ["call2", "call3", "call4"] {
                for emitted in h.events(of: leg) {
                    guard case .state(let state) = emitted.event else { continue }
                    #expect(state.peer == PeerInfo(callID: "call1", nodeID: "node1"))
                    #expect(state.direction == "outbound")
                    #expect(state.tag == nil)
                }
            }
            guard case .connect(let connected) = h.emitted.last?.event else {
                Issue.record("no connect event")
                return
            }
            #expect(connected.peer?.device?.to == Phone.human)
            #expect(connected.peer?.nodeID == "node1")
        }

        @Test("a group is dialled in parallel: the first to answer wins, the others are cancelled")
        func parallel() {
            let h = EngineHarness()
            h.world.numbers["+15550000001"] = PartyBehavior(answer: .afterRings(3))
            h.world.numbers["+15550000002"] = PartyBehavior(answer: .afterRings(1))
            h.world.numbers["+15550000003"] = PartyBehavior(answer: .never)
            let id = parent(h)
            let mark = h.mark
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone("+15550000001"), phone("+15550000002"), phone("+15550000003")]])))
            h.runUntilIdle()
            #expect(
                h.lines(since: mark) == [
                    "0.0 call1 connect connecting",
                    "0.0 call2 state created", "0.0 call2 state ringing",
                    "0.0 call3 state created", "0.0 call3 state ringing",
                    "0.0 call4 state created", "0.0 call4 state ringing",
                    "2.0 call2 state ended cancel", "2.0 call4 state ended cancel",
                    "2.0 call3 state answered",
                    "2.0 call1 connect connected peer=call3",
                ])
        }

        @Test("two legs answering at the same instant: the first dialled wins")
        func parallelTie() {
            let h = EngineHarness()
            let id = parent(h)
            let mark = h.mark
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone("+15550000011"), phone("+15550000012")]])))
            h.runUntilIdle()
            #expect(
                h.lines(since: mark).suffix(3) == ["2.0 call3 state ended cancel", "2.0 call2 state answered", "2.0 call1 connect connected peer=call2"])
        }

        @Test("when every group fails the connect fails, and the call can connect again")
        func allFail() {
            let h = EngineHarness()
            let id = parent(h)
            let mark = h.mark
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.busy)], [phone(Phone.unroutable)]])))
            h.runUntilIdle()
            #expect(
                h.lines(since: mark) == [
                    "0.0 call1 connect connecting",
                    "0.0 call2 state created", "0.0 call2 state ringing", "2.0 call2 state ended busy",
                    "2.0 call3 state created", "2.2 call3 state ended error",
                    "2.2 call1 connect failed",
                ])
            #expect(h.snapshot(id)?.state == .answered)
            #expect(h.snapshot(id)?.bridgedWith == nil)
            #expect(h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]]))).code == "200")
        }

        @Test("ringback is accepted (a list, or one media object as Node sends it) and noted on the timeline")
        func ringback() throws {
            let h = EngineHarness()
            let id = parent(h)
            let typed = h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]], ringback: [.ringtone(name: "us")])))
            #expect(typed.code == "200")
            #expect(h.snapshot(id)?.timeline.contains { $0.text == "ringback: ringtone us (440+480 Hz, 2.0s on 4.0s off)" } == true)
            h.runUntilIdle()

            let other = h.answeredInbound(from: "+15551239999")
            let json = try h.run(
                json: """
                    {"method": "calling.connect", "params": {"call_id": "\(other)", "node_id": null,
                     "devices": [[{"type": "phone", "params": {"from_number": "+15550001000", "to_number": "+12015550100", "timeout": 20}}]],
                     "ringback": {"type": "tts", "params": {"text": "Please hold"}}}}
                    """)
            #expect(json.code == "200")
            #expect(h.snapshot(other)?.timeline.contains { $0.text == "ringback: tts \"Please hold\"" } == true)
            h.runUntilIdle()
            #expect(h.snapshot(other)?.bridgedWith != nil)
        }

        @Test("disconnecting a bridged call: disconnected, the leg hangs up, the call stays answered")
        func disconnectBridged() throws {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]])))
            h.advance(to: 5)
            let mark = h.mark
            let result = try h.run(method: "calling.disconnect", h.ids(id))
            #expect(result.code == "200")
            #expect(result.message == "Disconnecting call")
            #expect(h.lines(since: mark) == ["5.0 call1 connect disconnected peer=call2", "5.0 call2 state ending hangup", "5.0 call2 state ended hangup"])
            #expect(h.snapshot(id)?.state == .answered)
            #expect(h.snapshot(id)?.bridgedWith == nil)
            let again = h.run(.disconnect(CallCommand(call: h.call(id))))
            #expect(again.code == "400")
            #expect(again.message == "Call is not connected")
        }

        @Test("disconnecting a pending connect cancels its legs")
        func disconnectPending() {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.never)]])))
            h.advance(to: 3)
            let mark = h.mark
            #expect(h.run(.disconnect(CallCommand(call: h.call(id)))).code == "200")
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["3.0 call2 state ended cancel", "3.0 call1 connect disconnected"])
            #expect(h.snapshot(id)?.state == .answered)
        }

        @Test("the leg hanging up unbridges the call, which can connect again")
        func legHangsUp() {
            let h = EngineHarness()
            let id = parent(h)
            let mark = h.mark
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.hangsUp)]])))
            h.advance(to: 10)
            #expect(
                h.lines(since: mark).suffix(5) == [
                    "2.0 call2 state answered", "2.0 call1 connect connected peer=call2",
                    "4.0 call2 state ending hangup", "4.0 call1 connect disconnected peer=call2", "4.0 call2 state ended hangup",
                ])
            #expect(h.snapshot(id)?.state == .answered)
            #expect(h.snapshot(id)?.bridgedWith == nil)
            #expect(h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]]))).code == "200")
        }

        @Test("the call hanging up ends its bridged leg")
        func parentHangsUpBridged() {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]])))
            h.advance(to: 3)
            let mark = h.mark
            h.run(.end(EndCommand(call: h.call(id))))
            #expect(
                h.lines(since: mark) == [
                    "3.0 call1 state ending hangup", "3.0 call2 state ending hangup", "3.0 call2 state ended hangup", "3.0 call1 state ended hangup",
                ])
        }

        @Test("the call hanging up during a connect cancels the ringing legs")
        func parentHangsUpPending() {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.never), phone(Phone.human)]])))
            h.advance(to: 1)
            let mark = h.mark
            h.run(.end(EndCommand(call: h.call(id))))
            h.runUntilIdle()
            #expect(
                h.lines(since: mark) == [
                    "1.0 call2 state ended cancel", "1.0 call3 state ended cancel", "1.0 call1 state ending hangup", "1.0 call1 state ended hangup",
                ])
        }

        @Test("ringback media is not validated as play media is (current behaviour)")
        func ringbackNotValidated() {
            let h = EngineHarness()
            let id = parent(h)
            let result = h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]], ringback: [.other(type: "video", params: [:])])))
            #expect(result.code == "200")
        }

        @Test("disconnect sent on the leg hangs up the call the leg was dialled for (current behaviour)")
        func disconnectFromLeg() {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]])))
            h.advance(to: 2)
            let mark = h.mark
            #expect(h.run(.disconnect(CallCommand(call: h.call("call2")))).code == "200")
            #expect(h.lines(since: mark) == ["2.0 call2 connect disconnected peer=call1", "2.0 call1 state ending hangup", "2.0 call1 state ended hangup"])
            #expect(h.snapshot("call2")?.state == .answered)
        }

        @Test("a session that takes over a connecting call (a reconnected client) also gets its legs' events")
        func legEventsFollowTheNewOwner() {
            let h = EngineHarness()
            let id = parent(h)
            h.run(.connect(ConnectCommand(call: h.call(id), devices: [[phone(Phone.human)]])), session: "s1")
            h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.silence(duration: 10)])), session: "s2")
            let mark = h.mark
            h.advance(to: 2)
            #expect(h.lines(session: "s2", since: mark).last == "2.0 call1 connect connected peer=call2")
            #expect(h.lines(session: "s1", since: mark).isEmpty)
            #expect(h.lines(session: "s2", since: mark) == ["2.0 call2 state answered", "2.0 call1 connect connected peer=call2"])
        }

        @Test("connect is refused on a call not answered, while connecting, once connected, and without valid devices")
        func refused() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let ringing = h.inject().id
            let notAnswered = h.run(.connect(ConnectCommand(call: h.call(ringing), devices: [[phone(Phone.human)]])))
            #expect(notAnswered.code == "400")
            #expect(notAnswered.message == "Call is not answered")
            #expect(h.lastEffects.isEmpty)

            h.run(.answer(CallCommand(call: h.call(ringing))))
            #expect(h.run(.connect(ConnectCommand(call: h.call(ringing), devices: [[phone(Phone.human)]]))).code == "200")
            let connecting = h.run(.connect(ConnectCommand(call: h.call(ringing), devices: [[phone(Phone.human)]])))
            #expect(connecting.code == "400")
            #expect(connecting.message == "Call is already connecting or connected")
            h.runUntilIdle()
            #expect(h.snapshot(ringing)?.bridgedWith != nil)
            let connected = h.run(.connect(ConnectCommand(call: h.call(ringing), devices: [[phone(Phone.human)]])))
            #expect(connected.message == "Call is already connecting or connected")

            let other = h.answeredInbound(from: "+15551239999")
            for groups in [[], [[]]] as [[[Device]]] {
                let empty = h.run(.connect(ConnectCommand(call: h.call(other), devices: groups)))
                #expect(empty.code == "400")
                #expect(empty.message == "Missing 'devices' (array of arrays of devices)")
            }
            let noNumber = h.run(.connect(ConnectCommand(call: h.call(other), devices: [[Device(type: "phone", params: ["from_number": "+1555"])]])))
            #expect(noNumber.code == "400")
            #expect(noNumber.message == "Invalid device: 'params.to_number' is required")
            #expect(h.lastEffects.isEmpty)
        }
    }
}

// MARK: - calling.play

extension CallEngineTests {
    @Suite("calling.play")
    struct Play {
        static let durations: [(Media, Double)] = [
            (.tts(text: "Hello"), 0.5),
            (.tts(text: String(repeating: "a", count: 20)), 1.2),
            (.tts(text: String(repeating: "b", count: 9)), 0.54),
            (.silence(duration: 2.5), 2.5),
            (.silence(duration: 0), 0),
            (.ringtone(name: "us"), 3),
            (.ringtone(name: "us", duration: 4.5), 4.5),
            (.audio(url: "https://example.com/a.mp3?duration=7"), 7),
            (.audio(url: "https://example.com/a.mp3#duration=1.5"), 1.5),
            (.audio(url: "https://example.com/a.mp3"), 2),
        ]

        @Test("duration per the media rules", arguments: durations)
        func duration(media: Media, seconds: Double) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            let result = h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [media])))
            #expect(result.code == "200")
            #expect(result.message == "Playing")
            #expect(result.members == ["control_id": "c1", "call_id": .string(id)])
            if seconds > 0.001 {
                h.advance(by: seconds - 0.001)
                #expect(h.lines(since: mark) == ["0.0 call1 play c1 playing"])
            }
            h.advance(to: seconds)
            #expect(h.lines(since: mark) == ["0.0 call1 play c1 playing", "\(EngineHarness.format(seconds)) call1 play c1 finished"])
            #expect(same(h.time(of: "play c1 finished", call: id), seconds))
        }

        @Test("a play list lasts the sum of its items")
        func playList() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.advance(to: 1)
            try h.run(
                json: """
                    {"method": "calling.play", "params": {"call_id": "\(id)", "node_id": "node1", "control_id": "list", "volume": 3,
                     "play": [{"type": "tts", "params": {"text": "aaaaaaaaaaaaaaaaaaaa"}}, {"type": "silence", "params": {"duration": 1.0}},
                              {"type": "audio", "params": {"url": "https://example.com/x.wav?duration=3"}}]}}
                    """)
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["1.0 play list playing", "6.2 play list finished"])
            #expect(same(h.time(of: "play list finished", call: id), 6.2))
        }

        @Test("pause and resume shift the finish by the paused time; repeated pause or resume is harmless")
        func pauseResume() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)])))
            h.advance(to: 3)
            let pause = try h.run(method: "calling.play.pause", h.ids(id, ["control_id": "c1"]))
            #expect(pause.code == "200")
            #expect(pause.message == "Paused")
            #expect(h.lastEffects.isEmpty)
            #expect(h.run(.control(.play, .pause, h.component(id, "c1"))).message == "Paused")
            h.advance(to: 20)
            #expect(h.time(of: "play c1 finished", call: id) == nil)
            let resume = try h.run(method: "calling.play.resume", h.ids(id, ["control_id": "c1"]))
            #expect(resume.message == "Resumed")
            #expect(h.run(.control(.play, .resume, h.component(id, "c1"))).message == "Resumed")
            h.advance(to: 26.999)
            #expect(h.time(of: "play c1 finished", call: id) == nil)
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["0.0 play c1 playing", "27.0 play c1 finished"])
        }

        @Test("stop finishes the play at once; a second stop finds no component")
        func stop() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)])))
            h.advance(to: 4)
            let stop = h.run(.control(.play, .stop, h.component(id, "c1")))
            #expect(stop.code == "200")
            #expect(stop.message == "Stop ok")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["0.0 play c1 playing", "4.0 play c1 finished"])
            let again = try h.run(method: "calling.play.stop", h.ids(id, ["control_id": "c1"]))
            #expect(again.code == "404")
            #expect(again.message == "Component does not exist")
        }

        @Test("volume: a number is set with no event; anything else is refused; an unknown control_id is 404")
        func volume() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)], volume: 2)))
            let set = try h.run(method: "calling.play.volume", h.ids(id, ["control_id": "c1", "volume": -4.5]))
            #expect(set.code == "200")
            #expect(set.message == "Volume set")
            #expect(h.lastEffects.isEmpty)
            let bad = try h.run(method: "calling.play.volume", h.ids(id, ["control_id": "c1", "volume": "loud"]))
            #expect(bad.code == "400")
            #expect(bad.message == "Missing 'volume' (number)")
            let unknown = h.run(.control(.play, .volume(1), h.component(id, "nope")))
            #expect(unknown.code == "404")
            #expect(h.snapshot(id)?.timeline.contains { $0.text == "volume set to -4.5" } == true)
        }

        static let invalid: [([Media], String)] = [
            ([], "Missing 'play' (array of media)"),
            ([.other(type: "video", params: [:])], "Invalid media: play[0]: unknown media type 'video': use audio, tts, silence or ringtone"),
            ([.tts(text: "ok"), .audio(url: "ftp://example.com/a.mp3")], "Invalid media: play[1]: audio 'url' must be an http(s) URL (or file:/// on a local server)"),
            ([.tts(text: "")], "Invalid media: play[0]: tts 'text' must not be empty"),
            ([.silence(duration: -1)], "Invalid media: play[0]: silence 'duration' must be a number of seconds ≥ 0"),
            ([.silence(duration: .infinity)], "Invalid media: play[0]: silence 'duration' must be a number of seconds ≥ 0"),
            ([.ringtone(name: "")], "Invalid media: play[0]: ringtone 'name' must not be empty"),
            ([.ringtone(name: "us", duration: -2)], "Invalid media: play[0]: ringtone 'duration' must be a number of seconds ≥ 0"),
        ]

        @Test("invalid media is refused with 400, no events and no timers; the control_id stays free", arguments: invalid)
        func invalidMedia(media: [Media], message: String) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            let result = h.run(.play(PlayCommand(component: h.component(id, "c1"), media: media)))
            #expect(result.code == "400")
            #expect(result.message == message)
            #expect(h.lastEffects.isEmpty)
            #expect(h.lines(since: mark).isEmpty)
            #expect(h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 1)]))).code == "200")
        }

        @Test("a control_id in use on the call is refused, for any verb; free again once finished; an empty one is refused")
        func duplicateControlID() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)])))
            let mark = h.mark
            let again = h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 1)])))
            #expect(again.code == "400")
            #expect(again.message == "control_id 'c1' is already in use on this call")
            let asRecord = h.run(.record(RecordCommand(component: h.component(id, "c1"), record: RecordOptions())))
            #expect(asRecord.message == "control_id 'c1' is already in use on this call")
            #expect(h.lines(since: mark).isEmpty)
            h.advance(to: 10)
            #expect(h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 1)]))).code == "200")
            let empty = h.run(.play(PlayCommand(component: h.component(id, ""), media: [.silence(duration: 1)])))
            #expect(empty.code == "400")
            #expect(empty.message == "Missing 'control_id'")
        }

        @Test("a control_id reused after a stop: the earlier play's timer must not finish the new play")
        func reusedControlIDAfterStop() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 5)])))
            h.advance(to: 1)
            h.run(.control(.play, .stop, h.component(id, "c1")))
            h.advance(to: 2)
            #expect(h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)]))).code == "200")
            h.runUntilIdle()
            let finishes = h.events(of: id).filter { EngineHarness.describe($0.event) == "play c1 finished" }.map(\.time)
            #expect(finishes == [1, 12])
        }

        @Test("playing a recording this server made lasts the recording's duration")
        func playRecording() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 3))
            let url = h.run(.record(RecordCommand(component: h.component(id, "rec"), record: RecordOptions()))).members["url"]?.stringValue ?? ""
            h.runUntilIdle()
            #expect(h.engine.recordingDuration(url: url) == 4)
            h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.audio(url: url)])))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["4.0 play p playing", "8.0 play p finished"])
        }

        @Test("play is accepted on a call that is not answered yet (current behaviour)")
        func playBeforeAnswer() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1")]
            let id = h.inject().id
            #expect(h.run(.play(PlayCommand(component: h.component(id, "c1"), media: [.silence(duration: 1)]))).code == "200")
            h.advance(to: 1)
            #expect(h.lines(call: id) == ["0.0 receive created", "0.0 play c1 playing", "1.0 play c1 finished"])
        }
    }
}

// MARK: - calling.play_and_collect

extension CallEngineTests {
    @Suite("calling.play_and_collect (prompt)")
    struct Prompt {
        struct DigitCase: Sendable, CustomTestStringConvertible {
            var keys: String
            var max: Int?
            var terminators: String?
            var digitTimeout: Double?
            var line: String
            var at: Double
            var testDescription: String { "keys \(keys) max \(max.map(String.init) ?? "-") terminators \(terminators ?? "-")" }
        }

        // The prompt (tts "Enter") plays 0.5 s; the caller keys 0.3 s a key; an incomplete
        // input waits digit_timeout (5 s by default).
        static let digitCases: [DigitCase] = [
            DigitCase(keys: "12345", max: 4, terminators: "#", digitTimeout: 3, line: "collect c1 digit 1234 terminator=", at: 1.7),
            DigitCase(keys: "12#", max: 10, terminators: "#", digitTimeout: 3, line: "collect c1 digit 12 terminator=#", at: 1.4),
            DigitCase(keys: "12", max: 4, terminators: "#", digitTimeout: 3, line: "collect c1 digit 12 terminator=", at: 4.1),
            DigitCase(keys: "12", max: 4, terminators: "#", digitTimeout: nil, line: "collect c1 digit 12 terminator=", at: 6.1),
            DigitCase(keys: "#", max: 4, terminators: "#", digitTimeout: 3, line: "collect c1 digit  terminator=#", at: 0.8),
            DigitCase(keys: "1234#", max: nil, terminators: "#", digitTimeout: 3, line: "collect c1 digit 1234 terminator=#", at: 2.0),
            DigitCase(keys: "1234#", max: nil, terminators: nil, digitTimeout: 3, line: "collect c1 digit 1234# terminator=", at: 2.0),
            DigitCase(keys: "9*8", max: 2, terminators: "*", digitTimeout: 3, line: "collect c1 digit 9 terminator=*", at: 1.1),
        ]

        @Test("digits: max, terminators and digit_timeout decide what is collected and when", arguments: digitCases)
        func digits(_ c: DigitCase) {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: [c.keys]))
            let mark = h.mark
            let collect = CollectOptions(initialTimeout: 7, digits: .init(max: c.max, terminators: c.terminators, digitTimeout: c.digitTimeout))
            let result = h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "c1"), media: [.tts(text: "Enter")], collect: collect)))
            #expect(result.code == "200")
            #expect(result.message == "Prompting")
            h.advance(to: c.at - 0.001)
            #expect(h.lines(since: mark).isEmpty)
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["\(EngineHarness.format(c.at)) call1 \(c.line)"])
            #expect(same(h.time(of: c.line, call: id), c.at))
        }

        @Test("speech: the words, at prompt + 0.5 s + 0.4 s a word + end_silence_timeout (1 s by default)")
        func speech() throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(speech: ["hello there", "yes"]))
            let collect = CollectOptions(speech: .init(endSilenceTimeout: 0.5))
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "s1"), media: [.tts(text: "Say")], collect: collect)))
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "2.3 collect s1 speech hello there")
            #expect(same(h.time(of: "collect s1 speech hello there", call: id), 2.3))
            guard case .collect(let event) = h.events(of: id).last?.event else {
                Issue.record("no collect")
                return
            }
            #expect(event.result.params["confidence"] == .double(92.5))
            h.advance(to: 10)
            try h.run(
                json: """
                    {"method": "calling.play_and_collect", "params": {"call_id": "\(id)", "node_id": "node1", "control_id": "s2",
                     "play": [{"type": "silence", "params": {"duration": 1}}], "collect": {"speech": {"language": "en-US"}}}}
                    """)
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "12.9 collect s2 speech yes")
        }

        @Test("no input: no_input after the prompt plus initial_timeout (5 s by default)")
        func noInput() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            try h.run(
                json: """
                    {"method": "calling.play_and_collect", "params": {"call_id": "\(id)", "node_id": "node1", "control_id": "c1",
                     "play": [{"type": "tts", "params": {"text": "Enter"}}], "collect": {"initial_timeout": 4, "digits": {"max": 4}}}}
                    """)
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "4.5 collect c1 no_input")
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "c2"), media: [.silence(duration: 1)], collect: CollectOptions(digits: .init()))))
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "10.5 collect c2 no_input")
        }

        @Test("stop: no_input at once; nothing later")
        func stop() throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: ["1"]))
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)], collect: CollectOptions(digits: .init()))))
            h.advance(to: 3)
            let stop = try h.run(method: "calling.play_and_collect.stop", h.ids(id, ["control_id": "c1"]))
            #expect(stop.message == "Stop ok")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(1) == ["3.0 collect c1 no_input"])
            #expect(h.events(of: id).count == 3)
        }

        @Test("a prompt plays no calling.call.play events; volume is accepted, pause is not")
        func controls() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "c1"), media: [.silence(duration: 10)], collect: CollectOptions(digits: .init()))))
            #expect(h.lastEffects.filter { if case .event = $0 { true } else { false } }.isEmpty)
            #expect(try h.run(method: "calling.play_and_collect.volume", h.ids(id, ["control_id": "c1", "volume": 6])).message == "Volume set")
            let pause = try h.run(method: "calling.play_and_collect.pause", h.ids(id, ["control_id": "c1"]))
            #expect(pause.code == "400")
            #expect(pause.message == "Only play can be paused and resumed")
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["15.0 call1 collect c1 no_input"])
        }

        @Test("the caller's digit strings are consumed one per prompt; then silence, or the last again with repeat")
        func scriptedDigitsConsumed() {
            for repeats in [false, true] {
                let h = EngineHarness()
                let id = h.answeredInbound(behavior: PartyBehavior(digits: ["1", "22"], repeatsInput: repeats))
                for (index, start) in [0.0, 1.0, 3.0].enumerated() {
                    h.advance(to: start)
                    h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "p\(index)"), media: [.tts(text: "Hi")], collect: CollectOptions(digits: .init()))))
                    h.runUntilIdle()
                }
                let collects = h.lines(call: id).filter { $0.contains("collect") }
                #expect(
                    collects == [
                        "0.8 collect p0 digit 1 terminator=", "2.1 collect p1 digit 22 terminator=",
                        repeats ? "4.1 collect p2 digit 22 terminator=" : "8.5 collect p2 no_input",
                    ], "repeat \(repeats)")
            }
        }

        @Test("the standard PIN caller keys 1234# at every prompt")
        func standardPINCaller() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.keysPIN)
            for control in ["a", "b"] {
                h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, control), media: [.tts(text: "PIN")], collect: CollectOptions(digits: .init(max: 4, terminators: "#")))))
                h.runUntilIdle()
            }
            #expect(h.lines(call: id).filter { $0.contains("collect") } == ["3.7 collect a digit 1234 terminator=", "5.4 collect b digit 1234 terminator="])
        }

        @Test("digits and speech: the caller's digits first, else its speech; a speech-only prompt leaves the digits for later")
        func digitsOrSpeech() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: ["7"], speech: ["no"]))
            let both = CollectOptions(digits: .init(), speech: .init())
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "a"), media: [.silence(duration: 0)], collect: CollectOptions(speech: .init()))))
            h.runUntilIdle()
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "b"), media: [.silence(duration: 0)], collect: both)))
            h.runUntilIdle()
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "c"), media: [.silence(duration: 0)], collect: both)))
            h.runUntilIdle()
            #expect(h.lines(call: id).filter { $0.contains("collect") } == ["1.9 collect a speech no", "2.2 collect b digit 7 terminator=", "7.2 collect c no_input"])
        }
    }
}

// MARK: - calling.record

extension CallEngineTests {
    @Suite("calling.record")
    struct Record {
        @Test("finished after the caller's message and end_silence_timeout, with duration, size and a WAV file")
        func finished() throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 4))
            let result = try h.run(
                json: """
                    {"method": "calling.record", "params": {"call_id": "\(id)", "node_id": "node1", "control_id": "rec-1",
                     "record": {"audio": {"format": "wav", "stereo": true, "beep": true, "end_silence_timeout": 2}}}}
                    """)
            let url = "http://127.0.0.1:8080/files/" + CallEngine.recordingFile(id, "rec-1")
            #expect(result.code == "200")
            #expect(result.message == "Recording")
            #expect(result.members == ["url": .string(url), "control_id": "rec-1", "call_id": .string(id)])
            h.advance(to: 5.999)
            #expect(h.lines(call: id).last == "0.0 record rec-1 recording")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["0.0 record rec-1 recording", "6.0 record rec-1 finished 6.0s 192044B"])
            guard case .record(let event) = h.events(of: id).last?.event else {
                Issue.record("no record event")
                return
            }
            #expect(event.url == url)
            #expect(event.record == RecordOptions(beep: true, format: "wav", stereo: true, endSilenceTimeout: 2).json)
            let file = try #require(h.engine.file(named: CallEngine.recordingFile(id, "rec-1")))
            guard case .wav(let seconds, let channels) = file else {
                Issue.record("not a WAV: \(file)")
                return
            }
            #expect(seconds == 6)
            #expect(channels == 2)
            #expect(file.bytes.count == 192_044)
            #expect(Array(file.bytes.prefix(4)) == Array("RIFF".utf8))
        }

        @Test("mono by default: 10 s message + 1 s end silence")
        func defaults() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.human)
            h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions())))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["2.0 record r recording", "13.0 record r finished 11.0s 176044B"])
        }

        @Test("no_input for a fax party (after initial_timeout, 5 s by default) and for a silent party; no file")
        func noInput() {
            let h = EngineHarness()
            let fax = h.answeredInbound(behavior: PartyBehavior(kind: .fax))
            h.run(.record(RecordCommand(component: h.component(fax, "r"), record: RecordOptions())))
            h.runUntilIdle()
            #expect(h.lines(call: fax).suffix(2) == ["0.0 record r recording", "5.0 record r no_input"])

            let silent = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 0), from: "+15551239999")
            h.run(.record(RecordCommand(component: h.component(silent, "q"), record: RecordOptions(initialTimeout: 2))))
            h.runUntilIdle()
            #expect(h.lines(call: silent).suffix(2) == ["5.0 record q recording", "7.0 record q no_input"])
            guard case .record(let event) = h.events(of: silent).last?.event else {
                Issue.record("no record event")
                return
            }
            #expect(event.url == "http://127.0.0.1:8080/files/" + CallEngine.recordingFile(silent, "q"))
            #expect(event.duration == nil && event.size == nil)
            #expect(h.engine.files.isEmpty)
        }

        @Test("stop: finished with what was recorded so far")
        func stop() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions())))
            h.advance(to: 3)
            #expect(try h.run(method: "calling.record.stop", h.ids(id, ["control_id": "r"])).message == "Stop ok")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["0.0 record r recording", "3.0 record r finished 3.0s 48044B"])
            #expect(h.engine.file(named: CallEngine.recordingFile(id, "r")) != nil)
        }

        @Test("an invalid format or direction is refused with 400 and no events")
        func invalid() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let format = h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions(format: "ogg"))))
            #expect(format.code == "400")
            #expect(format.message == "Invalid record format 'ogg': use mp3 or wav")
            #expect(h.lastEffects.isEmpty)
            let direction = h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions(direction: "up"))))
            #expect(direction.code == "400")
            #expect(direction.message == "Invalid record direction 'up': use listen, speak or both")
            #expect(h.lastEffects.isEmpty)
            for ok in ["listen", "speak", "both"] {
                #expect(h.run(.record(RecordCommand(component: h.component(id, ok), record: RecordOptions(format: "mp3", direction: ok)))).code == "200")
            }
        }

        @Test("a hostile control_id is percent-encoded in the URL and the file name", arguments: [
            ("../../x", "..%2F..%2Fx"), ("..", "%2E%2E"), (".", "%2E"), ("a/b c", "a%2Fb%20c"), ("é?#", "%C3%A9%3F%23"),
        ])
        func hostileControlID(controlID: String, encoded: String) {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 1))
            let url = h.run(.record(RecordCommand(component: h.component(id, controlID), record: RecordOptions()))).members["url"]?.stringValue ?? ""
            #expect(url == "http://127.0.0.1:8080/files/recordings/\(id)-\(encoded).wav")
            #expect(!url.contains("/../"))
            #expect(!url.dropFirst("http://".count).contains("//"))
            h.runUntilIdle()
            #expect(h.engine.file(named: "recordings/\(id)-\(encoded).wav") != nil)
            #expect(h.engine.file(named: "recordings/\(id)-\(controlID).wav") == nil || controlID == encoded)
        }

        @Test("two calls recording with the same control_id get their own URLs and files")
        func sameControlIDOnTwoCalls() {
            let h = EngineHarness()
            let a = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 2))
            let b = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 6), from: "+15551239999")
            let urlA = h.run(.record(RecordCommand(component: h.component(a, "rec"), record: RecordOptions()))).members["url"]?.stringValue ?? ""
            let urlB = h.run(.record(RecordCommand(component: h.component(b, "rec"), record: RecordOptions()))).members["url"]?.stringValue ?? ""
            h.runUntilIdle()
            #expect(h.lines(call: a).last == "3.0 record rec finished 3.0s 48044B")
            #expect(h.lines(call: b).last == "7.0 record rec finished 7.0s 112044B")
            #expect(urlA != urlB)
            #expect(h.engine.recordingDuration(url: urlA) == 3)
        }

        @Test("beyond the file limit the oldest file is the one forgotten")
        func fileLimit() {
            let h = EngineHarness()
            var id = ""
            var callOf: [Int: String] = [:]
            for index in 0...CallEngine.fileLimit {
                // A new call every 50 recordings keeps each call small.
                if index % 50 == 0 { id = h.answeredInbound() }
                callOf[index] = id
                h.run(.record(RecordCommand(component: h.component(id, "r\(index)"), record: RecordOptions())))
                h.run(.control(.record, .stop, h.component(id, "r\(index)")))
            }
            func file(_ index: Int) -> GeneratedFile? { h.engine.file(named: CallEngine.recordingFile(callOf[index] ?? "", "r\(index)")) }
            #expect(file(CallEngine.fileLimit) != nil)
            #expect(file(0) == nil)
            let kept = (0...CallEngine.fileLimit).filter { file($0) != nil }.count
            #expect(kept == CallEngine.fileLimit)
        }

        @Test("a control_id reused after a stop: the earlier recording's timer must not finish the new one")
        func reusedControlIDAfterStop() {
            let h = EngineHarness()
            let id = h.answeredInbound()  // talks 10 s: finished at 11 s
            h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions())))
            h.advance(to: 1)
            h.run(.control(.record, .stop, h.component(id, "r")))
            h.advance(to: 2)
            h.run(.record(RecordCommand(component: h.component(id, "r"), record: RecordOptions())))
            h.runUntilIdle()
            let finished = h.lines(call: id).filter { $0.contains("finished") }
            #expect(finished == ["1.0 record r finished 1.0s 16044B", "13.0 record r finished 11.0s 176044B"])
        }
    }
}

// MARK: - calling.detect

extension CallEngineTests {
    @Suite("calling.detect")
    struct Detect {
        @Test("machine detection on a human: HUMAN at 1.5 s, finished at the timeout")
        func human() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.human)
            let result = h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .machine(), timeout: 10)))
            #expect(result.message == "Detecting")
            #expect(result.members == ["control_id": "d", "call_id": .string(id)])
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["3.5 detect d machine HUMAN", "12.0 detect d machine finished"])
        }

        @Test("machine detection on an answering machine: MACHINE, NOT_READY, READY at the end of the greeting; 30 s by default")
        func machine() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.machine)
            try h.run(method: "calling.detect", h.ids(id, ["control_id": "d", "detect": ["type": "machine", "params": ["initial_timeout": 4]]]))
            h.runUntilIdle()
            #expect(
                h.lines(call: id).suffix(4) == [
                    "3.5 detect d machine MACHINE", "4.5 detect d machine NOT_READY", "6.0 detect d machine READY", "32.0 detect d machine finished",
                ])
        }

        @Test("READY comes at the end of the greeting and not at all after the timeout", arguments: [(3.0, 20.0, true, 3.0), (10, 8, false, 0)])
        func greeting(greeting: Double, timeout: Double, ready: Bool, readyAt: Double) {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(kind: .machine, greetingSeconds: greeting))
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .machine(), timeout: timeout)))
            h.runUntilIdle()
            let expected = ["1.5 detect d machine MACHINE", "2.5 detect d machine NOT_READY"]
                + (ready ? ["\(EngineHarness.format(readyAt)) detect d machine READY"] : [])
                + ["\(EngineHarness.format(timeout)) detect d machine finished"]
            #expect(Array(h.lines(call: id).dropFirst(2)) == expected)
        }

        @Test("machine detection on a fax machine: UNKNOWN")
        func machineOnFax() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .machine(), timeout: 5)))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["3.5 detect d machine UNKNOWN", "7.0 detect d machine finished"])
        }

        @Test("fax tones: CED from a dialled fax machine, CNG from a calling one; a tone asked for that is not heard: only finished")
        func faxTones() throws {
            let h = EngineHarness()
            let out = h.answeredOutbound(to: Phone.fax)
            h.run(.detect(DetectCommand(component: h.component(out, "any"), detect: .fax(), timeout: 5)))
            h.run(.detect(DetectCommand(component: h.component(out, "ced"), detect: .fax(tone: "CED"), timeout: 5)))
            try h.run(method: "calling.detect", h.ids(out, ["control_id": "cng", "timeout": 5, "detect": ["type": "fax", "params": ["tone": "CNG"]]]))
            h.runUntilIdle()
            #expect(
                h.lines(call: out).suffix(5) == [
                    "3.0 detect any fax CED", "3.0 detect ced fax CED",
                    "7.0 detect any fax finished", "7.0 detect ced fax finished", "7.0 detect cng fax finished",
                ])

            let inbound = h.answeredInbound(behavior: PartyBehavior(kind: .fax))
            h.run(.detect(DetectCommand(component: h.component(inbound, "d"), detect: .fax(), timeout: 5)))
            h.runUntilIdle()
            #expect(h.lines(call: inbound).suffix(2) == ["8.0 detect d fax CNG", "12.0 detect d fax finished"])

            let human = h.answeredInbound(from: "+15551239999")
            h.run(.detect(DetectCommand(component: h.component(human, "d"), detect: .fax(), timeout: 5)))
            h.runUntilIdle()
            #expect(h.lines(call: human).suffix(1) == ["17.0 detect d fax finished"])
        }

        @Test("digit detection hears the caller's next digits 0.3 s apart, only the allowed ones, and consumes them")
        func digits() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: ["1#9", "42"]))
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .digit(digits: "0123456789"), timeout: 5)))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(3) == ["1.0 detect d digit 1", "1.3 detect d digit 9", "5.0 detect d digit finished"])
            h.run(.detect(DetectCommand(component: h.component(id, "all"), detect: .digit(), timeout: 5)))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(3) == ["6.0 detect all digit 4", "6.3 detect all digit 2", "10.0 detect all digit finished"])
            // Both strings are used up: a prompt now hears nothing.
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, "p"), media: [.silence(duration: 0)], collect: CollectOptions(digits: .init()))))
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "15.0 collect p no_input")
        }

        @Test("digit detection with every key allowed hears # and * too")
        func allKeys() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: ["1#*"]))
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .digit(), timeout: 2)))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(4) == ["1.0 detect d digit 1", "1.3 detect d digit #", "1.6 detect d digit *", "2.0 detect d digit finished"])
        }

        @Test("a negative timeout finishes the detector at once (the engine asks for a negative delay, the clock makes it 0; current behaviour)")
        func negativeTimeout() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.machine)
            #expect(try h.run(method: "calling.detect", h.ids(id, ["control_id": "d", "timeout": -5, "detect": ["type": "machine"]])).code == "200")
            #expect(h.timerDelays.last == -5)
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "2.0 detect d machine finished")
        }

        @Test("stop: finished at once; the detector's later events never come")
        func stop() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.machine)
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: .machine())))
            h.advance(to: 4)
            #expect(try h.run(method: "calling.detect.stop", h.ids(id, ["control_id": "d"])).message == "Stop ok")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["3.5 detect d machine MACHINE", "4.0 detect d machine finished"])
        }
    }
}

// MARK: - calling.send_fax and calling.receive_fax

extension CallEngineTests {
    @Suite("calling.send_fax and calling.receive_fax")
    struct Fax {
        @Test("sending to a fax machine: one page every 2 s (pages from ?pages=), then finished success")
        func send() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            let result = try h.run(
                method: "calling.send_fax", h.ids(id, ["control_id": "f", "document": "https://example.com/doc.pdf?pages=3", "identity": "+15550001000"]))
            #expect(result.code == "200")
            #expect(result.message == "Sending fax")
            h.runUntilIdle()
            #expect(
                h.lines(call: id).suffix(4) == [
                    "4.0 fax f page 1 send", "6.0 fax f page 2 send", "8.0 fax f page 3 send", "8.0 fax f finished success=true pages=3",
                ])
            guard case .fax(let finished) = h.events(of: id).last?.event else {
                Issue.record("no fax event")
                return
            }
            #expect(
                finished.params == [
                    "direction": "send", "identity": "+15550001000", "remote_identity": "+12015550105", "document": "https://example.com/doc.pdf?pages=3",
                    "pages": 3, "success": true, "result": 0, "result_text": "OK", "format": "T.4",
                ])
        }

        @Test("a document without ?pages= is one page")
        func onePage() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            h.run(.sendFax(SendFaxCommand(component: h.component(id, "f"), document: "http://example.com/doc.pdf")))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["4.0 fax f page 1 send", "4.0 fax f finished success=true pages=1"])
        }

        @Test("receiving from a fax party: its pages, then a PDF the server serves; sending that PDF on sends as many pages")
        func receive() throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(kind: .fax, faxPages: 3))
            let result = try h.run(method: "calling.receive_fax", h.ids(id, ["control_id": "rx"]))
            #expect(result.message == "Receiving fax")
            h.runUntilIdle()
            #expect(
                h.lines(call: id).suffix(4) == [
                    "2.0 fax rx page 1 receive", "4.0 fax rx page 2 receive", "6.0 fax rx page 3 receive", "6.0 fax rx finished success=true pages=3",
                ])
            guard case .fax(let finished) = h.events(of: id).last?.event else {
                Issue.record("no fax event")
                return
            }
            let document = "http://127.0.0.1:8080/files/" + CallEngine.faxFile(id, "rx")
            #expect(finished.params["document"] == .string(document))
            #expect(finished.params["direction"] == "receive")
            #expect(finished.params["identity"] == "+15557770000")
            #expect(finished.params["remote_identity"] == "+15551230000")
            let file = try #require(h.engine.file(named: CallEngine.faxFile(id, "rx")))
            guard case .pdf(let pages, let title) = file else {
                Issue.record("not a PDF: \(file)")
                return
            }
            #expect(pages == 3)
            #expect(title == "Fax from +15551230000")
            #expect(Array(file.bytes.prefix(5)) == Array("%PDF-".utf8))

            let out = h.answeredOutbound(to: Phone.fax)
            h.run(.sendFax(SendFaxCommand(component: h.component(out, "tx"), document: document)))
            h.runUntilIdle()
            #expect(h.lines(call: out).last == "14.0 fax tx finished success=true pages=3")
        }

        @Test("to a party that is not a fax machine: finished, success false (5 s sending, 10 s receiving)")
        func notAFax() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.human)
            h.run(.sendFax(SendFaxCommand(component: h.component(id, "tx"), document: "https://example.com/a.pdf")))
            h.run(.receiveFax(h.component(id, "rx")))
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["7.0 fax tx finished success=false pages=0", "12.0 fax rx finished success=false pages=0"])
            guard case .fax(let event) = h.events(of: id).last?.event else {
                Issue.record("no fax event")
                return
            }
            #expect(event.params["result_text"] == "No fax machine answered")
            #expect(event.params["result"] == 1)
            #expect(h.engine.files.isEmpty)
        }

        @Test("stop: finished, success false, with the pages so far")
        func stop() throws {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            h.run(.sendFax(SendFaxCommand(component: h.component(id, "tx"), document: "https://example.com/a.pdf?pages=3")))
            h.advance(to: 5)
            #expect(h.run(.control(.sendFax, .stop, h.component(id, "tx"))).message == "Stop ok")
            let rx = h.answeredInbound(behavior: PartyBehavior(kind: .fax))
            h.run(.receiveFax(h.component(rx, "rx")))
            h.advance(to: 6)
            #expect(try h.run(method: "calling.receive_fax.stop", h.ids(rx, ["control_id": "rx"])).message == "Stop ok")
            h.runUntilIdle()
            #expect(h.lines(call: id).suffix(2) == ["4.0 fax tx page 1 send", "5.0 fax tx finished success=false pages=1"])
            #expect(h.lines(call: rx).suffix(1) == ["6.0 fax rx finished success=false pages=0"])
            guard case .fax(let event) = h.events(of: id).last?.event else {
                Issue.record("no fax event")
                return
            }
            #expect(event.params["result_text"] == "Fax stopped")
            #expect(h.engine.files.isEmpty)
        }

        @Test("a document that is not an http(s) URL is refused")
        func invalidDocument() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            let result = h.run(.sendFax(SendFaxCommand(component: h.component(id, "tx"), document: "file:///etc/passwd")))
            #expect(result.code == "400")
            #expect(result.message == "Missing or invalid 'document' (an http(s) URL of a PDF)")
            #expect(h.lastEffects.isEmpty)
        }
    }
}

// MARK: - calling.send_digits

extension CallEngineTests {
    @Suite("calling.send_digits")
    struct SendDigits {
        @Test("finished after 0.1 s a key, 0.5 s a w and 1 s a W", arguments: [
            ("123", 0.3), ("1w2W3", 1.8), ("abcd", 0.4), ("ABCD*#0", 0.7), ("W", 1.0), ("ww", 1.0), ("9", 0.1),
        ])
        func duration(digits: String, seconds: Double) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            let result = h.run(.sendDigits(SendDigitsCommand(component: h.component(id, "dt"), digits: digits)))
            #expect(result.code == "200")
            #expect(result.message == "Sending digits")
            h.advance(to: seconds - 0.001)
            #expect(h.lines(since: mark).isEmpty)
            h.runUntilIdle()
            #expect(h.lines(since: mark) == ["\(EngineHarness.format(seconds)) call1 send_digits dt finished"])
            #expect(same(h.time(of: "send_digits dt finished", call: id), seconds))
        }

        @Test("from JSON")
        func fromJSON() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            #expect(try h.run(method: "calling.send_digits", h.ids(id, ["control_id": "dt", "digits": "1w2"])).code == "200")
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "0.7 send_digits dt finished")
        }

        @Test("anything but DTMF keys and pauses is refused", arguments: ["12x", "", "1 2", "e", "1-2", "１"])
        func invalid(digits: String) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = h.run(.sendDigits(SendDigitsCommand(component: h.component(id, "dt"), digits: digits)))
            #expect(result.code == "400")
            #expect(result.message == "Invalid digits '\(digits)': \(SendDigitsCommand.rule)")
            #expect(h.lastEffects.isEmpty)
        }
    }
}

// MARK: - calling.tap

extension CallEngineTests {
    @Suite("calling.tap")
    struct Tap {
        @Test("rtp to a loopback address: tapping, a startTap effect; stop: stopTap then finished")
        func rtpLoopback() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let device = TapDevice.rtp(address: "127.0.0.1", port: 5004, ptime: 30)
            let result = h.run(.tap(TapCommand(component: h.component(id, "t1"), direction: "listen", device: device)))
            #expect(result.code == "200")
            #expect(result.message == "Tapping")
            let source = try #require(result.members["source_device"])
            #expect(source["type"] == "rtp")
            #expect(source[path: "params", "addr"] == "127.0.0.1")
            #expect(source[path: "params", "codec"] == "PCMU")
            #expect(source[path: "params", "rate"] == 8000)
            let port = try #require(source[path: "params", "port"]?.intValue)
            #expect((40000..<60000).contains(port) && port % 2 == 0)
            #expect(h.lastEffects.contains(.startTap(key: "call1/t1", .rtp(host: "127.0.0.1", port: 5004, format: TapFormat(codec: .pcmu, rate: 8000, ptime: 30)))))
            guard case .tap(let tapping) = h.events(of: id).last?.event else {
                Issue.record("no tap event")
                return
            }
            #expect(tapping.state == "tapping")
            #expect(tapping.tap == ["type": "audio", "params": ["direction": "listen"]])
            #expect(tapping.device == device.json)
            h.advance(to: 3)
            #expect(try h.run(method: "calling.tap.stop", h.ids(id, ["control_id": "t1"])).message == "Stop ok")
            #expect(h.lastEffects.count == 2)
            #expect(h.lastEffects.first == .stopTap(key: "call1/t1"))
            #expect(h.lines(call: id).suffix(2) == ["0.0 tap t1 tapping", "3.0 tap t1 finished"])
            #expect(h.tapEffects.map(\.time) == [0, 3])
        }

        @Test("rtp loopback hosts (ptime 20 by default) start a tap; other hosts only get events", arguments: [
            ("127.0.0.1", true), ("127.9.9.9", true), ("localhost", true), ("::1", true), ("203.0.113.5", false), ("example.com", false),
        ])
        func rtpHosts(host: String, loopback: Bool) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = h.run(.tap(TapCommand(component: h.component(id, "t"), direction: "both", device: .rtp(address: host, port: 4000))))
            #expect(result.code == "200")
            #expect(h.tapEffects.map(\.effect) == (loopback ? [.startTap(key: "call1/t", .rtp(host: host, port: 4000, format: .standard))] : []))
            #expect(h.lines(call: id).last == "0.0 tap t tapping")
        }

        @Test("ws to a loopback ws:// URI starts a tap; the source device is the server's own ws URI")
        func webSocket() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = try h.run(
                json: """
                    {"method": "calling.tap", "params": {"call_id": "\(id)", "node_id": "node1", "control_id": "t/1",
                     "tap": {"type": "audio", "params": {"direction": "speak"}}, "device": {"type": "ws", "params": {"uri": "ws://127.0.0.1:9000/media"}}}}
                    """)
            #expect(result.code == "200")
            #expect(result.members["source_device"] == ["type": "ws", "params": ["uri": "ws://127.0.0.1:8080/tap/t%2F1", "codec": "PCMU", "rate": 8000]])
            #expect(h.tapEffects.map(\.effect) == [.startTap(key: "call1/t/1", .webSocket(uri: "ws://127.0.0.1:9000/media", format: .standard))])
            for (control, uri) in [("wss", "wss://127.0.0.1:9000/media"), ("remote", "ws://example.com/media")] {
                #expect(h.run(.tap(TapCommand(component: h.component(id, control), direction: "both", device: .ws(uri: uri)))).code == "200")
            }
            #expect(h.tapEffects.count == 1)
        }

        @Test("stopping a tap that streams nowhere still emits finished (and a harmless stopTap)")
        func stopNonLoopback() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.tap(TapCommand(component: h.component(id, "t"), direction: "both", device: .rtp(address: "203.0.113.5", port: 4000))))
            h.advance(to: 2)
            h.run(.control(.tap, .stop, h.component(id, "t")))
            #expect(h.lines(call: id).suffix(2) == ["0.0 tap t tapping", "2.0 tap t finished"])
            #expect(h.tapEffects.map(\.effect) == [.stopTap(key: "call1/t")])
        }

        @Test("the ws source URI follows the server's scheme")
        func sourceScheme() {
            let h = EngineHarness(baseURL: "https://relay.example")
            let id = h.answeredInbound()
            let result = h.run(.tap(TapCommand(component: h.component(id, "t"), direction: "both", device: .ws(uri: "ws://127.0.0.1:1/"))))
            #expect(result.members["source_device"]?[path: "params", "uri"] == "wss://relay.example/tap/t")
        }

        @Test("the ws source URI keeps a host name that contains 'http'")
        func sourceHostContainingHTTP() {
            let h = EngineHarness(baseURL: "http://httpbin.local:8080")
            let id = h.answeredInbound()
            let result = h.run(.tap(TapCommand(component: h.component(id, "t"), direction: "both", device: .ws(uri: "ws://127.0.0.1:1/"))))
            #expect(result.members["source_device"]?[path: "params", "uri"] == "ws://httpbin.local:8080/tap/t")
        }

        static let invalid: [(String, TapDevice, String)] = [
            ("both", TapDevice(type: "sip", params: [:]), "Invalid tap device type 'sip': use rtp or ws"),
            ("both", TapDevice(type: "rtp", params: ["addr": "127.0.0.1"]), "An rtp tap device needs 'addr' and 'port'"),
            ("both", TapDevice(type: "rtp", params: ["port": 4000]), "An rtp tap device needs 'addr' and 'port'"),
            ("both", .rtp(address: "127.0.0.1", port: 0), "An rtp tap device needs 'addr' and 'port'"),
            ("both", .rtp(address: "127.0.0.1", port: 70000), "An rtp tap device needs 'addr' and 'port'"),
            ("both", .ws(uri: "http://127.0.0.1/"), "A ws tap device needs 'uri' (ws:// or wss://)"),
            ("both", TapDevice(type: "ws", params: [:]), "A ws tap device needs 'uri' (ws:// or wss://)"),
            ("sideways", .rtp(address: "127.0.0.1", port: 4000), "Invalid tap direction 'sideways': use listen, speak or both"),
        ]

        @Test("an invalid device or direction is refused with 400, no events and no effects", arguments: invalid)
        func invalidDevice(direction: String, device: TapDevice, message: String) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = h.run(.tap(TapCommand(component: h.component(id, "t"), direction: direction, device: device)))
            #expect(result.code == "400")
            #expect(result.message == message)
            #expect(h.lastEffects.isEmpty)
        }
    }
}

// MARK: - Calls that do not exist, projects, sessions

extension CallEngineTests {
    @Suite("unknown calls, projects and sessions")
    struct Ownership {
        static func everyVerb(_ call: CallAddress) -> [RelayCommand] {
            let component = ComponentAddress(call: call, controlID: "c")
            return [
                .answer(CallCommand(call: call)), .end(EndCommand(call: call)), .pass(CallCommand(call: call)),
                .connect(ConnectCommand(call: call, devices: [[.phone(from: Phone.caller, to: Phone.human)]])), .disconnect(CallCommand(call: call)),
                .play(PlayCommand(component: component, media: [.silence(duration: 1)])),
                .playAndCollect(PlayAndCollectCommand(component: component, media: [.silence(duration: 1)], collect: CollectOptions(digits: .init()))),
                .record(RecordCommand(component: component, record: RecordOptions())),
                .detect(DetectCommand(component: component, detect: .machine())),
                .sendFax(SendFaxCommand(component: component, document: "https://example.com/a.pdf")), .receiveFax(component),
                .sendDigits(SendDigitsCommand(component: component, digits: "1")),
                .tap(TapCommand(component: component, direction: "both", device: .rtp(address: "127.0.0.1", port: 4000))),
                .control(.play, .stop, component), .control(.play, .volume(1), component),
            ]
        }

        @Test("every verb on an unknown call: 404 Call does not exist, nothing happens")
        func unknownCall() {
            let h = EngineHarness()
            h.answeredInbound()
            for command in Self.everyVerb(CallAddress(nodeID: nil, callID: "no-such-call")) {
                let result = h.run(command)
                #expect(result.code == "404", "\(command)")
                #expect(result.message == "Call does not exist", "\(command)")
                #expect(h.lastEffects.isEmpty)
            }
            let missing = h.run(.answer(CallCommand(call: CallAddress(nodeID: nil, callID: nil))))
            #expect(missing.code == "400")
            #expect(missing.message == "Missing 'call_id'")
        }

        @Test("every verb on another project's call: 404, and the call keeps its owner")
        func otherProject() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            for command in Self.everyVerb(h.call(id)) {
                let result = h.run(command, session: "intruder", project: RelayProject(id: "project-b", token: "token-b"))
                #expect(result.code == "404", "\(command)")
                #expect(result.message == "Call does not exist", "\(command)")
            }
            #expect(h.snapshot(id)?.owner == "s1")
            #expect(h.snapshot(id)?.state == .answered)
            #expect(h.lines(session: "s1", since: mark).isEmpty)
            #expect(h.engine.snapshots(project: "project-b").isEmpty)
            #expect(h.engine.snapshots(project: "project-a").map(\.1.id) == [id])
        }

        @Test("a session expiring hangs up the calls it owns, components first; other sessions' calls go on")
        func sessionExpiry() {
            let h = EngineHarness()
            let mine = h.answeredOutbound(to: Phone.human, session: "s1", tag: "a")
            h.run(.play(PlayCommand(component: h.component(mine, "p"), media: [.silence(duration: 60)])), session: "s1")
            let ringing = h.dial(to: Phone.never, tag: "b", session: "s1")
            let theirs = h.answeredOutbound(to: Phone.human, session: "s2", tag: "c")
            h.advance(to: 5)
            let mark = h.mark
            h.expire("s1")
            #expect(
                h.lines(session: "s1", since: mark) == [
                    "5.0 call1 play p error", "5.0 call1 state ending hangup", "5.0 call1 state ended hangup", "5.0 call2 state ended hangup",
                ])
            #expect(h.snapshot(ringing)?.endReason == "hangup")
            #expect(h.snapshot(theirs)?.state == .answered)
            h.runUntilIdle()
            #expect(h.lines(session: "s2", since: mark).isEmpty)
        }

        @Test("an offered, unanswered inbound call of an expired session is hung up, not offered again (current behaviour)")
        func expiryOfOfferedCall() {
            let h = EngineHarness()
            h.receivers = [("project-a", "office", "s1"), ("project-a", "office", "s2")]
            let id = h.inject().id
            h.advance(to: 1)
            h.expire("s1")
            #expect(h.lines(session: "s1") == ["0.0 call1 receive created", "1.0 call1 state ended hangup"])
            #expect(h.events(for: "s2").isEmpty)
            #expect(h.snapshot(id)?.endReason == "hangup")
        }

        @Test("another session of the project driving a call takes its events (a reconnected client), even with a refused command")
        func ownershipFollowsTheDriver() {
            let h = EngineHarness()
            let id = h.answeredInbound(session: "s1")
            let refused = h.run(.play(PlayCommand(component: h.component(id, "p"), media: [])), session: "s2")
            #expect(refused.code == "400")
            #expect(h.snapshot(id)?.owner == "s2")
            h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.silence(duration: 1)])), session: "s2")
            h.runUntilIdle()
            #expect(h.lines(session: "s2") == ["0.0 call1 play p playing", "1.0 call1 play p finished"])
        }

        @Test("the oldest ended calls are forgotten beyond the history limit; live calls never are")
        func historyLimit() {
            let h = EngineHarness(historyLimit: 2)
            let live = h.dial(to: Phone.never, timeout: 100)
            let first = h.dial(to: Phone.unroutable)
            h.advance(to: 1)
            let second = h.dial(to: Phone.unroutable)
            h.advance(to: 2)
            let third = h.dial(to: Phone.human)
            // Each new call beyond the limit forgets the oldest ended one: `first` went when
            // `second` was dialled, `second` when `third` was; the live call stays.
            #expect(h.snapshot(live) != nil)
            #expect(h.snapshot(first) == nil)
            #expect(h.snapshot(second) == nil)
            #expect(h.snapshot(third) != nil)
            #expect(h.run(.end(EndCommand(call: h.call(first)))).code == "404")
            #expect(h.engine.snapshots(project: nil).map(\.0) == [1, 4])
        }
    }
}
