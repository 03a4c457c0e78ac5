import RelayWire
import Testing

@testable import RelayServer

/// Which outbound calls the engine hands to the SIP edge, and how the edge's outcome lands.
@Suite struct CallEngineSIPTests {
    static let realDevice = Device.sip(from: "sip:bot@127.0.0.1", to: "sip:alice@127.0.0.1:5070", timeout: 7)

    @Test func aReachableSIPDeviceIsInvitedForRealAndItsAnswerLands() {
        let h = EngineHarness()
        h.sipEdgeRunning = true
        let result = h.run(.begin(BeginCommand(tag: "t", device: Self.realDevice)))
        let id = result.members["call_id"]?.stringValue ?? ""
        #expect(h.sipInvites == [.sipInvite(callID: id, uri: "sip:alice@127.0.0.1:5070", from: "sip:bot@127.0.0.1", timeout: 7)])
        #expect(h.snapshot(id)?.state == .ringing)
        #expect(h.pendingTimers.isEmpty, "no simulated outcome: the edge reports it")
        h.sipResolved(id, .answer)
        #expect(h.snapshot(id)?.state == .answered)
    }

    @Test(arguments: [(DialOutcome.busy, "busy"), (.noAnswer, "noAnswer"), (.failure, "error")])
    func theEdgesOutcomeEndsTheCall(outcome: DialOutcome, reason: String) {
        let h = EngineHarness()
        h.sipEdgeRunning = true
        let id = h.run(.begin(BeginCommand(tag: "t", device: Self.realDevice))).members["call_id"]?.stringValue ?? ""
        h.sipResolved(id, outcome)
        #expect(h.snapshot(id)?.state == .ended && h.snapshot(id)?.endReason == reason)
    }

    @Test func withoutTheEdgeOrForScriptedAddressesCallsStaySimulated() {
        let off = EngineHarness()
        off.run(.begin(BeginCommand(tag: "t", device: Self.realDevice)))
        #expect(off.sipInvites.isEmpty && !off.pendingTimers.isEmpty)

        let scripted = EngineHarness()
        scripted.sipEdgeRunning = true
        scripted.world.numbers["sip:alice@127.0.0.1:5070"] = PartyBehavior(answer: .busy)
        scripted.run(.begin(BeginCommand(tag: "t", device: Self.realDevice)))
        #expect(scripted.sipInvites.isEmpty)

        let mapped = EngineHarness()
        mapped.sipEdgeRunning = true
        mapped.world.sipURIs["+15550003333"] = "sip:alice@127.0.0.1:5070"
        mapped.dial(to: "+15550003333")
        mapped.dial(to: "+12015550100", tag: "t2")
        #expect(mapped.sipInvites.count == 1, "only the mapped number is real")
    }
}
