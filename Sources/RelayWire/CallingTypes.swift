// Values that appear inside calling commands and events (RELAY-V2.md §4.1, §4.2, §4.10–4.15).

extension JSONValue {
    /// A number as a Python caller would usually have typed it: integral values as `int`,
    /// the rest as `float`. Used for options the Python SDK passes through uncoerced.
    package static func number(_ value: Double) -> JSONValue {
        if value.isFinite, value.rounded() == value, abs(value) < 9.0e15 { return .int(Int(value)) }
        return .double(value)
    }
}

/// `{"node_id", "call_id"}`: how every command addresses a call. Python sends `null` for
/// members it does not know yet, so they are kept explicit.
package struct CallAddress: Sendable, Hashable {
    package var nodeID: String?
    package var callID: String?

    package init(nodeID: String?, callID: String?) {
        self.nodeID = nodeID
        self.callID = callID
    }

    package init(json: JSONValue) {
        nodeID = json["node_id"]?.stringValue
        callID = json["call_id"]?.stringValue
    }

    package var members: [String: JSONValue] {
        ["node_id": nodeID.map(JSONValue.string) ?? .null, "call_id": callID.map(JSONValue.string) ?? .null]
    }
}

/// A device to dial or connect to (RELAY-V3.md §4.2; the same objects on v2):
///
/// * phone: `{"type": "phone", "params": {"from_number", "to_number", "timeout"?, "max_duration"?}}`
/// * SIP: `{"type": "sip", "params": {"from", "to", "from_name"?, "timeout"?, "max_duration"?,
///   "headers"?: [{"name", "value"}], "codecs"?: [String], "webrtc_media"?}}`
/// * WebRTC: `{"type": "webrtc", "params": {"from", "to", "timeout"?, "codecs"?}}`
///
/// Params are kept as sent, so members this library does not model pass through unchanged.
package struct Device: JSONRepresentable, Hashable {
    package var type: String
    package var params: [String: JSONValue]

    package init(type: String, params: [String: JSONValue]) {
        self.type = type
        self.params = params
    }

    /// A phone device. Python `int()`s the per-device timeout and omits it when unset or zero.
    package static func phone(from: String, to: String, timeout: Int? = nil) -> Device {
        var params: [String: JSONValue] = ["from_number": .string(from), "to_number": .string(to)]
        if let timeout, timeout != 0 { params["timeout"] = .int(timeout) }
        return Device(type: "phone", params: params)
    }

    /// A SIP device. Optional members are omitted when nil or empty, as Node 2.x does.
    package static func sip(
        from: String?, to: String, fromName: String? = nil, timeout: Int? = nil, maxDuration: Int? = nil, headers: [SIPHeader] = [],
        codecs: [String] = [], webrtcMedia: Bool? = nil
    ) -> Device {
        var params = JSONObjectBuilder()
        params.set("from", from)
        params.set("to", to)
        params.set("from_name", fromName)
        params.set("timeout", timeout)
        params.set("max_duration", maxDuration)
        if !headers.isEmpty { params.set("headers", .array(headers.map(\.json))) }
        if !codecs.isEmpty { params.set("codecs", codecs) }
        params.set("webrtc_media", webrtcMedia)
        return Device(type: DeviceType.sip, params: params.members)
    }

    /// A WebRTC device (a browser or app endpoint by address).
    package static func webrtc(from: String?, to: String, timeout: Int? = nil, codecs: [String] = []) -> Device {
        var params = JSONObjectBuilder()
        params.set("from", from)
        params.set("to", to)
        params.set("timeout", timeout)
        if !codecs.isEmpty { params.set("codecs", codecs) }
        return Device(type: DeviceType.webrtc, params: params.members)
    }

    package init(json: JSONValue) throws(WireError) {
        type = try json.requireString("type", in: "device")
        params = json["params"]?.objectValue ?? [:]
    }

    package var json: JSONValue { ["type": .string(type), "params": .object(params)] }

    /// `from_number` for phone devices, `from` for SIP and WebRTC ones.
    package var from: String? { params["from_number"]?.stringValue ?? params["from"]?.stringValue }
    package var to: String? { params["to_number"]?.stringValue ?? params["to"]?.stringValue }
    package var timeout: Int? { params["timeout"]?.intValue }
    /// `max_duration` in minutes.
    package var maxDuration: Int? { params["max_duration"]?.intValue }
    /// `from_name` (SIP).
    package var fromName: String? { params["from_name"]?.stringValue }
    /// `headers` (SIP); entries that are not `{name, value}` strings are skipped.
    package var headers: [SIPHeader] { params["headers"]?.arrayValue?.compactMap(SIPHeader.init(json:)) ?? [] }
    /// `codecs` (SIP, WebRTC).
    package var codecs: [String] { params["codecs"]?.stringArray ?? [] }
    /// `webrtc_media` (SIP).
    package var webrtcMedia: Bool? { params["webrtc_media"]?.boolValue }

    /// Why this device cannot be dialled, or nil: the one rule both ends apply.
    package var problem: String? {
        switch type {
        case DeviceType.phone:
            guard let to = params["to_number"]?.stringValue, !to.isEmpty else { return "a phone device needs 'params.to_number'" }
        case DeviceType.sip, DeviceType.webrtc:
            guard let to = params["to"]?.stringValue, !to.isEmpty else { return "a \(type) device needs 'params.to'" }
        default:
            return "unknown device type '\(type)': use phone, sip or webrtc"
        }
        if let timeout = params["timeout"], timeout.intValue.map({ $0 < 0 }) ?? true { return "'params.timeout' must be a number of seconds ≥ 0" }
        if let minutes = params["max_duration"], minutes.intValue.map({ $0 < 0 }) ?? true { return "'params.max_duration' must be a number of minutes ≥ 0" }
        return nil
    }
}

