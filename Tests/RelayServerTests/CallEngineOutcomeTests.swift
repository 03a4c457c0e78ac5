@testable import RelayServer
import RelayWire
import Testing

// The unhappy outcomes the Relay reference documents (issue 12), each made to happen by a
// caller script, a world file entry or a URL convention, on the engine's manual clock.

extension CallEngineTests {
    @Suite("Scripted outcomes")
    struct Outcomes {
        static let notFound = "https://media.example.com/greeting.mp3?status=404"

        // MARK: play.error

        @Test("media that fails first: error after the 0.2 s fetch, no playing", arguments: [
            ("https://media.example.com/a.mp3?status=404", 0.2),
            ("https://media.example.com/a.mp3?x=1&status=503", 0.2),
            ("https://media.example.com/a.mp3?status=timeout", 5.0),
            ("https://nowhere.invalid/a.mp3", 0.2),
            ("https://media.example.com/page.html", 0.2),
            ("https://media.example.com/notes.TXT?duration=3", 0.2),
        ])
        func playFailsFirst(url: String, at: Double) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.audio(url: url)])))
            #expect(result.code == "200")
            h.runUntilIdle()
            #expect(h.lines(call: id).dropFirst(2) == ["\(EngineHarness.format(at)) play p error"])
            #expect(h.snapshot(id)?.timeline.contains { $0.kind == "play" && $0.text.hasPrefix("error: play[0] \(url)") } == true)
        }

        @Test("a later item that fails: playing, then error once the items before it have played")
        func playFailsLater() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.silence(duration: 3), .audio(url: Self.notFound), .silence(duration: 9)])))
            h.runUntilIdle()
            #expect(h.lines(call: id).dropFirst(2) == ["0.0 play p playing", "3.2 play p error"])
        }

        @Test("pause and resume move the failure as they move the end")
        func pauseMovesTheFailure() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "p"), media: [.silence(duration: 2), .audio(url: Self.notFound)])))
            h.advance(to: 1)
            try h.run(method: "calling.play.pause", h.ids(id, ["control_id": "p"]))
            h.advance(to: 11)
            try h.run(method: "calling.play.resume", h.ids(id, ["control_id": "p"]))
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "12.2 play p error")
        }

        @Test("the world file's media entries fail URLs that look fine; a recording of this server never fails")
        func worldMedia() throws {
            let world = try SimulatedWorld(json: try JSONCodec.parse(#"{"media": {"https://cdn.example.com/hold.mp3": "500", "https://cdn.example.com/slow.mp3": "timeout"}}"#))
            #expect(world.mediaFault(url: "https://cdn.example.com/hold.mp3") == .status(500))
            #expect(world.mediaFault(url: "https://cdn.example.com/fine.mp3") == nil)
            let h = EngineHarness(world: world)
            let id = h.answeredInbound()
            h.run(.play(PlayCommand(component: h.component(id, "a"), media: [.audio(url: "https://cdn.example.com/hold.mp3")])))
            h.run(.play(PlayCommand(component: h.component(id, "b"), media: [.audio(url: "https://cdn.example.com/slow.mp3")])))
            h.run(.play(PlayCommand(component: h.component(id, "c"), media: [.audio(url: "https://cdn.example.com/fine.mp3")])))
            h.runUntilIdle()
            #expect(h.lines(call: id).dropFirst(2).sorted() == ["0.0 play c playing", "0.2 play a error", "2.0 play c finished", "5.0 play b error"])
            #expect(throws: WireError.self) { try SimulatedWorld(json: try JSONCodec.parse(#"{"media": {"https://x/a.mp3": "200"}}"#)) }
        }

        @Test("a prompt whose media fails ends with a collect result of type error")
        func promptError() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(digits: ["1#"]))
            h.run(.playAndCollect(PlayAndCollectCommand(
                component: h.component(id, "c"), media: [.tts(text: "Hi"), .audio(url: Self.notFound)], collect: CollectOptions(digits: .init(max: 2)))))
            h.runUntilIdle()
            #expect(h.lines(call: id).dropFirst(2) == ["0.7 collect c error"])
        }

        // MARK: Speech

        static func speechPrompt(_ h: EngineHarness, _ id: String, _ controlID: String, _ speech: CollectOptions.Speech) {
            h.run(.playAndCollect(PlayAndCollectCommand(component: h.component(id, controlID), media: [.silence(duration: 1)], collect: CollectOptions(speech: speech))))
            h.runUntilIdle()
        }

        @Test("no_match when the prompt's language is not the caller's (primary subtag), a match when it is")
        func language() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(speech: ["oui"], repeatsInput: true, speechLanguage: "fr-FR"))
            Self.speechPrompt(h, id, "en", .init())
            #expect(h.lines(call: id).last == "2.9 collect en no_match")
            Self.speechPrompt(h, id, "fr", .init(language: "fr-CA"))
            #expect(h.lines(call: id).last == "5.8 collect fr speech oui")
        }

        @Test("a mumbling caller gives no_match, unless the words match a hint (+30 confidence)")
        func hints() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(speech: ["billing please"], repeatsInput: true, speechConfidence: 35))
            Self.speechPrompt(h, id, "a", .init())
            #expect(h.lines(call: id).last == "3.3 collect a no_match")
            Self.speechPrompt(h, id, "b", .init(hints: ["sales", "support"]))
            #expect(h.lines(call: id).last == "6.6 collect b no_match")
            Self.speechPrompt(h, id, "c", .init(hints: ["sales", "Billing"]))
            #expect(h.lines(call: id).last == "9.9 collect c speech billing please")
            guard case .collect(let event) = h.events(of: id).last?.event else {
                Issue.record("no collect")
                return
            }
            #expect(event.result.params["confidence"] == .double(65))
        }

        @Test("speech_timeout (5 s by default) cuts a long answer: only the words said by then")
        func speechTimeout() {
            let h = EngineHarness()
            let long = (1...20).map { "w\($0)" }.joined(separator: " ")
            let id = h.answeredInbound(behavior: PartyBehavior(speech: [long], repeatsInput: true))
            Self.speechPrompt(h, id, "a", .init())
            #expect(h.lines(call: id).last == "6.5 collect a speech " + (1...12).map { "w\($0)" }.joined(separator: " "))
            Self.speechPrompt(h, id, "b", .init(speechTimeout: 1))
            #expect(h.lines(call: id).last == "9.0 collect b speech w1 w2")
            Self.speechPrompt(h, id, "c", .init(speechTimeout: 0.3))
            #expect(h.lines(call: id).last == "10.8 collect c no_match")
            // Numbers no speech could last are bounded, not trusted (no crash converting them).
            for (index, huge) in [1e308, -1, Double.infinity].enumerated() {
                Self.speechPrompt(h, id, "h\(index)", .init(speechTimeout: huge))
                #expect(h.lines(call: id).last?.contains("collect h\(index) ") == true)
            }
        }

        @Test("an empty speech entry is a prompt the caller lets pass in silence: no_input")
        func silentTurn() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(speech: ["", "yes"]))
            Self.speechPrompt(h, id, "a", .init())
            #expect(h.lines(call: id).last == "6.0 collect a no_input")
            Self.speechPrompt(h, id, "b", .init())
            #expect(h.lines(call: id).last == "8.9 collect b speech yes")
        }

        // MARK: Record

        static func record(_ h: EngineHarness, _ id: String, _ controlID: String, _ options: RecordOptions) {
            h.run(.record(RecordCommand(component: h.component(id, controlID), record: options)))
            h.runUntilIdle()
        }

        @Test("a caller who keys a terminator (#* by default) ends the recording at once; other keys do nothing")
        func terminators() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 4, recordKey: "#"))
            Self.record(h, id, "a", RecordOptions())
            #expect(h.lines(call: id).last == "4.1 record a finished 4.1s 65644B")
            #expect(h.snapshot(id)?.timeline.contains { $0.text.hasPrefix("finished (terminator #)") } == true)
            Self.record(h, id, "b", RecordOptions(endSilenceTimeout: 2, terminators: "*"))
            #expect(h.lines(call: id).last == "10.1 record b finished 6.0s 96044B")
        }

        @Test("a caller silent for longer than initial_timeout: no_input then; shorter: the message starts late")
        func silenceBeforeSpeaking() {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(messageSeconds: 2, speaksAfter: 3))
            Self.record(h, id, "a", RecordOptions(initialTimeout: 2))
            #expect(h.lines(call: id).last == "2.0 record a no_input")
            Self.record(h, id, "b", RecordOptions())
            #expect(h.lines(call: id).last == "8.0 record b finished 6.0s 96044B")
            Self.record(h, id, "c", RecordOptions(initialTimeout: 0))
            #expect(h.lines(call: id).last == "14.0 record c finished 6.0s 96044B")
        }

        // MARK: Fax

        @Test("fax_error_at_page: fax.error after the pages before it, with how far it got")
        func faxErrorMidDocument() throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(kind: .fax, faxPages: 4, faxErrorAtPage: 3))
            h.run(.receiveFax(h.component(id, "f")))
            h.runUntilIdle()
            #expect(h.lines(call: id).dropFirst(2) == ["2.0 fax f page 1 receive", "4.0 fax f page 2 receive", "6.0 fax f error success=false pages=2"])
            guard case .fax(let event) = h.events(of: id).last?.event else { throw Failure("no fax event") }
            #expect(event.params["description"] == "the line dropped during page 3")
            #expect(h.engine.file(named: CallEngine.faxFile(id, "f")) == nil)
        }

        @Test("fax_fail_at_page: finished, success false, on that page")
        func faxFailOnPage() throws {
            let h = EngineHarness()
            h.world.numbers["+12015550109"] = PartyBehavior(kind: .fax, faxFailAtPage: 2)
            let other = h.answeredOutbound(to: "+12015550109")
            h.run(.sendFax(SendFaxCommand(component: h.component(other, "f"), document: "https://example.com/doc.pdf?pages=3")))
            h.runUntilIdle()
            #expect(h.lines(call: other).suffix(2) == ["4.0 fax f page 1 send", "6.0 fax f finished success=false pages=1"])
            guard case .fax(let event) = h.events(of: other).last?.event else { throw Failure("no fax event") }
            #expect(event.params["result_text"] == "Page 2 could not be sent: too many transmission errors")
        }

        @Test("a document that cannot be fetched: fax.error after the fetch")
        func faxDocumentFails() {
            let h = EngineHarness()
            let id = h.answeredOutbound(to: Phone.fax)
            h.run(.sendFax(SendFaxCommand(component: h.component(id, "f"), document: "https://docs.example.com/missing.pdf?status=404")))
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "2.2 fax f error success=false pages=0")
        }

        // MARK: Detect

        @Test("detect_error_after: detect.error then, and nothing after it", arguments: ["machine", "fax", "digit"])
        func detectError(type: String) throws {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: PartyBehavior(kind: .machine, digits: ["12"], detectErrorAfter: 2))
            try h.run(method: "calling.detect", h.ids(id, ["control_id": "d", "detect": ["type": .string(type), "params": [:]], "timeout": 10]))
            h.runUntilIdle()
            let lines = h.lines(call: id).dropFirst(2)
            #expect(lines.last == "2.0 detect d \(type) error")
            #expect(!lines.contains { $0.hasSuffix("finished") })
            if type == "machine" { #expect(Array(lines) == ["1.5 detect d machine MACHINE", "2.0 detect d machine error"]) }
        }

        // MARK: Answering-machine detection

        static func amd(_ party: PartyBehavior, _ options: DetectOptions = .machine(), timeout: Double = 20) -> [String] {
            let h = EngineHarness()
            let id = h.answeredInbound(behavior: party)
            h.run(.detect(DetectCommand(component: h.component(id, "d"), detect: options, timeout: timeout)))
            h.runUntilIdle()
            return Array(h.lines(call: id).dropFirst(2).dropLast().map { $0.replacingOccurrences(of: " detect d machine", with: "") })
        }

        @Test("defaults: a human is HUMAN at 1.5 s; the standard machine MACHINE 1.5, NOT_READY 2.5, READY at the 4 s beep")
        func amdDefaults() {
            #expect(Self.amd(.human) == ["1.5 HUMAN"])
            #expect(Self.amd(PartyBehavior(kind: .machine)) == ["1.5 MACHINE", "2.5 NOT_READY", "4.0 READY"])
        }

        @Test("a short greeting passes for a human; a long hello passes for a machine")
        func amdGreetingLength() {
            #expect(Self.amd(PartyBehavior(kind: .machine, greetingSeconds: 1)) == ["2.0 HUMAN"])
            #expect(Self.amd(PartyBehavior(helloSeconds: 3)) == ["1.5 MACHINE", "2.5 NOT_READY", "3.25 READY"])
        }

        @Test("thresholds decide: machine_voice_threshold, machine_words_threshold (0.4 s a word), end_silence_timeout")
        func amdThresholds() {
            let longHello = PartyBehavior(helloSeconds: 3)
            #expect(Self.amd(longHello, .machine(machineVoiceThreshold: 4)) == ["2.65 MACHINE", "3.25 READY"])
            #expect(Self.amd(longHello, .machine(machineVoiceThreshold: 4, machineWordsThreshold: 10)) == ["4.25 HUMAN"])
            #expect(Self.amd(longHello, .machine(endSilenceTimeout: 0.5, machineVoiceThreshold: 4, machineWordsThreshold: 10)) == ["3.75 HUMAN"])
            #expect(Self.amd(PartyBehavior(kind: .machine, greetingSeconds: 1), .machine(machineWordsThreshold: 1)) == ["0.65 MACHINE", "1.0 READY"])
            #expect(Self.amd(PartyBehavior(kind: .machine, greetingSeconds: 8), .machine(machineVoiceThreshold: 5)) == ["2.65 MACHINE", "3.65 NOT_READY", "8.0 READY"])
        }

        @Test("beep_delay: the beep (READY) comes late, or after the detector's timeout not at all")
        func amdLateBeep() {
            #expect(Self.amd(PartyBehavior(kind: .machine, beepDelay: 3)) == ["1.5 MACHINE", "2.5 NOT_READY", "7.0 READY"])
            #expect(Self.amd(PartyBehavior(kind: .machine, beepDelay: 30), timeout: 20) == ["1.5 MACHINE", "2.5 NOT_READY"])
        }

        @Test("a party silent beyond initial_timeout (4.5 s by default) is UNKNOWN then")
        func amdSilence() {
            #expect(Self.amd(PartyBehavior(kind: .machine, speaksAfter: 5)) == ["4.5 UNKNOWN"])
            // A later start delays the whole greeting, beep included.
            #expect(Self.amd(PartyBehavior(kind: .machine, speaksAfter: 5), .machine(initialTimeout: 8)) == ["6.25 MACHINE", "7.25 NOT_READY", "8.75 READY"])
        }

        // MARK: Ringtones

        @Test("every ringtone the reference lists plays (3 s by default) and shows its cadence", arguments: Ringtones.names)
        func ringtone(name: String) throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let result = h.run(.play(PlayCommand(component: h.component(id, "r"), media: [.ringtone(name: name)])))
            #expect(result.code == "200")
            h.runUntilIdle()
            #expect(h.lines(call: id).last == "3.0 play r finished")
            let cadence = try #require(Ringtones.cadence(name))
            #expect(h.snapshot(id)?.timeline.contains { $0.text == "playing ringtone \(name) (\(cadence.text))" } == true)
        }

        @Test("an unknown ringtone is refused with 400 naming the accepted ones, in play and prompt")
        func unknownRingtone() {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let play = h.run(.play(PlayCommand(component: h.component(id, "r"), media: [.ringtone(name: "xx")])))
            #expect(play.code == "400")
            #expect(play.message == "Invalid media: play[0]: " + Ringtones.unknown("xx"))
            #expect(play.message.contains("at, au, bg") && play.message.hasSuffix("ve, za"))
            let prompt = h.run(.playAndCollect(PlayAndCollectCommand(
                component: h.component(id, "c"), media: [.ringtone(name: "atlantis")], collect: CollectOptions(digits: .init()))))
            #expect(prompt.code == "400")
            #expect(h.run(.play(PlayCommand(component: h.component(id, "u"), media: [.ringtone(name: "UK")]))).code == "200")
            #expect(Ringtones.names.count == 39 && Set(Ringtones.names) == Set(Ringtones.cadences.keys))
        }

        // MARK: Tap format

        @Test("tap codec, rate and ptime are honoured in what is sent and echoed in source_device")
        func tapFormat() throws {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let rtp = h.run(.tap(TapCommand(component: h.component(id, "a"), direction: "both", device: .rtp(address: "127.0.0.1", port: 6000, codec: "PCMA", ptime: 30, rate: 16000))))
            #expect(rtp.code == "200")
            #expect(rtp.members["source_device"]?[path: "params", "codec"] == "PCMA")
            #expect(rtp.members["source_device"]?[path: "params", "rate"] == 16000)
            let format = TapFormat(codec: .pcma, rate: 16000, ptime: 30)
            #expect(h.lastEffects.contains(.startTap(key: "call1/a", .rtp(host: "127.0.0.1", port: 6000, format: format))))
            #expect(format.samplesPerPacket == 480)
            #expect(RTPTapSender.payload(format, offset: 0).count == 480)
            let ws = h.run(.tap(TapCommand(component: h.component(id, "b"), direction: "listen", device: .ws(uri: "ws://127.0.0.1:9000/m", codec: "pcmu", rate: 16000))))
            #expect(ws.code == "200")
            #expect(h.lastEffects.contains(.startTap(key: "call1/b", .webSocket(uri: "ws://127.0.0.1:9000/m", format: TapFormat(codec: .pcmu, rate: 16000, ptime: 20)))))
            let opus = h.run(.tap(TapCommand(component: h.component(id, "c"), direction: "listen", device: .ws(uri: "ws://127.0.0.1:9000/o", codec: "OPUS", rate: 16000))))
            #expect(opus.code == "200")
            #expect(!h.lastEffects.contains { if case .startTap = $0 { true } else { false } })
        }

        @Test("a codec, rate or ptime the tap cannot honour is refused with 400 and no events", arguments: [
            (TapDevice.rtp(address: "127.0.0.1", port: 6000, codec: "G729"), "Invalid tap codec 'G729': use PCMU, PCMA or OPUS"),
            (TapDevice.rtp(address: "127.0.0.1", port: 6000, rate: 44100), "Invalid tap rate 44100: use 8000 or 16000"),
            (TapDevice.rtp(address: "127.0.0.1", port: 6000, ptime: 5), "Invalid tap ptime 5: use 10 to 120 (milliseconds)"),
        ])
        func tapRefused(device: TapDevice, message: String) {
            let h = EngineHarness()
            let id = h.answeredInbound()
            let mark = h.mark
            let result = h.run(.tap(TapCommand(component: h.component(id, "t"), direction: "both", device: device)))
            #expect(result.code == "400")
            #expect(result.message == message)
            #expect(h.lines(since: mark).isEmpty)
        }

        @Test("G.711: silence and full scale encode to the standard code words")
        func g711() {
            #expect(G711.muLaw(0) == 0xFF)
            #expect(G711.aLaw(0) == 0xD5)
            #expect(G711.aLaw(-1) == 0x55)
            #expect(G711.aLaw(Int16.max) == 0xAA)
            #expect(G711.aLaw(Int16.min) == 0x2A)
        }

        // MARK: Scripts

        @Test("script members for outcomes are read, and bad values get clear errors")
        func scriptMembers() throws {
            let party = try PartyBehavior(json: try JSONCodec.parse(#"""
                {"speech_language": "de-DE", "speech_confidence": 40, "speaks_after": 2, "hello_seconds": 3, "beep_delay": 1.5,
                 "record_key": "#", "fax_error_at_page": 2, "fax_fail_at_page": 3, "detect_error_after": 4}
                """#))
            #expect(party == PartyBehavior(
                speechLanguage: "de-DE", speechConfidence: 40, speaksAfter: 2, helloSeconds: 3, beepDelay: 1.5, recordKey: "#", faxErrorAtPage: 2,
                faxFailAtPage: 3, detectErrorAfter: 4))
            #expect(try PartyBehavior(json: party.json) == party)
            let bad: [(String, String)] = [
                ("{\"record_key\": \"##\"}", "'record_key' must be one DTMF key: 0-9, *, # or A-D"),
                (#"{"speech_confidence": 101}"#, "'speech_confidence' must be a number from 0 to 100"),
                (#"{"fax_error_at_page": 0}"#, "'fax_error_at_page' must be a page number ≥ 1"),
                (#"{"detect_error_after": -1}"#, "'detect_error_after' must be a number of seconds ≥ 0"),
                (#"{"speech_language": ""}"#, "'speech_language' must be a language tag such as \"en-US\""),
            ]
            for (json, message) in bad {
                #expect(throws: WireError(message)) { try PartyBehavior(json: try JSONCodec.parse(json)) }
            }
        }
    }
}

/// A test failure with a message, for `guard … else { throw … }`.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
