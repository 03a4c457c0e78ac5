import RelayWire
import Testing

@testable import RelayServer

/// The calling side (UAC) of the SIP state machine, driven response by response and timer by
/// timer, with no I/O.
@Suite struct SIPUserAgentOutboundTests {
    static let callee = SIPPeer(host: "127.0.0.1", port: 5070)
    static let target = SIPURI("sip:alice@127.0.0.1:5070")!
    static let offer = SessionDescription.offer(address: "127.0.0.1", port: 30000, sessionID: 7)

    typealias Effect = SIPUserAgent.Effect

    static func sent(_ effects: [Effect]) -> [(SIPMessage, SIPPeer)] {
        effects.compactMap { if case .send(let message, let peer) = $0 { return (message, peer) } else { return nil } }
    }

    static func timer(_ kind: SIPTimer.Kind, in effects: [Effect]) -> (SIPTimer, Double)? {
        effects.lazy.compactMap { if case .schedule(let timer, let after) = $0, timer.kind == kind { return (timer, after) } else { return nil } }.first
    }

    /// A response of the callee to `request`, with its tag, a Contact and (for 2xx) an SDP answer.
    static func response(to request: SIPMessage, _ status: Int, _ reason: String = "X", sdp: String? = nil) -> [UInt8] {
        var message = request.response(status, reason, toTag: "callee1")
        message.headers.add("Contact", "<sip:alice@127.0.0.1:5071>")
        if let sdp {
            message.headers.add("Content-Type", "application/sdp")
            message.body = Array(sdp.utf8)
        }
        return message.serialized()
    }

    static let answerSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6100 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"

    /// A fresh agent and the INVITE it sent.
    static func dialled(ringTimeout: Double = 30) throws -> (SIPUserAgent, SIPMessage, String, [Effect]) {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        let placed = agent.invite(to: target, from: "+12015550100", sdp: offer, ringTimeout: ringTimeout)
        let (callID, effects) = try #require(placed)
        let (invite, peer) = try #require(sent(effects).first)
        #expect(peer == callee)
        return (agent, invite, callID, effects)
    }

    @Test func inviteIsResentUntilARingThenAnsweredAcknowledgedAndHungUpByUs() throws {
        var (agent, invite, callID, effects) = try Self.dialled()
        #expect(invite.method == "INVITE" && invite.requestURI == "sip:alice@127.0.0.1:5070")
        #expect(invite.headers["To"] == "<sip:alice@127.0.0.1:5070>" && invite.cseq?.number == 1 && invite.headers["Contact"] != nil)
        #expect(SIPNameAddress(invite.headers["From"]!)?.tag != nil && SIPNameAddress(invite.headers["From"]!)?.uri == "sip:+12015550100@127.0.0.1:5060")
        let offer = try SessionDescription(parsing: invite.body)
        #expect(offer.audio?.payloadTypes == [0, 8, 101] && offer.audio?.ptime == 20 && offer.audio?.port == 30000)
        #expect(Self.timer(.inviteTimeout, in: effects)?.1 == 32 && Self.timer(.ringTimeout, in: effects)?.1 == 30)

        // Timer A: resent at T1, 2·T1, …
        let timerA = try #require(Self.timer(.inviteRetransmit, in: effects))
        #expect(timerA.1 == SIPTimerValues.t1)
        let resent = agent.fire(timerA.0)
        #expect(Self.sent(resent).first?.0 == invite && Self.timer(.inviteRetransmit, in: resent)?.1 == 2 * SIPTimerValues.t1)

        #expect(agent.receive(Self.response(to: invite, 100), from: Self.callee).isEmpty)
        #expect(agent.fire(timerA.0).isEmpty, "a provisional response stops the resending")
        #expect(agent.receive(Self.response(to: invite, 180), from: Self.callee) == [.outboundRinging(callID: callID)])
        #expect(agent.receive(Self.response(to: invite, 180), from: Self.callee).isEmpty, "one ring reported")

        let answered = agent.receive(Self.response(to: invite, 200, sdp: Self.answerSDP), from: Self.callee)
        let (ack, ackPeer) = try #require(Self.sent(answered).first)
        #expect(ack.method == "ACK" && ack.cseq?.number == 1 && ack.requestURI == "sip:alice@127.0.0.1:5071")
        #expect(ackPeer == SIPPeer(host: "127.0.0.1", port: 5071), "in-dialog requests go to the Contact")
        #expect(SIPNameAddress(ack.headers["To"]!)?.tag == "callee1")
        #expect(SIPVia(ack.headers["Via"]!)?.branch != SIPVia(invite.headers["Via"]!)?.branch, "the ACK of a 2xx is a transaction of its own")
        guard case .outboundAnswered(callID, let negotiated)? = answered.last else { throw TestFailure("not answered: \(answered)") }
        #expect(negotiated.codec == .pcma && negotiated.telephoneEventPayloadType == 101 && negotiated.remote?.port == 6100)

        // A retransmitted 2xx is acknowledged again, and nothing else happens.
        let again = agent.receive(Self.response(to: invite, 200, sdp: Self.answerSDP), from: Self.callee)
        #expect(Self.sent(again).map(\.0) == [ack] && again.count == 1)
        let ring = try #require(Self.timer(.ringTimeout, in: effects))
        #expect(agent.fire(ring.0).isEmpty, "an answered call does not time out")

        let hangUp = agent.hangUp(callID)
        let (bye, byePeer) = try #require(Self.sent(hangUp).first)
        #expect(bye.method == "BYE" && bye.cseq?.number == 2 && byePeer.port == 5071)
        #expect(SIPNameAddress(bye.headers["To"]!)?.tag == "callee1" && bye.headers["From"] == invite.headers["From"])
        let resend = try #require(Self.timer(.byeRetransmit, in: hangUp))
        #expect(Self.sent(agent.fire(resend.0)).first?.0.method == "BYE")
        let ended = agent.receive(bye.response(200, "OK").serialized(), from: Self.callee)
        #expect(ended.first == .ended(callID: callID, reason: .localHangup))
    }