/// The `type` values of ``Device``.
package enum DeviceType {
    package static let phone = "phone"
    package static let sip = "sip"
    package static let webrtc = "webrtc"
}

/// One SIP header of a SIP device or a REFER: `{"name": "X-Account", "value": "42"}`.
public struct SIPHeader: Sendable, Hashable {
    /// The header name, such as `X-Account`.
    public var name: String
    /// The header value.
    public var value: String

    /// A header with its name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    package init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let value = json["value"]?.stringValue else { return nil }
        self.init(name: name, value: value)
    }

    package var json: JSONValue { ["name": .string(name), "value": .string(value)] }
}

/// Series of parallel groups: `[[A], [B, C]]` dials A, then B and C together (§4.1).
package enum DeviceGroups {
    package static func json(_ groups: [[Device]]) -> JSONValue {
        .array(groups.map { .array($0.map(\.json)) })
    }

    package static func parse(_ json: JSONValue?, in method: String = RelayMethod.connect) throws(WireError) -> [[Device]] {
        guard let outer = json?.arrayValue else { throw .missing("devices", in: method) }
        var groups: [[Device]] = []
        for group in outer {
            // A bare device object is accepted as a group of one.
            if group.objectValue != nil {
                groups.append([try Device(json: group)])
                continue
            }
            guard let inner = group.arrayValue else { throw WireError("\(method): 'devices' must be an array of arrays") }
            var devices: [Device] = []
            for device in inner { devices.append(try Device(json: device)) }
            groups.append(devices)
        }
        return groups
    }
}

/// One item of a play list or a ringback list.
public enum Media: JSONRepresentable, Hashable {
    /// An audio file at `url`.
    case audio(url: String)
    /// Text to speech.
    case tts(text: String, language: String? = nil, gender: String? = nil)
    /// Silence for `duration` seconds.
    case silence(duration: Double)
    /// A ringtone such as `us`, optionally cut to `duration` seconds.
    case ringtone(name: String, duration: Double? = nil)
    /// A media type this library does not model, passed through unchanged.
    case other(type: String, params: [String: JSONValue])

    package init(json: JSONValue) throws(WireError) {
        let type = try json.requireString("type", in: "media")
        let params = json["params"] ?? .object([:])
        switch type {
        case "audio": self = .audio(url: try params.requireString("url", in: "audio media"))
        case "tts":
            self = .tts(text: try params.requireString("text", in: "tts media"), language: params["language"]?.stringValue, gender: params["gender"]?.stringValue)
        case "silence":
            guard let duration = params["duration"]?.doubleValue else { throw .missing("duration", in: "silence media") }
            self = .silence(duration: duration)
        case "ringtone":
            self = .ringtone(name: try params.requireString("name", in: "ringtone media"), duration: params["duration"]?.doubleValue)
        default: self = .other(type: type, params: params.objectValue ?? [:])
        }
    }

