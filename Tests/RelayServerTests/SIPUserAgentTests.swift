import Testing

@testable import RelayServer

/// The SIP answering state machine, driven datagram by datagram and timer by timer.
@Suite struct SIPUserAgentTests {
    static let caller = SIPPeer(host: "127.0.0.1", port: 5061)

    static func request(_ method: String, cseq: Int = 1, callID: String = "call-1", toTag: String? = nil, sdp: Bool = true, cseqMethod: String? = nil) -> [UInt8] {
        let body = sdp && method == "INVITE" ? "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n" : ""
        let to = "<sip:+12015550100@127.0.0.1:5060>" + (toTag.map { ";tag=\($0)" } ?? "")
        let text =
            "\(method) sip:+12015550100@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-\(method)-\(cseq)\r\n"
            + "From: <sip:sipp@127.0.0.1:5061>;tag=caller1\r\nTo: \(to)\r\nCall-ID: \(callID)\r\nCSeq: \(cseq) \(cseqMethod ?? method)\r\n"
            + "Contact: <sip:sipp@127.0.0.1:5061>\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return Array(text.utf8)
    }

    static func sent(_ effects: [SIPUserAgent.Effect]) -> [SIPMessage] {
        effects.compactMap { if case .send(let message, _) = $0 { return message } else { return nil } }
    }

    static func timers(_ effects: [SIPUserAgent.Effect]) -> [(SIPTimer, Double)] {
        effects.compactMap { if case .schedule(let timer, let after) = $0 { return (timer, after) } else { return nil } }
    }

    @Test func inviteRingAnswerAckAndRemoteBye() throws {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        let offered = agent.receive(Self.request("INVITE"), from: Self.caller)
        #expect(Self.sent(offered).map(\.status) == [100])
        guard case .incoming(let call)? = offered.last else { throw TestFailure("no incoming call: \(offered)") }
        #expect(call.dialled == "+12015550100" && call.fromNumber == "sipp" && call.negotiated.codec == .pcmu)
        #expect(call.negotiated.telephoneEventPayloadType == 101 && call.negotiated.remote?.port == 6000)

        #expect(Self.sent(agent.ring("call-1")).map(\.status) == [180])
        // A retransmitted INVITE gets the last provisional again.
        #expect(Self.sent(agent.receive(Self.request("INVITE"), from: Self.caller)).map(\.status) == [180])

        let (answerSDP, _) = try #require(call.offer.answer(address: "127.0.0.1", port: 20000, sessionID: 1))
        let answered = agent.answer("call-1", sdp: answerSDP)
        let ok = try #require(Self.sent(answered).first)
        #expect(ok.status == 200 && ok.headers["Content-Type"] == "application/sdp" && ok.headers["Contact"] != nil)
        #expect(try SessionDescription(parsing: ok.body).audio?.port == 20000)
        let toTag = try #require(SIPNameAddress(ok.headers["To"]!)?.tag)
        let retransmit = try #require(Self.timers(answered).first { $0.0.kind == .answerRetransmit })
        #expect(retransmit.1 == SIPTimerValues.t1)
        // Until the ACK, the 200 is resent with a doubling interval.
        let again = agent.fire(retransmit.0)
        #expect(Self.sent(again).map(\.status) == [200])
        #expect(Self.timers(again).first?.1 == 2 * SIPTimerValues.t1)

        #expect(agent.receive(Self.request("ACK", toTag: toTag, sdp: false), from: Self.caller) == [.established(callID: "call-1")])
        #expect(agent.fire(retransmit.0).isEmpty, "a timer of an earlier phase does nothing")

        let bye = agent.receive(Self.request("BYE", cseq: 2, toTag: toTag), from: Self.caller)
        #expect(Self.sent(bye).map(\.status) == [200])
        #expect(bye.contains(.ended(callID: "call-1", reason: .remoteHangup)))
        // A retransmitted BYE is answered again without a second end.
        let repeated = agent.receive(Self.request("BYE", cseq: 2, toTag: toTag), from: Self.caller)
        #expect(Self.sent(repeated).map(\.status) == [200] && repeated.count == 1)
    }

    @Test func cancelBeforeTheAnswer() throws {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        _ = agent.receive(Self.request("INVITE"), from: Self.caller)
        _ = agent.ring("call-1")
        let cancelled = agent.receive(Self.request("CANCEL", cseq: 1), from: Self.caller)
        let responses = Self.sent(cancelled)
        #expect(responses.map(\.status) == [200, 487])
        #expect(responses.map { $0.cseq?.method } == ["CANCEL", "INVITE"])
        #expect(cancelled.contains(.cancelled(callID: "call-1")))
        #expect(agent.answer("call-1", sdp: SessionDescription.offer(address: "127.0.0.1", port: 1, sessionID: 1)).isEmpty, "too late to answer")
        let tag = SIPNameAddress(responses[1].headers["To"]!)?.tag
        let acked = agent.receive(Self.request("ACK", toTag: tag, sdp: false), from: Self.caller)
        #expect(Self.timers(acked).map(\.0.kind) == [.linger])
    }

