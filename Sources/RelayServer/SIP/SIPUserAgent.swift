import Foundation

/// Both sides of SIP calls on one UDP port, as a state machine without I/O: datagrams, timer
/// firings and the Relay side's decisions go in; datagrams to send, timers to arm and call
/// events come out. Inbound calls are answered as a UAS (RFC 3261 §13.3, §17.2, §15); outbound
/// calls are placed as a UAC (§13.2, §17.1, §9).
///
/// Calls are keyed by `Call-ID` (one dialog per call: no forking on a loopback edge). Responses
/// go back to the address the request came from, which is what `rport` asks for and what works
/// behind any NAT a softphone may sit behind.
struct SIPUserAgent: Sendable {
    /// Live calls one edge keeps; a new INVITE beyond this gets `503`.
    static let maximumCalls = 2048
    /// Ended calls kept for late retransmissions (64·T1 each, so rate × 32 s of them); beyond
    /// this the oldest are forgotten early. Counting them as live capped the edge at 64 calls/s.
    static let maximumLingering = 16_384
    static let allowedMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS"
    /// Methods that exist but that this edge does not take (answered `405`, others `501`).
    static let knownMethods: Set<String> = ["REGISTER", "SUBSCRIBE", "NOTIFY", "INFO", "UPDATE", "PRACK", "REFER", "MESSAGE", "PUBLISH"]

    enum Effect: Sendable, Equatable {
        case send(SIPMessage, to: SIPPeer)
        case schedule(SIPTimer, after: Double)
        /// A new call the Relay side should offer to a consumer.
        case incoming(SIPInboundCall)
        /// The caller's ACK came: media may flow both ways.
        case established(callID: String)
        /// The caller gave up before an answer.
        case cancelled(callID: String)
        /// The call is over.
        case ended(callID: String, reason: EndReason)
        /// A datagram that was dropped, and why (logged at debug).
        case dropped(reason: String, from: SIPPeer)
        /// Our outbound call rings (first `180`/`183`).
        case outboundRinging(callID: String)
        /// Our outbound call was answered and acknowledged: media may flow to `negotiated.remote`.
        case outboundAnswered(callID: String, negotiated: SessionDescription.Negotiated)
        /// Our outbound call did not connect: the far end's final status (or a local one: 408
        /// for Timer B, 487 for our ring timeout) and what it means for the Relay call.
        case outboundFailed(callID: String, status: Int, outcome: DialOutcome)
    }

    enum EndReason: String, Sendable, Equatable {
        /// The caller sent BYE.
        case remoteHangup
        /// Our BYE was answered (or went unanswered for 64·T1).
        case localHangup
        /// The caller never acknowledged our answer.
        case ackTimeout
    }

    private enum Phase: Equatable {
        /// INVITE received, no final answer yet.
        case proceeding
        /// 2xx sent, waiting for the ACK.
        case answered
        /// Final non-2xx sent, waiting for the ACK.
        case rejected
        case confirmed
        case byeSent
        case terminated
        /// Outbound: INVITE sent, nothing heard yet (Timer A resends it).
        case inviting
        /// Outbound: a provisional response came; waiting for the final one.
        case early
        /// Outbound: CANCEL sent; waiting for the INVITE's final response.
        case cancelling
    }

    private struct Call {
        var phase: Phase
        var invite: SIPMessage
        var peer: SIPPeer
        var localTag: String
        var lastResponse: SIPMessage?
        var answerBody: [UInt8] = []
        var bye: SIPMessage?
        var generation = 0
        var retransmitInterval = SIPTimerValues.t1
        var localCSeq: UInt32 = 1
        /// Outbound calls: `invite` is ours, `peer` where it went.
        var outgoing = false
        /// Outbound: the far end's `To` (with its tag) from the final response.
        var remoteTo: String?
        /// Outbound: the far end's `Contact` from the 2xx (where in-dialog requests go).
        var remoteTarget: String?
        /// Outbound: the ACK sent for the final response, resent when that response is.
        var ack: SIPMessage?
        var cancel: SIPMessage?
        var ringingReported = false
    }