    @Test func busyIsAcknowledgedInTheInviteTransaction() throws {
        var (agent, invite, callID, _) = try Self.dialled()
        _ = agent.receive(Self.response(to: invite, 180), from: Self.callee)
        let busy = agent.receive(Self.response(to: invite, 486, "Busy Here"), from: Self.callee)
        let (ack, peer) = try #require(Self.sent(busy).first)
        #expect(ack.method == "ACK" && peer == Self.callee && ack.requestURI == invite.requestURI)
        #expect(ack.headers["Via"] == invite.headers["Via"], "same branch as the INVITE")
        #expect(SIPNameAddress(ack.headers["To"]!)?.tag == "callee1")
        #expect(busy.contains(.outboundFailed(callID: callID, status: 486, outcome: .busy)))
        // A retransmitted 486 gets the same ACK and no second outcome.
        let again = agent.receive(Self.response(to: invite, 486, "Busy Here"), from: Self.callee)
        #expect(Self.sent(again).map(\.0) == [ack] && again.count == 1)
        #expect(agent.hangUp(callID).isEmpty)
    }

    @Test func ringTimeoutCancelsAndTheCallIsNotAnswered() throws {
        var (agent, invite, callID, effects) = try Self.dialled(ringTimeout: 5)
        _ = agent.receive(Self.response(to: invite, 180), from: Self.callee)
        let ring = try #require(Self.timer(.ringTimeout, in: effects))
        #expect(ring.1 == 5)
        let timedOut = agent.fire(ring.0)
        let (cancel, peer) = try #require(Self.sent(timedOut).first)
        #expect(cancel.method == "CANCEL" && peer == Self.callee && cancel.cseq?.number == 1 && cancel.requestURI == invite.requestURI)
        #expect(cancel.headers["Via"] == invite.headers["Via"] && cancel.headers["To"] == invite.headers["To"])
        #expect(timedOut.contains(.outboundFailed(callID: callID, status: 487, outcome: .noAnswer)))
        let resend = try #require(Self.timer(.cancelRetransmit, in: timedOut))
        #expect(Self.sent(agent.fire(resend.0)).first?.0 == cancel, "resent until answered")
        #expect(agent.receive(Self.response(to: cancel, 200, "OK"), from: Self.callee).isEmpty)
        #expect(agent.fire(resend.0).isEmpty, "the CANCEL was answered")
        // The INVITE's 487 is acknowledged; the outcome was already reported.
        let terminated = agent.receive(Self.response(to: invite, 487, "Request Terminated"), from: Self.callee)
        #expect(Self.sent(terminated).map(\.0.method) == ["ACK"])
        #expect(!terminated.contains { if case .outboundFailed = $0 { true } else { false } })
    }

