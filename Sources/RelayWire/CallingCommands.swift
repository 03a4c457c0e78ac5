// The inner params (`params.params` of `blade.execute`) of every calling command, as Python
// 2.1.1 writes them (RELAY-V2.md §4). Each reads what any SDK variant sends and writes what
// Python sends.

/// `calling.begin`.
package struct BeginCommand: JSONRepresentable, Hashable {
    package var tag: String
    package var device: Device

    package init(tag: String, device: Device) {
        self.tag = tag
        self.device = device
    }

    package init(json: JSONValue) throws(WireError) {
        tag = try json.requireString("tag", in: RelayMethod.begin)
        device = try Device(json: json.requireObject("device", in: RelayMethod.begin))
    }

    package var json: JSONValue { ["tag": .string(tag), "device": device.json] }
}

/// `calling.dial` (Node 2.4+ on v2, native on v3): `{tag, devices: [[device]], max_duration?, region?}`.
/// The outer array is tried in series, each inner array rings in parallel (RELAY-V3.md §6.1).
package struct DialCommand: JSONRepresentable, Hashable {
    package var tag: String
    package var devices: [[Device]]
    /// Minutes an answered leg may last.
    package var maxDuration: Int?
    package var region: String?

    package init(tag: String, devices: [[Device]], maxDuration: Int? = nil, region: String? = nil) {
        self.tag = tag
        self.devices = devices
        self.maxDuration = maxDuration
        self.region = region
    }

    package init(json: JSONValue) throws(WireError) {
        tag = try json.requireString("tag", in: RelayMethod.dial)
        devices = try DeviceGroups.parse(json["devices"], in: RelayMethod.dial)
        if let minutes = json["max_duration"], !minutes.isNull {
            guard let value = minutes.intValue, value >= 0 else { throw WireError("calling.dial: 'max_duration' must be a number of minutes ≥ 0") }
            maxDuration = value
        }
        region = json["region"]?.stringValue
    }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("tag", tag)
        members.set("devices", DeviceGroups.json(devices))
        // Py3 sends max_duration only when truthy.
        if let maxDuration, maxDuration != 0 { members.set("max_duration", maxDuration) }
        members.set("region", region)
        return members.value
    }
}

/// `calling.refer`: a SIP REFER of the call to `device.params.to`
/// (`{node_id, call_id, device: {type: "sip", params: {to, username?, password?, headers?}}, status_url?}`).
package struct ReferCommand: JSONRepresentable, Hashable {
    package var call: CallAddress
    /// The SIP URI the far end is referred to.
    package var to: String
    package var username: String?
    package var password: String?
    /// Node 2.x sends these in `device.params.headers`.
    package var headers: [SIPHeader]
    package var statusURL: String?

    package init(call: CallAddress, to: String, username: String? = nil, password: String? = nil, headers: [SIPHeader] = [], statusURL: String? = nil) {
        self.call = call
        self.to = to
        self.username = username
        self.password = password
        self.headers = headers
        self.statusURL = statusURL
    }

    package init(json: JSONValue) throws(WireError) {
        call = CallAddress(json: json)
        let device = try json.requireObject("device", in: RelayMethod.refer)
        let type = device["type"]?.stringValue ?? DeviceType.sip
        guard type == DeviceType.sip else { throw WireError("calling.refer: 'device.type' must be \"sip\"") }
        let params = try device.requireObject("params", in: RelayMethod.refer)
        to = try params.requireString("to", in: RelayMethod.refer)
        username = params["username"]?.stringValue
        password = params["password"]?.stringValue
        headers = params["headers"]?.arrayValue?.compactMap(SIPHeader.init(json:)) ?? []
        statusURL = json["status_url"]?.stringValue
    }

    package var json: JSONValue {
        var params = JSONObjectBuilder()
        params.set("to", to)
        params.set("username", username)
        params.set("password", password)
        if !headers.isEmpty { params.set("headers", .array(headers.map(\.json))) }
        var members = call.members
        members["device"] = ["type": .string(DeviceType.sip), "params": params.value]
        if let statusURL { members["status_url"] = .string(statusURL) }
        return .object(members)
    }
}

/// `calling.answer`, `calling.disconnect` and anything else that only names the call.
package struct CallCommand: JSONRepresentable, Hashable {
    package var call: CallAddress
    package init(call: CallAddress) { self.call = call }
    package init(json: JSONValue) throws(WireError) { call = CallAddress(json: json) }
    package var json: JSONValue { .object(call.members) }
}

/// `calling.end`.
package struct EndCommand: JSONRepresentable, Hashable {
    package var call: CallAddress
    package var reason: String

    package init(call: CallAddress, reason: String = "hangup") {
        self.call = call
        self.reason = reason
    }

    package init(json: JSONValue) throws(WireError) {
        call = CallAddress(json: json)
        reason = json["reason"]?.stringValue ?? "hangup"
    }

    package var json: JSONValue {
        var members = call.members
        members["reason"] = .string(reason)
        return .object(members)
    }
}

