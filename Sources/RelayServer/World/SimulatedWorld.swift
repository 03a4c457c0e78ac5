import RelayWire

/// How the far end of a call behaves: the person (or machine) at a dialled number, or the
/// scripted caller of an injected inbound call.
public struct PartyBehavior: Sendable, Hashable {
    /// How the far end picks up.
    public enum Answer: Sendable, Hashable {
        /// Answers after this many rings (one ring = ``SimulatedWorld/ringSeconds``).
        case afterRings(Int)
        /// Line busy: the call ends with `end_reason` `busy`.
        case busy
        /// Never answers: the call rings until the device timeout and ends `noAnswer`.
        case never
        /// Unroutable: the call ends with `end_reason` `error`.
        case fail
    }

    /// What picks up.
    public enum Kind: String, Sendable, Hashable {
        /// A person, an answering machine or a fax machine.
        case human, machine, fax
    }

    /// How the party picks up.
    public var answer: Answer
    /// What picks up.
    public var kind: Kind
    /// DTMF the party keys at digits prompts, one string per prompt in order (e.g. `["1234#"]`).
    public var digits: [String]
    /// Words the party says at speech prompts, one string per prompt in order (an empty string:
    /// the party lets that prompt pass in silence).
    public var speech: [String]
    /// Keep answering every later prompt with the last entry instead of going silent.
    public var repeatsInput: Bool
    /// Seconds after answer at which the party hangs up (`nil`: never).
    public var hangupAfter: Double?
    /// Seconds the party talks when recorded (then silence). Default 10.
    public var messageSeconds: Double
    /// Seconds of the answering-machine greeting before the beep. Default 4.
    public var greetingSeconds: Double
    /// Pages a fax party sends when we receive a fax from it. Default 2.
    public var faxPages: Int
    /// The language the party speaks (BCP 47). A speech prompt in another language (by primary
    /// subtag: `en-GB` matches `en-US`) gives `no_match`. Default `en-US`.
    public var speechLanguage: String
    /// How sure the recogniser is of the party's words (0–100). Below 50 the prompt gives
    /// `no_match`, unless the words match a `hints` entry, which adds 30. Default 92.5.
    public var speechConfidence: Double
    /// Seconds of silence before the party starts talking: its greeting when answered (for
    /// answering-machine detection, default 0.25) or its message when recorded (default 0).
    public var speaksAfter: Double?
    /// Seconds a human talks when answering ("Hello?"). Default 0.25.
    public var helloSeconds: Double
    /// Seconds between the end of a machine's greeting and its beep. Default 0.
    public var beepDelay: Double
    /// A key the party presses when done talking to a recording; it ends the recording when it
    /// is one of the record's `terminators` (default `#*`). Default none.
    public var recordKey: Character?
    /// The fax breaks off with `fax.error` at this page (the earlier pages get through).
    public var faxErrorAtPage: Int?
    /// The fax ends `finished` with `success: false` at this page (the earlier pages get through).
    public var faxFailAtPage: Int?
    /// Any detector on the call fails with `detect.error` this many seconds after it starts.
    public var detectErrorAfter: Double?
    /// The party declines a SIP REFER of its call (`calling.refer` reports `error`, code 603).
    public var rejectsRefer = false

    /// A party; the defaults make a person who answers after one ring.
    public init(
        answer: Answer = .afterRings(1), kind: Kind = .human, digits: [String] = [], speech: [String] = [],
        repeatsInput: Bool = false, hangupAfter: Double? = nil, messageSeconds: Double = 10,
        greetingSeconds: Double = 4, faxPages: Int = 2, speechLanguage: String = "en-US", speechConfidence: Double = 92.5,
        speaksAfter: Double? = nil, helloSeconds: Double = 0.25, beepDelay: Double = 0, recordKey: Character? = nil,
        faxErrorAtPage: Int? = nil, faxFailAtPage: Int? = nil, detectErrorAfter: Double? = nil
    ) {
        self.speechLanguage = speechLanguage
        self.speechConfidence = speechConfidence
        self.speaksAfter = speaksAfter
        self.helloSeconds = helloSeconds
        self.beepDelay = beepDelay
        self.recordKey = recordKey
        self.faxErrorAtPage = faxErrorAtPage
        self.faxFailAtPage = faxFailAtPage
        self.detectErrorAfter = detectErrorAfter
        self.answer = answer
        self.kind = kind
        self.digits = digits
        self.speech = speech
        self.repeatsInput = repeatsInput
        self.hangupAfter = hangupAfter
        self.messageSeconds = messageSeconds
        self.greetingSeconds = greetingSeconds
        self.faxPages = faxPages
    }