    /// The play-list form: Python `float()`s silence and ringtone durations in `play_*`.
    package var json: JSONValue { encoded(floatDurations: true) }

    /// Prompts pass durations through as given, so integral values go out as integers.
    package func encoded(floatDurations: Bool) -> JSONValue {
        func duration(_ value: Double) -> JSONValue { floatDurations ? .double(value) : .number(value) }
        var params = JSONObjectBuilder()
        let type: String
        switch self {
        case .audio(let url):
            type = "audio"
            params.set("url", url)
        case .tts(let text, let language, let gender):
            type = "tts"
            params.set("text", text)
            params.set("language", language)
            params.set("gender", gender)
        case .silence(let seconds):
            type = "silence"
            params.set("duration", duration(seconds))
        case .ringtone(let name, let seconds):
            type = "ringtone"
            params.set("name", name)
            params.set("duration", seconds.map(duration))
        case .other(let otherType, let otherParams):
            return ["type": .string(otherType), "params": .object(otherParams)]
        }
        return ["type": .string(type), "params": params.value]
    }

    package static func list(_ json: JSONValue?, in context: String) throws(WireError) -> [Media] {
        guard let items = json?.arrayValue else { throw .missing("play", in: context) }
        var media: [Media] = []
        for item in items { media.append(try Media(json: item)) }
        return media
    }
}

/// `collect` of `calling.play_and_collect`.
public struct CollectOptions: JSONRepresentable, Hashable {
    /// Options for collecting DTMF digits.
    public struct Digits: Sendable, Hashable {
        /// Digits to collect at most.
        public var max: Int?
        /// Digits that end input, such as `#`.
        public var terminators: String?
        /// Seconds allowed between digits.
        public var digitTimeout: Double?
        /// Digit options; nil members use Relay's defaults.
        public init(max: Int? = nil, terminators: String? = nil, digitTimeout: Double? = nil) {
            self.max = max
            self.terminators = terminators
            self.digitTimeout = digitTimeout
        }
    }

    /// Options for recognising speech.
    public struct Speech: Sendable, Hashable {
        /// Seconds of silence that end speech.
        public var endSilenceTimeout: Double?
        /// Seconds speech may last.
        public var speechTimeout: Double?
        /// Language to recognise, such as `en-US`.
        public var language: String?
        /// Words or phrases to expect.
        public var hints: [String]?
        /// Speech options; nil members use Relay's defaults.
        public init(endSilenceTimeout: Double? = nil, speechTimeout: Double? = nil, language: String? = nil, hints: [String]? = nil) {
            self.endSilenceTimeout = endSilenceTimeout
            self.speechTimeout = speechTimeout
            self.language = language
            self.hints = hints
        }
    }

    /// Seconds to wait for the first input.
    public var initialTimeout: Double?
    /// Digit options, or nil not to collect digits.
    public var digits: Digits?
    /// Speech options, or nil not to recognise speech.
    public var speech: Speech?
    /// Report partial speech results as events.
    public var partialResults: Bool?

    /// Collect options; nil members use Relay's defaults.
    public init(initialTimeout: Double? = nil, digits: Digits? = nil, speech: Speech? = nil, partialResults: Bool? = nil) {
        self.initialTimeout = initialTimeout
        self.digits = digits
        self.speech = speech
        self.partialResults = partialResults
    }

    package init(json: JSONValue) throws(WireError) {
        initialTimeout = json["initial_timeout"]?.doubleValue
        partialResults = json["partial_results"]?.boolValue
        if let digits = json["digits"], digits.objectValue != nil {
            self.digits = Digits(max: digits["max"]?.intValue, terminators: digits["terminators"]?.stringValue, digitTimeout: digits["digit_timeout"]?.doubleValue)
        }
        if let speech = json["speech"], speech.objectValue != nil {
            self.speech = Speech(
                endSilenceTimeout: speech["end_silence_timeout"]?.doubleValue,
                // Ruby names it `timeout`.
                speechTimeout: (speech["speech_timeout"] ?? speech["timeout"])?.doubleValue,
                language: speech["language"]?.stringValue, hints: speech["hints"]?.stringArray)
        }
        guard digits != nil || speech != nil else { throw WireError("collect: needs 'digits' or 'speech'") }
    }