    @Test func anAnswerThatCrossesOurCancelIsEndedWithABye() throws {
        var (agent, invite, callID, _) = try Self.dialled()
        _ = agent.receive(Self.response(to: invite, 180), from: Self.callee)
        // The Relay side hung up while it rang: CANCEL, no outcome (the Relay call is over).
        let cancelled = agent.hangUp(callID)
        #expect(Self.sent(cancelled).map(\.0.method) == ["CANCEL"] && cancelled.allSatisfy { if case .outboundFailed = $0 { false } else { true } })
        let late = agent.receive(Self.response(to: invite, 200, sdp: Self.answerSDP), from: Self.callee)
        #expect(Self.sent(late).map(\.0.method) == ["ACK", "BYE"])
        #expect(!late.contains { if case .outboundAnswered = $0 { true } else { false } })
    }

    @Test func noResponseAtAllFailsAfter64T1() throws {
        var (agent, _, callID, effects) = try Self.dialled()
        let timerB = try #require(Self.timer(.inviteTimeout, in: effects))
        #expect(agent.fire(timerB.0).contains(.outboundFailed(callID: callID, status: 408, outcome: .failure)))
        #expect(agent.hangUp(callID).isEmpty)
    }

    @Test func farEndByeEndsAnAnsweredCall() throws {
        var (agent, invite, callID, _) = try Self.dialled()
        _ = agent.receive(Self.response(to: invite, 200, sdp: Self.answerSDP), from: Self.callee)
        let from = invite.headers["From"]!
        let bye =
            "BYE sip:relay@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-bye\r\nFrom: <sip:alice@127.0.0.1:5070>;tag=callee1\r\n"
            + "To: \(from)\r\nCall-ID: \(callID)\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
        let effects = agent.receive(Array(bye.utf8), from: SIPPeer(host: "127.0.0.1", port: 5071))
        #expect(Self.sent(effects).map(\.0.status) == [200])
        #expect(effects.contains(.ended(callID: callID, reason: .remoteHangup)))
        #expect(agent.hangUp(callID).isEmpty)
    }

    @Test func anAnswerWithoutG711IsHungUpAsAFailure() throws {
        var (agent, invite, callID, _) = try Self.dialled()
        let opus = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6100 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
        let effects = agent.receive(Self.response(to: invite, 200, sdp: opus), from: Self.callee)
        #expect(Self.sent(effects).map(\.0.method) == ["ACK", "BYE"])
        #expect(effects.contains(.outboundFailed(callID: callID, status: 488, outcome: .failure)))
    }

    @Test func finalStatusesMapToRelayOutcomes() {
        let expected: [Int: DialOutcome] = [486: .busy, 600: .busy, 603: .busy, 408: .noAnswer, 480: .noAnswer, 487: .noAnswer, 404: .failure, 302: .failure, 503: .failure]
        for (status, outcome) in expected {
            #expect(SIPUserAgent.outcome(ofFinalStatus: status) == outcome, "\(status)")
        }
    }

    @Test func onlyAddressesWithoutDNSAndWithAPortAreCalledForReal() throws {
        #expect(SIPURI("sip:alice@127.0.0.1:5070")?.isDirectlyReachable == true)
        #expect(SIPURI("sip:alice@localhost:5070")?.isDirectlyReachable == true)
        #expect(SIPURI("sip:alice@[::1]:5070")?.isDirectlyReachable == true)
        #expect(SIPURI("sip:alice@127.0.0.1")?.isDirectlyReachable == false, "no port")
        #expect(SIPURI("sip:desk@example.com:5060")?.isDirectlyReachable == false, "needs DNS")
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        let unreachable = agent.invite(to: SIPURI("sip:desk@example.com")!, from: "x", sdp: Self.offer, ringTimeout: 1)
        #expect(unreachable == nil, "a name would need DNS")

        var world = try SimulatedWorld(json: ["sip_uris": ["+15550003333": "sip:alice@127.0.0.1:5070"], "numbers": ["sip:bob@127.0.0.1:5072": ["answer": "busy"]]])
        #expect(world.realSIPURI(for: .phone(from: "+1", to: "+15550003333")) == "sip:alice@127.0.0.1:5070")
        #expect(world.realSIPURI(for: .sip(from: "sip:bot@example.com", to: "sip:carol@127.0.0.1:5074")) == "sip:carol@127.0.0.1:5074")
        #expect(world.realSIPURI(for: .sip(from: "sip:bot@example.com", to: "sip:bob@127.0.0.1:5072")) == nil, "the world scripts it")
        #expect(world.realSIPURI(for: .sip(from: "sip:bot@example.com", to: "sip:desk@example.com")) == nil)
        #expect(world.realSIPURI(for: .phone(from: "+1", to: "+12015550100")) == nil)
        world.sipURIs = [:]
        #expect(throws: WireError.self) { try SimulatedWorld(json: ["sip_uris": ["+1": "sip:desk@example.com"]]) }
    }
}