    /// A human who answers after one ring and stays silent.
    public static let human = PartyBehavior()

    /// Reads a behaviour/caller script from JSON. Members (all optional):
    /// `answer` (`"busy"`, `"never"`, `"fail"` or a number of rings), `kind` (`human`, `machine`, `fax`),
    /// `digits` (string or array of strings), `speech` (string or array), `repeat` (bool),
    /// `hangup_after` (seconds), `message_seconds`, `greeting_seconds`, `fax_pages`, `speech_language`,
    /// `speech_confidence`, `speaks_after`, `hello_seconds`, `beep_delay`, `record_key`,
    /// `fax_error_at_page`, `fax_fail_at_page`, `detect_error_after`, `refer` (`"accept"` or `"reject"`).
    public init(json: JSONValue, base: PartyBehavior = .human) throws(WireError) {
        self = base
        guard json.objectValue != nil else { throw WireError("a caller script must be a JSON object") }
        if let answer = json["answer"] {
            switch answer {
            case .string("busy"): self.answer = .busy
            case .string("never"): self.answer = .never
            case .string("fail"), .string("error"): self.answer = .fail
            default:
                guard let rings = answer.intValue, rings >= 0 else {
                    throw WireError("'answer' must be \"busy\", \"never\", \"fail\" or a number of rings")
                }
                self.answer = .afterRings(rings)
            }
        }
        if let kind = json["kind"] {
            guard let text = kind.stringValue, let parsed = Kind(rawValue: text) else {
                throw WireError("'kind' must be \"human\", \"machine\" or \"fax\"")
            }
            self.kind = parsed
        }
        if let digits = json["digits"] {
            guard let list = digits.stringValue.map({ [$0] }) ?? digits.stringArray else {
                throw WireError("'digits' must be a string or an array of strings")
            }
            for entry in list where !entry.allSatisfy({ "0123456789*#ABCD".contains($0) }) {
                throw WireError("'digits' entry '\(entry)' may only hold 0-9, *, # and A-D")
            }
            self.digits = list
        }
        if let speech = json["speech"] ?? json["words"] {
            guard let list = speech.stringValue.map({ [$0] }) ?? speech.stringArray else {
                throw WireError("'speech' must be a string or an array of strings")
            }
            self.speech = list
        }
        if let flag = json["repeat"]?.boolValue { repeatsInput = flag }
        if let value = json["hangup_after"] {
            guard let seconds = value.doubleValue, seconds >= 0 else { throw WireError("'hangup_after' must be a number of seconds") }
            hangupAfter = seconds
        }
        if let seconds = json["message_seconds"]?.doubleValue { messageSeconds = max(0, seconds) }
        if let seconds = json["greeting_seconds"]?.doubleValue { greetingSeconds = max(0, seconds) }
        if let pages = json["fax_pages"]?.intValue { faxPages = max(1, pages) }
        try readOutcomeMembers(json)
    }