    package var json: JSONValue {
        var collect = JSONObjectBuilder()
        collect.set("initial_timeout", initialTimeout.map(JSONValue.number))
        if let digits {
            var members = JSONObjectBuilder()
            members.set("max", digits.max)
            members.set("terminators", digits.terminators)
            members.set("digit_timeout", digits.digitTimeout.map(JSONValue.number))
            collect.set("digits", members.value)
        }
        if let speech {
            var members = JSONObjectBuilder()
            members.set("end_silence_timeout", speech.endSilenceTimeout.map(JSONValue.number))
            members.set("speech_timeout", speech.speechTimeout.map(JSONValue.number))
            members.set("language", speech.language)
            members.set("hints", speech.hints)
            collect.set("speech", members.value)
        }
        if partialResults == true { collect.set("partial_results", true) }
        return collect.value
    }
}

/// `record.audio` of `calling.record`. Unset members are omitted, as Python does.
package struct RecordOptions: JSONRepresentable, Hashable {
    package var beep: Bool?
    package var format: String?
    package var stereo: Bool?
    package var direction: String?
    package var initialTimeout: Double?
    package var endSilenceTimeout: Double?
    package var terminators: String?

    package init(beep: Bool? = nil, format: String? = nil, stereo: Bool? = nil, direction: String? = nil, initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, terminators: String? = nil) {
        self.beep = beep
        self.format = format
        self.stereo = stereo
        self.direction = direction
        self.initialTimeout = initialTimeout
        self.endSilenceTimeout = endSilenceTimeout
        self.terminators = terminators
    }

    /// Reads the `record` object (`{"audio": {...}}`).
    package init(json: JSONValue) throws(WireError) {
        guard let audio = json["audio"], audio.objectValue != nil else { throw .missing("audio", in: "record") }
        beep = audio["beep"]?.boolValue
        format = audio["format"]?.stringValue
        stereo = audio["stereo"]?.boolValue
        direction = audio["direction"]?.stringValue
        initialTimeout = audio["initial_timeout"]?.doubleValue
        endSilenceTimeout = audio["end_silence_timeout"]?.doubleValue
        terminators = audio["terminators"]?.stringValue
    }

    package var json: JSONValue {
        var audio = JSONObjectBuilder()
        audio.set("beep", beep)
        audio.set("format", format)
        audio.set("stereo", stereo)
        audio.set("direction", direction)
        audio.set("initial_timeout", initialTimeout.map(JSONValue.number))
        audio.set("end_silence_timeout", endSilenceTimeout.map(JSONValue.number))
        audio.set("terminators", terminators)
        return ["audio": audio.value]
    }
}

/// `detect` of `calling.detect`.
public enum DetectOptions: JSONRepresentable, Hashable {
    /// Answering-machine detection (seconds and thresholds; nil uses Relay's defaults).
    case machine(initialTimeout: Double? = nil, endSilenceTimeout: Double? = nil, machineVoiceThreshold: Double? = nil, machineWordsThreshold: Double? = nil)
    /// Fax tone detection: `CED`, `CNG`, or either when nil.
    case fax(tone: String? = nil)
    /// DTMF detection of the given digits, or any when nil.
    case digit(digits: String? = nil)

    /// `machine`, `fax` or `digit`.
    public var type: String {
        switch self {
        case .machine: "machine"
        case .fax: "fax"
        case .digit: "digit"
        }
    }

    package init(json: JSONValue) throws(WireError) {
        let type = try json.requireString("type", in: "detect")
        let params = json["params"] ?? .object([:])
        switch type {
        case "machine":
            self = .machine(
                initialTimeout: params["initial_timeout"]?.doubleValue, endSilenceTimeout: params["end_silence_timeout"]?.doubleValue,
                machineVoiceThreshold: params["machine_voice_threshold"]?.doubleValue, machineWordsThreshold: params["machine_words_threshold"]?.doubleValue)
        case "fax": self = .fax(tone: params["tone"]?.stringValue)
        case "digit": self = .digit(digits: params["digits"]?.stringValue)
        default: throw WireError("detect: unknown type '\(type)'")
        }
    }