    let host: String
    let port: Int
    private var calls: [String: Call] = [:]
    /// Ended calls' ids, oldest first from `lingerHead` (some already forgotten by their timer).
    private var lingerOrder: [String] = []
    private var lingerHead = 0
    /// Calls in `calls` whose phase is `terminated`.
    private var lingeringCount = 0
    private var idPrefix: String
    private var idCounter = 0

    init(host: String, port: Int, idPrefix: String) {
        self.host = host
        self.port = port
        self.idPrefix = idPrefix
    }

    var liveCallCount: Int { calls.count - lingeringCount }

    private mutating func newID() -> String {
        idCounter += 1
        return "\(idPrefix)\(idCounter)"
    }

    private var contact: String { "<sip:relay@\(SIPPeer(host: host, port: port))>" }

    // MARK: Datagrams in

    mutating func receive(_ bytes: [UInt8], from peer: SIPPeer) -> [Effect] {
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes)
        } catch {
            return [.dropped(reason: error.description, from: peer)]
        }
        switch message.startLine {
        case .request(let method, _): return request(message, method: method, from: peer)
        case .response: return response(message, from: peer)
        }
    }

    private mutating func request(_ message: SIPMessage, method: String, from peer: SIPPeer) -> [Effect] {
        let callID = message.callID ?? ""
        switch method {
        case "INVITE": return invite(message, callID: callID, from: peer)
        case "ACK": return ack(callID)
        case "CANCEL": return cancel(message, callID: callID, from: peer)
        case "BYE": return bye(message, callID: callID, from: peer)
        case "OPTIONS":
            var ok = message.response(200, "OK", toTag: newID())
            ok.headers.add("Allow", Self.allowedMethods)
            ok.headers.add("Accept", "application/sdp")
            return [.send(ok, to: peer)]
        default:
            var refusal = Self.knownMethods.contains(method) ? message.response(405, "Method Not Allowed") : message.response(501, "Not Implemented")
            refusal.headers.add("Allow", Self.allowedMethods)
            return [.send(refusal, to: peer)]
        }
    }

    private mutating func invite(_ message: SIPMessage, callID: String, from peer: SIPPeer) -> [Effect] {
        if let call = calls[callID] {
            if call.outgoing { return [.send(message.response(488, "Not Acceptable Here"), to: peer)] }
            // A retransmission: answer again with what was last said (RFC 3261 §17.2.1).
            guard message.cseq?.number == call.invite.cseq?.number else {
                // A re-INVITE: this edge does not renegotiate media.
                return [.send(message.response(488, "Not Acceptable Here", toTag: call.localTag), to: peer)]
            }
            return [.send(call.lastResponse ?? message.response(100, "Trying"), to: peer)]
        }
        guard liveCallCount < Self.maximumCalls else {
            return [.send(message.response(503, "Service Unavailable"), to: peer)]
        }
        guard let from = message.headers["From"].flatMap(SIPNameAddress.init), from.tag != nil,
            let to = message.headers["To"].flatMap(SIPNameAddress.init), to.tag == nil
        else {
            return [.send(message.response(400, "Bad Request"), to: peer)]
        }
        let localTag = newID()
        guard !message.body.isEmpty, let offer = try? SessionDescription(parsing: message.body), let negotiated = offer.negotiate() else {
            // No offer (late offer is out of scope) or no G.711 in it.
            var refusal = message.response(488, "Not Acceptable Here", toTag: localTag)
            refusal.headers.add("Warning", "305 relay \"Incompatible media format: offer PCMU or PCMA\"")
            return reject(stored: message, peer: peer, tag: localTag, with: refusal)
        }
        calls[callID] = Call(phase: .proceeding, invite: message, peer: peer, localTag: localTag)
        let trying = message.response(100, "Trying")
        calls[callID]?.lastResponse = trying
        let inbound = SIPInboundCall(
            callID: callID, requestURI: SIPURI(message.requestURI ?? ""), from: from, to: to, offer: offer, negotiated: negotiated, peer: peer)
        return [.send(trying, to: peer), .incoming(inbound)]
    }

    private mutating func ack(_ callID: String) -> [Effect] {
        guard var call = calls[callID] else { return [] }
        switch call.phase {
        case .answered:
            call.phase = .confirmed
            call.generation += 1
            calls[callID] = call
            return [.established(callID: callID)]
        case .rejected:
            return terminate(callID)
        default:
            return []
        }
    }

    private mutating func cancel(_ message: SIPMessage, callID: String, from peer: SIPPeer) -> [Effect] {
        guard let call = calls[callID], !call.outgoing, call.invite.cseq?.number == message.cseq?.number else {
            return [.send(message.response(481, "Call/Transaction Does Not Exist"), to: peer)]
        }
        var effects: [Effect] = [.send(message.response(200, "OK", toTag: call.localTag), to: peer)]
        guard call.phase == .proceeding else { return effects }
        let terminated = call.invite.response(487, "Request Terminated", toTag: call.localTag)
        effects += reject(stored: call.invite, peer: call.peer, tag: call.localTag, with: terminated)
        effects.append(.cancelled(callID: callID))
        return effects
    }

    private mutating func bye(_ message: SIPMessage, callID: String, from peer: SIPPeer) -> [Effect] {
        guard let call = calls[callID], ![.proceeding, .rejected, .inviting, .early, .cancelling].contains(call.phase) else {
            return [.send(message.response(481, "Call/Transaction Does Not Exist"), to: peer)]
        }
        let ok = message.response(200, "OK", toTag: call.localTag)
        if call.phase == .terminated { return [.send(ok, to: peer)] }
        return [.send(ok, to: peer)] + terminate(callID, ending: call.phase == .byeSent ? .localHangup : .remoteHangup)
    }

    private mutating func response(_ message: SIPMessage, from peer: SIPPeer) -> [Effect] {
        guard let callID = message.callID, let call = calls[callID], let status = message.status, let cseq = message.cseq else { return [] }
        if call.outgoing, cseq.number == call.invite.cseq?.number {
            if cseq.method == "INVITE" { return inviteResponse(message, status: status, call: call) }
            // Any response to our CANCEL ends its retransmissions; the INVITE's own final
            // response (487) is what ends the call.
            if cseq.method == "CANCEL" { calls[callID]?.cancel = nil }
            return []
        }
        guard call.phase == .byeSent, cseq.method == "BYE", status >= 200 else { return [] }
        return terminate(callID, ending: .localHangup)
    }

    /// Ends the call's transactions (reporting `ending` when given) and keeps it for 64·T1, so
    /// late retransmissions still get an answer.
    private mutating func terminate(_ callID: String, ending reason: EndReason? = nil) -> [Effect] {
        guard var call = calls[callID] else { return [] }
        if call.phase != .terminated { linger(callID) }
        call.phase = .terminated
        call.generation += 1
        calls[callID] = call
        let linger = Effect.schedule(SIPTimer(kind: .linger, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout)
        return reason.map { [.ended(callID: callID, reason: $0), linger] } ?? [linger]
    }

    /// Counts `callID` as lingering and forgets the oldest ended calls beyond ``maximumLingering``.
    private mutating func linger(_ callID: String) {
        lingeringCount += 1
        lingerOrder.append(callID)
        while lingerOrder.count - lingerHead > Self.maximumLingering {
            let oldest = lingerOrder[lingerHead]
            lingerHead += 1
            if calls[oldest]?.phase == .terminated {
                calls[oldest] = nil
                lingeringCount -= 1
            }
        }
        if lingerHead > Self.maximumLingering {
            lingerOrder.removeFirst(lingerHead)
            lingerHead = 0
        }
    }

    // MARK: The Relay side's decisions

    /// `180 Ringing` while the consumer decides.
    mutating func ring(_ callID: String) -> [Effect] {
        guard var call = calls[callID], call.phase == .proceeding else { return [] }
        let ringing = call.invite.response(180, "Ringing", toTag: call.localTag)
        call.lastResponse = ringing
        calls[callID] = call
        return [.send(ringing, to: call.peer)]
    }

    /// `200 OK` with the SDP answer, resent until the ACK comes.
    mutating func answer(_ callID: String, sdp: SessionDescription) -> [Effect] {
        guard var call = calls[callID], call.phase == .proceeding else { return [] }
        var ok = call.invite.response(200, "OK", toTag: call.localTag)
        ok.headers.add("Contact", contact)
        ok.headers.add("Allow", Self.allowedMethods)
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = sdp.serialized()
        call.phase = .answered
        call.lastResponse = ok
        call.answerBody = ok.body
        call.generation += 1
        call.retransmitInterval = SIPTimerValues.t1
        calls[callID] = call
        return [
            .send(ok, to: call.peer),
            .schedule(SIPTimer(kind: .answerRetransmit, callID: callID, generation: call.generation), after: SIPTimerValues.t1),
            .schedule(SIPTimer(kind: .ackTimeout, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout),
        ]
    }

    /// A final refusal (`486 Busy Here`, `480`, `603` …) before an answer.
    mutating func reject(_ callID: String, status: Int, reason: String) -> [Effect] {
        guard let call = calls[callID], call.phase == .proceeding else { return [] }
        return reject(stored: call.invite, peer: call.peer, tag: call.localTag, with: call.invite.response(status, reason, toTag: call.localTag))
    }

    private mutating func reject(stored invite: SIPMessage, peer: SIPPeer, tag: String, with response: SIPMessage) -> [Effect] {
        let callID = invite.callID ?? ""
        var call = calls[callID] ?? Call(phase: .proceeding, invite: invite, peer: peer, localTag: tag)
        call.phase = .rejected
        call.lastResponse = response
        call.generation += 1
        call.retransmitInterval = SIPTimerValues.t1
        calls[callID] = call
        return [
            .send(response, to: peer),
            .schedule(SIPTimer(kind: .rejectRetransmit, callID: callID, generation: call.generation), after: SIPTimerValues.t1),
            .schedule(SIPTimer(kind: .ackTimeout, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout),
        ]
    }

    /// Ends an answered call with our BYE (resent until answered), or refuses one not yet answered.
    mutating func hangUp(_ callID: String) -> [Effect] {
        guard var call = calls[callID] else { return [] }
        switch call.phase {
        case .proceeding:
            return reject(callID, status: 480, reason: "Temporarily Unavailable")
        case .answered, .confirmed:
            call.localCSeq += 1
            let bye = makeBye(call)
            call.bye = bye
            call.phase = .byeSent
            call.generation += 1
            call.retransmitInterval = SIPTimerValues.t1
            calls[callID] = call
            return [
                .send(bye, to: call.peer),
                .schedule(SIPTimer(kind: .byeRetransmit, callID: callID, generation: call.generation), after: SIPTimerValues.t1),
                .schedule(SIPTimer(kind: .byeTimeout, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout),
            ]
        case .inviting, .early:
            return cancelInvite(callID)
        case .rejected, .byeSent, .terminated, .cancelling:
            return []
        }
    }

    private mutating func makeBye(_ call: Call) -> SIPMessage {
        let invite = call.invite
        if call.outgoing {
            // We are the caller: our From, their To (with their tag), to their Contact.
            return inDialogRequest("BYE", call, cseq: call.localCSeq)
        }
        // In the dialog we are the callee: their From is our To, and their Contact our target.
        let target = invite.headers["Contact"].flatMap(SIPNameAddress.init)?.uri ?? invite.headers["From"].flatMap(SIPNameAddress.init)?.uri ?? ""
        var headers = SIPHeaders()
        headers.add("Via", SIPVia(host: host, port: port, branch: SIPVia.magicCookie + newID()).description)
        headers.add("Max-Forwards", "70")
        if var from = invite.headers["To"] {
            if SIPNameAddress(from)?.tag == nil { from += ";tag=\(call.localTag)" }
            headers.add("From", from)
        }
        if let to = invite.headers["From"] { headers.add("To", to) }
        headers.add("Call-ID", invite.callID ?? "")
        headers.add("CSeq", "\(call.localCSeq) BYE")
        return SIPMessage(.request(method: "BYE", uri: target), headers: headers)
    }

    // MARK: Timers

    mutating func fire(_ timer: SIPTimer) -> [Effect] {
        // The ring timeout outlives phase changes (a 180 does not stop it).
        if timer.kind == .ringTimeout { return ringTimedOut(timer.callID) }
        guard var call = calls[timer.callID], call.generation == timer.generation else { return [] }
        let callID = timer.callID
        switch timer.kind {
        case .answerRetransmit, .rejectRetransmit:
            guard call.phase == .answered || call.phase == .rejected, let last = call.lastResponse else { return [] }
            call.retransmitInterval = min(call.retransmitInterval * 2, SIPTimerValues.t2)
            calls[callID] = call
            return [.send(last, to: call.peer), .schedule(timer, after: call.retransmitInterval)]
        case .byeRetransmit:
            guard call.phase == .byeSent, let bye = call.bye else { return [] }
            call.retransmitInterval = min(call.retransmitInterval * 2, SIPTimerValues.t2)
            calls[callID] = call
            return [.send(bye, to: call.peer), .schedule(timer, after: call.retransmitInterval)]
        case .ackTimeout:
            if call.phase == .answered {
                // Never acknowledged: end the dialog with a BYE (RFC 3261 §13.3.1.4).
                return hangUp(callID) + [.ended(callID: callID, reason: .ackTimeout)]
            }
            return terminate(callID)
        case .byeTimeout:
            return terminate(callID, ending: .localHangup)
        case .linger:
            if call.phase == .terminated { lingeringCount -= 1 }
            calls[callID] = nil
            return []
        case .inviteRetransmit:
            // Timer A doubles without a cap; Timer B ends it.
            guard call.phase == .inviting else { return [] }
            call.retransmitInterval *= 2
            calls[callID] = call
            return [.send(call.invite, to: call.peer), .schedule(timer, after: call.retransmitInterval)]
        case .inviteTimeout:
            switch call.phase {
            case .inviting: return terminate(callID) + [.outboundFailed(callID: callID, status: 408, outcome: .failure)]
            case .cancelling: return terminate(callID)
            default: return []
            }
        case .cancelRetransmit:
            guard call.phase == .cancelling, let cancel = call.cancel else { return [] }
            call.retransmitInterval = min(call.retransmitInterval * 2, SIPTimerValues.t2)
            calls[callID] = call
            return [.send(cancel, to: call.peer), .schedule(timer, after: call.retransmitInterval)]
        case .ringTimeout:
            return []
        }
    }
}

// MARK: - Calls out (UAC)

extension SIPUserAgent {
    /// What a final response to our INVITE means for the Relay call: `486`/`600`/`603` busy,
    /// `408`/`480`/`487` no answer, anything else (redirects included: none is followed) a failure.
    static func outcome(ofFinalStatus status: Int) -> DialOutcome {
        switch status {
        case 486, 600, 603: .busy
        case 408, 480, 487: .noAnswer
        default: .failure
        }
    }

    /// Where requests to `uri` go: its host when that is an IP literal (or `localhost`), its port
    /// or 5060. `nil` for names that would need DNS (a loopback edge resolves nothing).
    static func peer(for uri: SIPURI) -> SIPPeer? {
        var host = uri.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.lowercased() == "localhost" { host = "127.0.0.1" }
        guard host.isIPAddressLiteral else { return nil }
        return SIPPeer(host: host, port: uri.port ?? 5060)
    }

    /// Starts an outbound call: an INVITE to `uri` offering `sdp`, resent until a response
    /// (Timer A), given up after 64·T1 without one (Timer B → `outboundFailed` 408), and
    /// cancelled after `ringTimeout` seconds without an answer (→ `outboundFailed` 487, `noAnswer`).
    /// `from` is a SIP URI or a user (a number) put on this edge's address.
    /// Returns the new call's `Call-ID`, or `nil` when the edge is full or `uri` is not reachable.
    mutating func invite(to uri: SIPURI, from: String, sdp: SessionDescription, ringTimeout: Double) -> (callID: String, effects: [Effect])? {
        guard liveCallCount < Self.maximumCalls, let peer = Self.peer(for: uri) else { return nil }
        let callID = "\(newID())@\(host)"
        let localTag = newID()
        let fromURI = SIPURI(from).map(\.description) ?? SIPURI(user: from.isEmpty ? "relay" : from, host: host, port: port).description
        var headers = SIPHeaders()
        headers.add("Via", SIPVia(host: host, port: port, branch: SIPVia.magicCookie + newID()).description + ";rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", SIPNameAddress(uri: fromURI, parameters: ["tag": localTag]).description)
        headers.add("To", SIPNameAddress(uri: uri.description).description)
        headers.add("Call-ID", callID)
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", contact)
        headers.add("Allow", Self.allowedMethods)
        headers.add("Content-Type", "application/sdp")
        let invite = SIPMessage(.request(method: "INVITE", uri: uri.description), headers: headers, body: sdp.serialized())
        var call = Call(phase: .inviting, invite: invite, peer: peer, localTag: localTag)
        call.outgoing = true
        calls[callID] = call
        let effects: [Effect] = [
            .send(invite, to: peer),
            .schedule(SIPTimer(kind: .inviteRetransmit, callID: callID, generation: call.generation), after: SIPTimerValues.t1),
            .schedule(SIPTimer(kind: .inviteTimeout, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout),
            .schedule(SIPTimer(kind: .ringTimeout, callID: callID, generation: 0), after: max(0, ringTimeout)),
        ]
        return (callID, effects)
    }

    private mutating func inviteResponse(_ response: SIPMessage, status: Int, call: Call) -> [Effect] {
        let callID = call.invite.callID ?? ""
        var call = call
        switch status {
        case 100..<200:
            guard call.phase == .inviting || call.phase == .early else { return [] }
            call.phase = .early
            let report = status >= 180 && !call.ringingReported
            if report { call.ringingReported = true }
            calls[callID] = call
            return report ? [.outboundRinging(callID: callID)] : []
        case 200..<300:
            guard [.inviting, .early, .cancelling].contains(call.phase) else {
                // A retransmitted 2xx: our ACK went missing (RFC 3261 §13.2.2.4).
                return call.ack.map { [.send($0, to: call.peer)] } ?? []
            }
            let wasCancelling = call.phase == .cancelling
            call.remoteTo = response.headers["To"]
            call.remoteTarget = response.headers["Contact"].flatMap(SIPNameAddress.init)?.uri
            // In-dialog requests (ACK, BYE) go to the far end's Contact from now on.
            call.peer = ackPeer(call)
            let ack = inDialogRequest("ACK", call, cseq: call.invite.cseq?.number ?? 1)
            call.ack = ack
            call.phase = .confirmed
            call.generation += 1
            calls[callID] = call
            var effects: [Effect] = [.send(ack, to: call.peer)]
            let negotiated = (try? SessionDescription(parsing: response.body))?.negotiate()
            if wasCancelling {
                // Answered as we cancelled: the answer stands, so end it (§9.1).
                effects += hangUp(callID)
            } else if let negotiated {
                effects.append(.outboundAnswered(callID: callID, negotiated: negotiated))
            } else {
                // No answer SDP, or no G.711 in it: nothing to talk over.
                effects += hangUp(callID)
                effects.append(.outboundFailed(callID: callID, status: 488, outcome: .failure))
            }
            return effects
        default:
            // A final refusal is acknowledged in the INVITE's own transaction (§17.1.1.3).
            var headers = SIPHeaders()
            if let via = call.invite.headers["Via"] { headers.add("Via", via) }
            headers.add("Max-Forwards", "70")
            if let from = call.invite.headers["From"] { headers.add("From", from) }
            if let to = response.headers["To"] { headers.add("To", to) }
            headers.add("Call-ID", callID)
            headers.add("CSeq", "\(call.invite.cseq?.number ?? 1) ACK")
            let ack = SIPMessage(.request(method: "ACK", uri: call.invite.requestURI ?? ""), headers: headers)
            let phase = call.phase
            guard [.inviting, .early, .cancelling].contains(phase) else {
                return call.ack.map { [.send($0, to: call.peer)] } ?? []
            }
            call.ack = ack
            calls[callID] = call
            var effects: [Effect] = [.send(ack, to: call.peer)]
            effects += terminate(callID)
            if phase != .cancelling {
                effects.append(.outboundFailed(callID: callID, status: status, outcome: Self.outcome(ofFinalStatus: status)))
            }
            return effects
        }
    }

    /// The CANCEL of our pending INVITE (§9.1): same Request-URI, `Via`, `From`, `To` and CSeq number.
    private mutating func cancelInvite(_ callID: String) -> [Effect] {
        guard var call = calls[callID], call.phase == .inviting || call.phase == .early else { return [] }
        var headers = SIPHeaders()
        if let via = call.invite.headers["Via"] { headers.add("Via", via) }
        headers.add("Max-Forwards", "70")
        for name in ["From", "To", "Call-ID"] {
            if let value = call.invite.headers[name] { headers.add(name, value) }
        }
        headers.add("CSeq", "\(call.invite.cseq?.number ?? 1) CANCEL")
        let cancel = SIPMessage(.request(method: "CANCEL", uri: call.invite.requestURI ?? ""), headers: headers)
        call.cancel = cancel
        call.phase = .cancelling
        call.generation += 1
        call.retransmitInterval = SIPTimerValues.t1
        calls[callID] = call
        return [
            .send(cancel, to: call.peer),
            .schedule(SIPTimer(kind: .cancelRetransmit, callID: callID, generation: call.generation), after: SIPTimerValues.t1),
            .schedule(SIPTimer(kind: .inviteTimeout, callID: callID, generation: call.generation), after: SIPTimerValues.transactionTimeout),
        ]
    }

    /// Nobody answered in the device's time: CANCEL, and the Relay call ends `noAnswer` now
    /// (the far end's 487 is acknowledged when it comes).
    private mutating func ringTimedOut(_ callID: String) -> [Effect] {
        guard let call = calls[callID], call.outgoing, call.phase == .inviting || call.phase == .early else { return [] }
        return cancelInvite(callID) + [.outboundFailed(callID: callID, status: 487, outcome: .noAnswer)]
    }

    /// A request inside our outbound dialog: our `From`, their `To`, to their `Contact`.
    private mutating func inDialogRequest(_ method: String, _ call: Call, cseq: UInt32) -> SIPMessage {
        var headers = SIPHeaders()
        headers.add("Via", SIPVia(host: host, port: port, branch: SIPVia.magicCookie + newID()).description + ";rport")
        headers.add("Max-Forwards", "70")
        if let from = call.invite.headers["From"] { headers.add("From", from) }
        headers.add("To", call.remoteTo ?? call.invite.headers["To"] ?? "")
        headers.add("Call-ID", call.invite.callID ?? "")
        headers.add("CSeq", "\(cseq) \(method)")
        return SIPMessage(.request(method: method, uri: call.remoteTarget ?? call.invite.requestURI ?? ""), headers: headers)
    }

    /// Where in-dialog requests of an outbound call go: the far end's Contact when it is an
    /// address, else where the INVITE went.
    private func ackPeer(_ call: Call) -> SIPPeer {
        call.remoteTarget.flatMap(SIPURI.init).flatMap(Self.peer(for:)) ?? call.peer
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 address (no DNS name).
    var isIPAddressLiteral: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, self, &v4) == 1 || inet_pton(AF_INET6, self, &v6) == 1
    }
}