    /// The members that script unhappy outcomes (issue 12); each is checked, none is clamped silently.
    private mutating func readOutcomeMembers(_ json: JSONValue) throws(WireError) {
        func seconds(_ key: String) throws(WireError) -> Double? {
            guard let value = json[key], value != .null else { return nil }
            guard let number = value.doubleValue, number.isFinite, number >= 0 else { throw WireError("'\(key)' must be a number of seconds ≥ 0") }
            return number
        }
        func page(_ key: String) throws(WireError) -> Int? {
            guard let value = json[key], value != .null else { return nil }
            guard let number = value.intValue, number >= 1 else { throw WireError("'\(key)' must be a page number ≥ 1") }
            return number
        }
        if let language = json["speech_language"] {
            guard let text = language.stringValue, !text.isEmpty else { throw WireError("'speech_language' must be a language tag such as \"en-US\"") }
            speechLanguage = text
        }
        if let value = json["speech_confidence"] {
            guard let number = value.doubleValue, (0...100).contains(number) else { throw WireError("'speech_confidence' must be a number from 0 to 100") }
            speechConfidence = number
        }
        if let value = try seconds("speaks_after") { speaksAfter = value }
        if let value = try seconds("hello_seconds") { helloSeconds = value }
        if let value = try seconds("beep_delay") { beepDelay = value }
        if let value = json["record_key"] {
            guard let text = value.stringValue, text.count == 1, let key = text.first, "0123456789*#ABCD".contains(key) else {
                throw WireError("'record_key' must be one DTMF key: 0-9, *, # or A-D")
            }
            recordKey = key
        }
        if let value = try page("fax_error_at_page") { faxErrorAtPage = value }
        if let value = try page("fax_fail_at_page") { faxFailAtPage = value }
        if let value = try seconds("detect_error_after") { detectErrorAfter = value }
        if let value = json["refer"] {
            switch value.stringValue {
            case "accept": rejectsRefer = false
            case "reject": rejectsRefer = true
            default: throw WireError("'refer' must be \"accept\" or \"reject\"")
            }
        }
    }

    var json: JSONValue {
        let answerJSON: JSONValue =
            switch answer {
            case .afterRings(let rings): .int(rings)
            case .busy: "busy"
            case .never: "never"
            case .fail: "fail"
            }
        var builder = JSONObjectBuilder()
        builder.set("answer", answerJSON)
        builder.set("kind", kind.rawValue)
        builder.set("digits", digits)
        builder.set("speech", speech)
        builder.set("repeat", repeatsInput)
        builder.set("hangup_after", hangupAfter)
        builder.set("message_seconds", messageSeconds)
        builder.set("greeting_seconds", greetingSeconds)
        builder.set("fax_pages", faxPages)
        builder.set("speech_language", speechLanguage)
        builder.set("speech_confidence", speechConfidence)
        builder.set("speaks_after", speaksAfter)
        builder.set("hello_seconds", helloSeconds)
        builder.set("beep_delay", beepDelay)
        builder.set("record_key", recordKey.map { String($0) })
        builder.set("fax_error_at_page", faxErrorAtPage)
        builder.set("fax_fail_at_page", faxFailAtPage)
        builder.set("detect_error_after", detectErrorAfter)
        if rejectsRefer { builder.set("refer", "reject") }
        return builder.value
    }
}

/// The simulated telephone network: what answers at each number, and which owned numbers
/// route inbound calls and messages to which context.
///
/// The standard world (fictional 555 range):
///
/// | number | behaviour |
/// |---|---|
/// | `+12015550100` | human, answers after one ring |
/// | `+12015550101` | busy |
/// | `+12015550102` | never answers |
/// | `+12015550103` | fails (unroutable, `end_reason` `error`) |
/// | `+12015550104` | answering machine: 4 s greeting, then a beep (detect: `MACHINE`, `NOT_READY`…, `READY`) |
/// | `+12015550105` | fax machine (CED tone; receives faxes) |
/// | `+12015550106` | human who keys `1234#` at every digits prompt |
/// | `+12015550107` | human who says "yes" at every speech prompt |
/// | `+12015550108` | answers, then hangs up 2 s later |
/// | `+12015550120` | answering machine with a 1 s greeting (passes for a human: `HUMAN` at 2 s) |
/// | `+12015550121` | human with a 3 s hello (passes for a machine: `MACHINE` at 1.5 s, `READY` at 3.25 s) |
/// | `+12015550122` | answering machine whose beep comes 30 s after its 4 s greeting |
/// | `+12015550123` | answering machine whose detectors fail after 2 s (`detect.error`) |
/// | `+12015550124` | fax machine (3 pages) whose fax breaks off at page 2 (`fax.error`) |
/// | `+12015550125` | fax machine (3 pages) that fails page 2 (`finished`, `success: false`) |
/// | `+12015550126` | human who mumbles "billing" at every speech prompt (confidence 35: `no_match` unless hinted) |
/// | `+12015550127` | human who says "oui" in French (`fr-FR`) at every speech prompt |
/// | `+12015550128` | human who leaves a 3 s message and presses `#` |
/// | `+12015550129` | human silent for 8 s before talking (record `no_input`, detect `UNKNOWN`) |
/// | anything else | like `+12015550100` |
///
/// Messaging: `+12015550110` gives `undelivered`, `+12015550111` gives `failed` (see ``SimulatedWorld/messageFailure(to:)``).
public struct SimulatedWorld: Sendable {
    /// Behaviour per E.164 number (or SIP URI).
    public var numbers: [String: PartyBehavior]
    /// Inbound routing: an owned number → the context its calls and messages go to.
    public var routes: [String: String]
    /// Behaviour of any number not in ``numbers``.
    public var fallback: PartyBehavior
    /// Seconds one ring lasts. Default 2.
    public var ringSeconds: Double
    /// Named caller scripts from a world file (`"scripts": {"name": {...}}`), usable by name
    /// in the lab API (`"script": "name"`).
    public var scripts: [String: PartyBehavior]
    /// Media URLs that fail when played or fetched (world file `"media": {"<url>": "404"}`), on
    /// top of the URL conventions of ``MediaFault/init(conventionsOf:)``.
    public var media: [String: MediaFault]
    /// Numbers (or addresses) that are real SIP phones (world file `"sip_uris": {"<number>":
    /// "sip:alice@127.0.0.1:5070"}`): with `relay serve --sip`, a call to one is a real INVITE
    /// to its URI, when the URI has an IP address (or `localhost`) and a port.
    public var sipURIs: [String: String] = [:]