/// `calling.connect`.
package struct ConnectCommand: JSONRepresentable, Hashable {
    package var call: CallAddress
    package var devices: [[Device]]
    package var ringback: [Media]

    package init(call: CallAddress, devices: [[Device]], ringback: [Media] = []) {
        self.call = call
        self.devices = devices
        self.ringback = ringback
    }

    package init(json: JSONValue) throws(WireError) {
        call = CallAddress(json: json)
        devices = try DeviceGroups.parse(json["devices"])
        if let ringbackList = json["ringback"], ringbackList.arrayValue != nil {
            ringback = try Media.list(ringbackList, in: "ringback")
        } else if let single = json["ringback"], single.objectValue != nil {
            ringback = [try Media(json: single)]  // Node sends one media object.
        } else {
            ringback = []
        }
    }

    package var json: JSONValue {
        var members = call.members
        members["devices"] = DeviceGroups.json(devices)
        if !ringback.isEmpty { members["ringback"] = .array(ringback.map { $0.encoded(floatDurations: false) }) }
        return .object(members)
    }
}

/// Members every component command shares: the call and the client-chosen `control_id`.
package struct ComponentAddress: Sendable, Hashable {
    package var call: CallAddress
    package var controlID: String

    package init(call: CallAddress, controlID: String) {
        self.call = call
        self.controlID = controlID
    }

    package init(json: JSONValue, method: String) throws(WireError) {
        call = CallAddress(json: json)
        controlID = try json.requireString("control_id", in: method)
    }

    package var members: [String: JSONValue] {
        var members = call.members
        members["control_id"] = .string(controlID)
        return members
    }
}

/// `calling.play`.
package struct PlayCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var media: [Media]
    /// Omitted when 0, as Python does for play.
    package var volume: Double?

    package init(component: ComponentAddress, media: [Media], volume: Double? = nil) {
        self.component = component
        self.media = media
        self.volume = volume
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.play)
        media = try Media.list(json["play"], in: RelayMethod.play)
        volume = json["volume"]?.doubleValue
    }

    package var json: JSONValue {
        var members = component.members
        members["play"] = .array(media.map(\.json))
        if let volume, volume != 0 { members["volume"] = .double(volume) }
        return .object(members)
    }
}

/// `calling.play_and_collect`.
package struct PlayAndCollectCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var media: [Media]
    package var collect: CollectOptions
    /// Sent whenever given, even 0 (unlike play).
    package var volume: Double?

    package init(component: ComponentAddress, media: [Media], collect: CollectOptions, volume: Double? = nil) {
        self.component = component
        self.media = media
        self.collect = collect
        self.volume = volume
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.playAndCollect)
        media = try Media.list(json["play"], in: RelayMethod.playAndCollect)
        collect = try CollectOptions(json: json.requireObject("collect", in: RelayMethod.playAndCollect))
        volume = json["volume"]?.doubleValue
    }

    package var json: JSONValue {
        var members = component.members
        members["play"] = .array(media.map { $0.encoded(floatDurations: false) })
        members["collect"] = collect.json
        if let volume { members["volume"] = .double(volume) }
        return .object(members)
    }
}

/// `calling.record`.
package struct RecordCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var record: RecordOptions

    package init(component: ComponentAddress, record: RecordOptions) {
        self.component = component
        self.record = record
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.record)
        record = try RecordOptions(json: json.requireObject("record", in: RelayMethod.record))
    }

    package var json: JSONValue {
        var members = component.members
        members["record"] = record.json
        return .object(members)
    }
}

/// `calling.detect`.
package struct DetectCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var detect: DetectOptions
    /// Seconds the detector runs; sent only when set and non-zero.
    package var timeout: Double?

    package init(component: ComponentAddress, detect: DetectOptions, timeout: Double? = nil) {
        self.component = component
        self.detect = detect
        self.timeout = timeout
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.detect)
        detect = try DetectOptions(json: json.requireObject("detect", in: RelayMethod.detect))
        timeout = json["timeout"]?.doubleValue
    }

    package var json: JSONValue {
        var members = component.members
        members["detect"] = detect.json
        if let timeout, timeout != 0 { members["timeout"] = .number(timeout) }
        return .object(members)
    }
}