    @Test func ourByeIsResentUntilAnswered() throws {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        guard case .incoming(let call)? = agent.receive(Self.request("INVITE"), from: Self.caller).last else { throw TestFailure("no call") }
        let ok = try #require(Self.sent(agent.answer("call-1", sdp: call.offer.answer(address: "127.0.0.1", port: 2, sessionID: 1)!.0)).first)
        let toTag = SIPNameAddress(ok.headers["To"]!)?.tag
        _ = agent.receive(Self.request("ACK", toTag: toTag, sdp: false), from: Self.caller)

        let hangUp = agent.hangUp("call-1")
        let bye = try #require(Self.sent(hangUp).first)
        #expect(bye.method == "BYE" && bye.requestURI == "sip:sipp@127.0.0.1:5061", "sent to the caller's Contact")
        #expect(SIPNameAddress(bye.headers["From"]!)?.tag == toTag && SIPNameAddress(bye.headers["To"]!)?.tag == "caller1")
        #expect(bye.cseq?.number == 2 && bye.cseq?.method == "BYE")
        let resend = try #require(Self.timers(hangUp).first { $0.0.kind == .byeRetransmit })
        #expect(Self.sent(agent.fire(resend.0)).first?.method == "BYE")

        var answer = bye.response(200, "OK")
        answer.headers.set("To", bye.headers["To"]!)
        let ended = agent.receive(answer.serialized(), from: Self.caller)
        #expect(ended.first == .ended(callID: "call-1", reason: .localHangup))
        #expect(agent.fire(resend.0).isEmpty)
    }

    @Test func unansweredAnswerEndsWithAByeAfter64T1() throws {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        guard case .incoming(let call)? = agent.receive(Self.request("INVITE"), from: Self.caller).last else { throw TestFailure("no call") }
        let answered = agent.answer("call-1", sdp: call.offer.answer(address: "127.0.0.1", port: 2, sessionID: 1)!.0)
        let timeout = try #require(Self.timers(answered).first { $0.0.kind == .ackTimeout })
        #expect(timeout.1 == 32)
        let effects = agent.fire(timeout.0)
        #expect(Self.sent(effects).first?.method == "BYE")
        #expect(effects.contains(.ended(callID: "call-1", reason: .ackTimeout)))
    }

    @Test func endedCallsLingerWithoutTakingLiveSlotsAndTheOldestAreForgottenBeyondTheBound() throws {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        // More ended calls than both bounds: each refused (486) and acknowledged, so it lingers.
        let count = SIPUserAgent.maximumLingering + 3
        var firstLinger: SIPTimer?
        for index in 0..<count {
            let callID = "c\(index)"
            _ = agent.receive(Self.request("INVITE", callID: callID), from: Self.caller)
            _ = agent.reject(callID, status: 486, reason: "Busy Here")
            let acked = agent.receive(Self.request("ACK", callID: callID, sdp: false), from: Self.caller)
            if index == 0 { firstLinger = Self.timers(acked).first { $0.0.kind == .linger }?.0 }
        }
        #expect(agent.liveCallCount == 0)
        // Lingering calls take no live slot: a new call is still taken (it got 503 beyond 2,048 before).
        #expect(Self.sent(agent.receive(Self.request("INVITE", callID: "new"), from: Self.caller)).map(\.status) == [100])
        #expect(agent.liveCallCount == 1)
        // The newest ended call still answers a retransmission with its final response...
        #expect(Self.sent(agent.receive(Self.request("INVITE", callID: "c\(count - 1)"), from: Self.caller)).map(\.status) == [486])
        // ...the oldest were forgotten early, and their own linger timer later changes nothing.
        #expect(Self.sent(agent.receive(Self.request("BYE", cseq: 2, callID: "c0", toTag: "x"), from: Self.caller)).map(\.status) == [481])
        #expect(agent.fire(try #require(firstLinger)).isEmpty)
        #expect(agent.liveCallCount == 1)
    }

    @Test func otherRequestsGetProperRefusals() {
        var agent = SIPUserAgent(host: "127.0.0.1", port: 5060, idPrefix: "t")
        #expect(Self.sent(agent.receive(Self.request("BYE", cseq: 5, callID: "nope"), from: Self.caller)).map(\.status) == [481])
        let options = Self.sent(agent.receive(Self.request("OPTIONS"), from: Self.caller))
        #expect(options.map(\.status) == [200] && options.first?.headers["Allow"]?.contains("INVITE") == true)
        #expect(Self.sent(agent.receive(Self.request("REGISTER"), from: Self.caller)).map(\.status) == [405])
        #expect(Self.sent(agent.receive(Self.request("FROBNICATE"), from: Self.caller)).map(\.status) == [501])
        let noOffer = agent.receive(Self.request("INVITE", callID: "late", sdp: false), from: Self.caller)
        #expect(Self.sent(noOffer).map(\.status) == [488])
        #expect(Self.timers(noOffer).map(\.0.kind).contains(.rejectRetransmit))
        guard case .dropped? = agent.receive(Array("hello".utf8), from: Self.caller).first else {
            Issue.record("garbage must be dropped")
            return
        }
        #expect(agent.liveCallCount == 1, "only the refused INVITE waits for its ACK")
    }
}