    /// A world; nil members use the standard one's defaults.
    public init(
        numbers: [String: PartyBehavior] = [:], routes: [String: String] = [:], fallback: PartyBehavior = .human,
        ringSeconds: Double = 2, scripts: [String: PartyBehavior] = [:], media: [String: MediaFault] = [:]
    ) {
        self.media = media
        self.numbers = numbers
        self.routes = routes
        self.fallback = fallback
        self.ringSeconds = ringSeconds
        self.scripts = scripts
    }

    /// The documented standard world.
    public static let standard = SimulatedWorld(numbers: [
        "+12015550100": .human,
        "+12015550101": PartyBehavior(answer: .busy),
        "+12015550102": PartyBehavior(answer: .never),
        "+12015550103": PartyBehavior(answer: .fail),
        "+12015550104": PartyBehavior(kind: .machine, greetingSeconds: 4),
        "+12015550105": PartyBehavior(kind: .fax),
        "+12015550106": PartyBehavior(digits: ["1234#"], repeatsInput: true),
        "+12015550107": PartyBehavior(speech: ["yes"], repeatsInput: true),
        "+12015550108": PartyBehavior(hangupAfter: 2),
        "+12015550120": PartyBehavior(kind: .machine, greetingSeconds: 1),
        "+12015550121": PartyBehavior(helloSeconds: 3),
        "+12015550122": PartyBehavior(kind: .machine, beepDelay: 30),
        "+12015550123": PartyBehavior(kind: .machine, detectErrorAfter: 2),
        "+12015550124": PartyBehavior(kind: .fax, faxPages: 3, faxErrorAtPage: 2),
        "+12015550125": PartyBehavior(kind: .fax, faxPages: 3, faxFailAtPage: 2),
        "+12015550126": PartyBehavior(speech: ["billing"], repeatsInput: true, speechConfidence: 35),
        "+12015550127": PartyBehavior(speech: ["oui"], repeatsInput: true, speechLanguage: "fr-FR"),
        "+12015550128": PartyBehavior(messageSeconds: 3, recordKey: "#"),
        "+12015550129": PartyBehavior(speaksAfter: 8),
    ])

    /// How the media at `url` fails, if it does: the world's `media` entry, else the URL conventions.
    public func mediaFault(url: String) -> MediaFault? {
        media[url] ?? MediaFault(conventionsOf: url)
    }

    /// The behaviour at `number`, a phone number, SIP URI or WebRTC address: an exact match,
    /// else for a SIP URI the same URI without its scheme's `s`, parameters and headers
    /// (`sips:bob@example.com;transport=tls` finds `sip:bob@example.com`), else ``fallback``.
    public func behavior(of number: String) -> PartyBehavior {
        if let exact = numbers[number] { return exact }
        if let plain = Self.plainSIPURI(number), let behavior = numbers[plain] { return behavior }
        return fallback
    }

