import Testing

@testable import RelayServer

/// SIP and SDP parsing and writing, G.711 and RFC 4733: the pure parts of the SIP edge.
@Suite struct SIPMessageTests {
    // As SIPp's built-in uac_pcap scenario sends it (values filled in).
    static let invite = """
        INVITE sip:+12015550100@127.0.0.1:5060 SIP/2.0\r
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4242-1-0\r
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001\r
        To: <sip:+12015550100@127.0.0.1:5060>\r
        Call-ID: 1-4242@127.0.0.1\r
        CSeq: 1 INVITE\r
        Contact: sip:sipp@127.0.0.1:5061\r
        Max-Forwards: 70\r
        Subject: Performance Test\r
        Content-Type: application/sdp\r
        Content-Length:   188\r
        \r
        v=0\r
        o=user1 53655765 2353687637 IN IP4 127.0.0.1\r
        s=-\r
        c=IN IP4 127.0.0.1\r
        t=0 0\r
        m=audio 6000 RTP/AVP 8 101\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-11,16\r

        """

    @Test func readsAnInviteFromSIPp() throws {
        let bytes = Array(Self.invite.utf8)
        let message = try SIPMessage(parsing: bytes)
        #expect(message.startLine == .request(method: "INVITE", uri: "sip:+12015550100@127.0.0.1:5060"))
        #expect(message.callID == "1-4242@127.0.0.1")
        #expect(message.cseq?.number == 1 && message.cseq?.method == "INVITE")
        #expect(message.body.count == 188, "Content-Length bounds the body")
        let from = try #require(SIPNameAddress(message.headers["From"]!))
        #expect(from.displayName == "sipp" && from.tag == "4242SIPpTag001" && from.uri == "sip:sipp@127.0.0.1:5061")
        let via = try #require(SIPVia(message.headers["v"]!))
        #expect(via.branch == "z9hG4bK-4242-1-0" && via.port == 5061 && via.transport == "UDP")
        let uri = try #require(SIPURI("sip:+12015550100@127.0.0.1:5060"))
        #expect(uri.user == "+12015550100" && uri.host == "127.0.0.1" && uri.port == 5060)

        let sdp = try SessionDescription(parsing: message.body)
        let negotiated = try #require(sdp.negotiate())
        #expect(negotiated.codec == .pcma, "the caller's first G.711 codec")
        #expect(negotiated.telephoneEventPayloadType == 101)
        #expect(negotiated.remote?.address == "127.0.0.1" && negotiated.remote?.port == 6000)
        let (answer, _) = try #require(sdp.answer(address: "127.0.0.1", port: 20000, sessionID: 7))
        let reread = try SessionDescription(parsing: answer.serialized())
        #expect(reread.audio?.payloadTypes == [8, 101])
        #expect(reread.audio?.port == 20000 && reread.audio?.ptime == 20 && reread.audio?.direction == "sendrecv")
    }

    @Test func responsesCopyTheTransactionHeadersAndTagTheTo() throws {
        let request = try SIPMessage(parsing: Array(Self.invite.utf8))
        let ringing = request.response(180, "Ringing", toTag: "srv1")
        let reread = try SIPMessage(parsing: ringing.serialized())
        #expect(reread.status == 180)
        #expect(reread.headers.values("Via") == request.headers.values("Via"))
        #expect(SIPNameAddress(reread.headers["To"]!)?.tag == "srv1")
        #expect(reread.headers["Content-Length"] == "0")
        #expect(reread.cseq?.method == "INVITE")
    }

    @Test func compactFormsFoldingAndViaListsRead() throws {
        let text =
            "OPTIONS sip:relay@127.0.0.1 SIP/2.0\n" + "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb\n"
            + "f: <sip:a@b>;tag=1\n" + "t: <sip:relay@127.0.0.1>\n" + "i: abc\n" + "CSeq: 7\n  OPTIONS\n" + "l: 0\n\n"
        let message = try SIPMessage(parsing: Array(text.utf8))
        #expect(message.headers.values("Via").count == 2)
        #expect(message.cseq?.number == 7 && message.cseq?.method == "OPTIONS", "a folded line joins its header")
        #expect(message.headers["Call-ID"] == "abc")
    }

    @Test func malformedDatagramsAreRejectedWithAReason() {
        let good = Self.invite
        let cases: [String] = [
            "", "\r\n\r\n", "garbage", "INVITE sip:x SIP/3.0\r\n\r\n",
            good.replacingOccurrences(of: "Content-Length:   188", with: "Content-Length: 9999"),
            good.replacingOccurrences(of: "Content-Length:   188", with: "Content-Length: -1"),
            good.replacingOccurrences(of: "CSeq: 1 INVITE", with: "CSeq: 1 BYE"),
            good.replacingOccurrences(of: "Call-ID: 1-4242@127.0.0.1\r\n", with: ""),
            good.replacingOccurrences(of: "\r\n\r\n", with: "\r\n"),
            "SIP/2.0 99 Odd\r\nVia: x\r\n\r\n",
            "INVITE sip:x SIP/2.0\r\n" + String(repeating: "X-A: b\r\n", count: 200) + "\r\n",
        ]
        for text in cases {
            #expect(throws: SIPParseError.self, "\(text.prefix(40))") { try SIPMessage(parsing: Array(text.utf8)) }
        }
    }

    @Test func mutatedDatagramsNeverCrashTheParser() {
        var generator = SplitMix(seed: 20261130)
        let base = Array(Self.invite.utf8)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<(1 + Int(generator.next() % 6)) {
                let index = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: index)
                }
            }
            if let message = try? SIPMessage(parsing: bytes) {
                accepted += 1
                _ = try? SessionDescription(parsing: message.body)
                _ = message.serialized()
            }
        }
        // Most single-byte changes land in values and still parse; a parser that rejects all is broken.
        #expect(accepted > 100)
    }

    @Test func g711RoundTripsEveryCodeAndStaysCloseForEverySample() {
        for codec in AudioCodec.allCases {
            for byte in UInt8.min...UInt8.max {
                let back = codec.encode(codec.decode(byte))
                // µ-law has two zeros (0x7F and 0xFF); both decode to 0 and encode to 0xFF.
                if codec == .pcmu, byte == 0x7F { #expect(back == 0xFF) } else { #expect(back == byte, "\(codec) \(byte)") }
            }
            var worst = 0
            for sample in stride(from: Int(Int16.min), through: Int(Int16.max), by: 7) {
                let value = Int16(sample)
                let error = abs(Int(codec.decode(codec.encode(value))) - sample)
                // Companding error grows with the magnitude: at most 1/16 of it, plus a step near zero.
                worst = max(worst, error - abs(sample) / 16)
            }
            #expect(worst <= 16, "\(codec)")
        }
        #expect(AudioCodec.pcmu.silence == 0xFF)
        #expect(AudioCodec.pcma.silence == 0xD5)
    }

    @Test func telephoneEventsReadAndWrite() throws {
        let event = TelephoneEvent(event: try #require(TelephoneEvent.event(for: "#")), isEnd: true, volume: 10, duration: 1600)
        #expect(event.payload == [11, 0x8A, 0x06, 0x40])
        #expect(TelephoneEvent(payload: event.payload) == event)
        #expect(TelephoneEvent(payload: [5, 0x0A, 0, 160])?.key == "5")
        #expect(TelephoneEvent.event(for: "d") == 15)
        #expect(TelephoneEvent(payload: [1, 2]) == nil)
    }
}