    package var json: JSONValue {
        var params = JSONObjectBuilder()
        switch self {
        case .machine(let initialTimeout, let endSilenceTimeout, let voice, let words):
            params.set("initial_timeout", initialTimeout.map(JSONValue.number))
            params.set("end_silence_timeout", endSilenceTimeout.map(JSONValue.number))
            params.set("machine_voice_threshold", voice.map(JSONValue.number))
            params.set("machine_words_threshold", words.map(JSONValue.number))
        case .fax(let tone): params.set("tone", tone)
        case .digit(let digits): params.set("digits", digits)
        }
        return ["type": .string(type), "params": params.value]
    }
}

/// Where a tap sends its media: `{"type": "rtp"|"ws", "params": {...}}`.
public struct TapDevice: JSONRepresentable, Hashable {
    /// `rtp` or `ws`.
    public var type: String
    /// The device's params as Relay reads them.
    public var params: [String: JSONValue]

    /// A device of any type.
    public init(type: String, params: [String: JSONValue]) {
        self.type = type
        self.params = params
    }

    /// Sends the media over RTP to `address:port`.
    public static func rtp(address: String, port: Int, codec: String? = nil, ptime: Int? = nil, rate: Int? = nil) -> TapDevice {
        var params = JSONObjectBuilder()
        params.set("addr", address)
        params.set("port", port)
        params.set("ptime", ptime)
        params.set("rate", rate)
        params.set("codec", codec)
        return TapDevice(type: "rtp", params: params.members)
    }

    /// Sends the media over a WebSocket to `uri`.
    public static func ws(uri: String, codec: String? = nil, rate: Int? = nil) -> TapDevice {
        var params = JSONObjectBuilder()
        params.set("uri", uri)
        params.set("rate", rate)
        params.set("codec", codec)
        return TapDevice(type: "ws", params: params.members)
    }

    package init(json: JSONValue) throws(WireError) {
        type = try json.requireString("type", in: "tap device")
        params = json["params"]?.objectValue ?? [:]
    }

    package var json: JSONValue { ["type": .string(type), "params": .object(params)] }

    /// The RTP address.
    public var address: String? { params["addr"]?.stringValue }
    /// The RTP port.
    public var port: Int? { params["port"]?.intValue }
    /// The WebSocket URI.
    public var uri: String? { params["uri"]?.stringValue }
    /// The codec, such as `PCMU`.
    public var codec: String? { params["codec"]?.stringValue }
    /// The sample rate.
    public var rate: Int? { params["rate"]?.intValue }
    /// The packet time in milliseconds.
    public var ptime: Int? { params["ptime"]?.intValue }
    /// `codec`, `rate` and `ptime` as sent, whatever their JSON type: a server names a wrong
    /// value in its error instead of reading it as absent.
    package var sentCodec: JSONValue? { params["codec"] }
    package var sentRate: JSONValue? { params["rate"] }
    package var sentPtime: JSONValue? { params["ptime"] }
}

extension Media {
    /// Why this item cannot be played, or `nil` when it can: the one rule both ends apply.
    package var problem: String? {
        switch self {
        case .audio(let url):
            // file:// names a file on the local server (its SIP edge plays it).
            url.hasPrefix("http://") || url.hasPrefix("https://") || url.hasPrefix("file:///") ? nil : "audio 'url' must be an http(s) URL (or file:/// on a local server)"
        case .tts(let text, _, _):
            text.isEmpty ? "tts 'text' must not be empty" : nil
        case .silence(let duration):
            duration.isFinite && duration >= 0 ? nil : "silence 'duration' must be a number of seconds ≥ 0"
        case .ringtone(let name, let duration):
            if name.isEmpty { "ringtone 'name' must not be empty" }
            else if let duration, !(duration.isFinite && duration >= 0) { "ringtone 'duration' must be a number of seconds ≥ 0" }
            else { nil }
        case .other(let type, _):
            "unknown media type '\(type)': use audio, tts, silence or ringtone"
        }
    }
}