/// `calling.send_fax`.
package struct SendFaxCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var document: String
    package var identity: String?
    package var header: String?

    package init(component: ComponentAddress, document: String, identity: String? = nil, header: String? = nil) {
        self.component = component
        self.document = document
        self.identity = identity
        self.header = header
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.sendFax)
        document = try json.requireString("document", in: RelayMethod.sendFax)
        identity = json["identity"]?.stringValue
        header = json["header_info"]?.stringValue
    }

    package var json: JSONValue {
        var members = component.members
        members["document"] = .string(document)
        if let identity, !identity.isEmpty { members["identity"] = .string(identity) }
        if let header, !header.isEmpty { members["header_info"] = .string(header) }
        return .object(members)
    }
}

/// `calling.send_digits`.
package struct SendDigitsCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var digits: String

    /// DTMF keys plus `w`/`W` (short and long pauses), as SignalWire documents them.
    package static let allowedCharacters: Set<Character> = Set("0123456789*#ABCDabcdwW")
    /// The rule, as error messages state it.
    package static let rule = "only 0-9, *, #, A-D (or a-d), w (0.5 s pause) and W (1 s pause) are allowed"

    package init(component: ComponentAddress, digits: String) {
        self.component = component
        self.digits = digits
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.sendDigits)
        digits = try json.requireString("digits", in: RelayMethod.sendDigits)
    }

    package var json: JSONValue {
        var members = component.members
        members["digits"] = .string(digits)
        return .object(members)
    }

    /// The first character that is not a DTMF key or pause, if any.
    package static func firstInvalidCharacter(in digits: String) -> Character? {
        digits.first { !allowedCharacters.contains($0) }
    }
}

/// `calling.tap`.
package struct TapCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    /// `tap.params.direction`: `listen`, `speak` or `both`.
    package var direction: String
    package var device: TapDevice

    package init(component: ComponentAddress, direction: String, device: TapDevice) {
        self.component = component
        self.direction = direction
        self.device = device
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: RelayMethod.tap)
        let tap = try json.requireObject("tap", in: RelayMethod.tap)
        direction = tap["params"]?["direction"]?.stringValue ?? "both"
        device = try TapDevice(json: json.requireObject("device", in: RelayMethod.tap))
    }

    package var json: JSONValue {
        var members = component.members
        members["tap"] = ["type": "audio", "params": ["direction": .string(direction)]]
        members["device"] = device.json
        return .object(members)
    }
}

/// `calling.<verb>.stop|pause|resume|volume`, and `calling.receive_fax`: the component address,
/// plus `volume` for the volume commands.
package struct ComponentControlCommand: JSONRepresentable, Hashable {
    package var component: ComponentAddress
    package var volume: Double?

    package init(component: ComponentAddress, volume: Double? = nil) {
        self.component = component
        self.volume = volume
    }

    package init(json: JSONValue) throws(WireError) {
        component = try ComponentAddress(json: json, method: "component control")
        volume = json["volume"]?.doubleValue
    }

    package var json: JSONValue {
        var members = component.members
        if let volume { members["volume"] = .double(volume) }
        return .object(members)
    }
}

/// `signalwire.receive`: `{"contexts": [...]}` (Ruby sends `{"context": "..."}`).
package struct ReceiveCommand: JSONRepresentable, Hashable {
    package var contexts: [String]
    package init(contexts: [String]) { self.contexts = contexts }

    package init(json: JSONValue) throws(WireError) {
        if let list = json["contexts"]?.stringArray {
            contexts = list
        } else if let single = json["context"]?.stringValue {
            contexts = [single]
        } else {
            throw WireError("signalwire.receive: needs 'contexts' (array of strings) or 'context'")
        }
    }

    package var json: JSONValue { ["contexts": .array(contexts.map(JSONValue.string))] }
}

/// `messaging.send`.
package struct MessagingSendCommand: JSONRepresentable, Hashable {
    package var context: String
    package var from: String
    package var to: String
    package var body: String?
    package var media: [String]?
    package var tags: [String]?
    package var region: String?

    package init(context: String, from: String, to: String, body: String? = nil, media: [String]? = nil, tags: [String]? = nil, region: String? = nil) {
        self.context = context
        self.from = from
        self.to = to
        self.body = body
        self.media = media
        self.tags = tags
        self.region = region
    }

    package init(json: JSONValue) throws(WireError) {
        context = try json.requireString("context", in: RelayMethod.messagingSend)
        from = try json.requireString("from_number", in: RelayMethod.messagingSend)
        to = try json.requireString("to_number", in: RelayMethod.messagingSend)
        body = json["body"]?.stringValue
        media = json["media"]?.stringArray
        tags = json["tags"]?.stringArray
        region = json["region"]?.stringValue
    }

    /// Python sends `body`, `media` and `tags` only when non-empty.
    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("from_number", from)
        members.set("to_number", to)
        members.set("context", context)
        if let body, !body.isEmpty { members.set("body", body) }
        if let media, !media.isEmpty { members.set("media", media) }
        if let tags, !tags.isEmpty { members.set("tags", tags) }
        members.set("region", region)
        return members.value
    }
}