    /// `sip:user@host` for a SIP URI with a `sips:` scheme, parameters or headers; nil otherwise.
    static func plainSIPURI(_ uri: String) -> String? {
        let lowered = uri.lowercased()
        let rest: Substring
        if lowered.hasPrefix("sips:") {
            rest = uri.dropFirst(5)
        } else if lowered.hasPrefix("sip:") {
            rest = uri.dropFirst(4)
        } else {
            return nil
        }
        let address = rest.prefix { $0 != ";" && $0 != "?" }
        let plain = "sip:" + address
        return plain == uri ? nil : plain
    }

    /// The SIP URI to call for real when the SIP edge runs, or `nil` to simulate the call: the
    /// URI the world's `sip_uris` maps the device's address to, else the address of a SIP device
    /// that the world does not script in `numbers` and whose host is an IP address or `localhost`
    /// with an explicit port (`sip:alice@127.0.0.1:5070`). Anything else stays simulated.
    func realSIPURI(for device: Device) -> String? {
        guard let to = device.to else { return nil }
        if let mapped = sipURIs[to] { return SIPURI(mapped)?.isDirectlyReachable == true ? mapped : nil }
        guard device.type == DeviceType.sip, numbers[to] == nil, Self.plainSIPURI(to).map({ numbers[$0] == nil }) ?? true,
            SIPURI(to)?.isDirectlyReachable == true
        else { return nil }
        return to
    }

    /// Messaging outcome for a destination: `nil` means delivered; otherwise the final state
    /// (`undelivered` or `failed`) and its reason.
    public func messageFailure(to number: String) -> (state: String, reason: String)? {
        switch number {
        case "+12015550110": ("undelivered", "Message delivery failed: unreachable destination")
        case "+12015550111": ("failed", "Message failed: rejected by the carrier (spam filter)")
        case "+12015550101": ("undelivered", "Message delivery failed: destination busy")
        case "+12015550103": ("failed", "Message failed: unroutable destination")
        default: nil
        }
    }

    /// Reads a world file and layers it over `base` (normally ``standard``):
    ///
    /// ```json
    /// {"ring_seconds": 2,
    ///  "numbers": {"+15550001111": {"answer": 2, "digits": "42#", "hangup_after": 30}},
    ///  "routes": {"+15557770000": "office"},
    ///  "scripts": {"pin-caller": {"digits": ["1234#"], "speech": "yes"}},
    ///  "sip_uris": {"+15550003333": "sip:alice@127.0.0.1:5070"}}
    /// ```
    public init(json: JSONValue, base: SimulatedWorld = .standard) throws(WireError) {
        self = base
        guard json.objectValue != nil else { throw WireError("a world file must hold a JSON object") }
        if let seconds = json["ring_seconds"]?.doubleValue, seconds >= 0 { ringSeconds = seconds }
        if let numbers = json["numbers"]?.objectValue {
            for (number, script) in numbers {
                do throws(WireError) {
                    self.numbers[number] = try PartyBehavior(json: script)
                } catch {
                    throw WireError("numbers.\(number): \(error.description)")
                }
            }
        }
        if let routes = json["routes"]?.objectValue {
            for (number, context) in routes {
                guard let context = context.stringValue else { throw WireError("routes.\(number) must be a context name") }
                self.routes[number] = context
            }
        }
        if let scripts = json["scripts"]?.objectValue {
            for (name, script) in scripts {
                do throws(WireError) {
                    self.scripts[name] = try PartyBehavior(json: script)
                } catch {
                    throw WireError("scripts.\(name): \(error.description)")
                }
            }
        }
        if let media = json["media"]?.objectValue {
            for (url, fault) in media {
                do throws(WireError) {
                    self.media[url] = try MediaFault(json: fault)
                } catch {
                    throw WireError("media.\(url): \(error.description)")
                }
            }
        }
        if let uris = json["sip_uris"]?.objectValue {
            for (number, uri) in uris {
                guard let text = uri.stringValue, SIPURI(text)?.isDirectlyReachable == true else {
                    throw WireError("sip_uris.\(number) must be a SIP URI with an IP address (or localhost) and a port, such as sip:alice@127.0.0.1:5070")
                }
                sipURIs[number] = text
            }
        }
        if let fallback = json["default"] {
            self.fallback = try PartyBehavior(json: fallback)
        }
    }
}
