/// One Blade JSON-RPC 2.0 frame: a request (either direction), a result or an error.
public enum BladeFrame: Sendable, Hashable {
    case request(id: String, method: String, params: JSONValue)
    case result(id: String, result: JSONValue)
    case error(id: String, error: BladeError)

    /// Reads a frame. `params` may be missing (the server's `blade.disconnect` has none) and
    /// then reads as `{}`. Anything that is not a JSON-RPC object throws a `WireError`.
    public init(json: JSONValue) throws(WireError) {
        guard json.objectValue != nil else { throw WireError("frame is not a JSON object") }
        let id: String? =
            switch json["id"] {
            case .string(let text): text
            case .int(let number): String(number)
            default: nil
            }
        if let method = json["method"]?.stringValue {
            self = .request(id: id ?? "", method: method, params: json["params"] ?? .object([:]))
            return
        }
        guard let id else { throw WireError("frame has neither 'method' nor a string 'id'") }
        if let error = json["error"] {
            self = .error(id: id, error: BladeError(json: error))
        } else if let result = json["result"] {
            self = .result(id: id, result: result)
        } else {
            throw WireError("response '\(id)' has neither 'result' nor 'error'")
        }
    }

    public init(bytes: [UInt8]) throws(WireError) {
        try self.init(json: JSONCodec.parse(bytes))
    }

    public var id: String {
        switch self {
        case .request(let id, _, _), .result(let id, _), .error(let id, _): id
        }
    }

    public var json: JSONValue {
        switch self {
        case .request(let id, let method, let params):
            ["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params]
        case .result(let id, let result):
            ["jsonrpc": "2.0", "id": .string(id), "result": result]
        case .error(let id, let error):
            ["jsonrpc": "2.0", "id": .string(id), "error": error.json]
        }
    }

    /// The frame as sent on the wire (member order not sorted).
    public var bytes: [UInt8] { JSONCodec.serialize(json, sortedKeys: false) }
}

/// A JSON-RPC error object.
public struct BladeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public init(json: JSONValue) {
        code = json["code"]?.intValue ?? -32603
        message = json["message"]?.stringValue ?? "unknown error"
    }

    public var json: JSONValue { ["code": .int(code), "message": .string(message)] }
    public var description: String { "\(message) (\(code))" }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    public static let timeout = -32000
    public static let unauthorized = -32002
}

/// Names of Blade and Relay methods, events and constants, spelled once.
public enum BladeMethod {
    public static let connect = "blade.connect"
    public static let execute = "blade.execute"
    public static let subscription = "blade.subscription"
    public static let ping = "blade.ping"
    public static let broadcast = "blade.broadcast"
    public static let netcast = "blade.netcast"
    public static let disconnect = "blade.disconnect"
    public static let reauthenticate = "blade.reauthenticate"
}

public enum RelayMethod {
    public static let setup = "setup"
    public static let receive = "signalwire.receive"
    public static let begin = "calling.begin"
    public static let dial = "calling.dial"
    public static let answer = "calling.answer"
    public static let end = "calling.end"
    public static let connect = "calling.connect"
    public static let disconnect = "calling.disconnect"
    public static let pass = "calling.pass"
    public static let play = "calling.play"
    public static let playStop = "calling.play.stop"
    public static let playPause = "calling.play.pause"
    public static let playResume = "calling.play.resume"
    public static let playVolume = "calling.play.volume"
    public static let playAndCollect = "calling.play_and_collect"
    public static let playAndCollectStop = "calling.play_and_collect.stop"
    public static let playAndCollectVolume = "calling.play_and_collect.volume"
    public static let record = "calling.record"
    public static let recordStop = "calling.record.stop"
    public static let detect = "calling.detect"
    public static let detectStop = "calling.detect.stop"
    public static let sendFax = "calling.send_fax"
    public static let sendFaxStop = "calling.send_fax.stop"
    public static let receiveFax = "calling.receive_fax"
    public static let receiveFaxStop = "calling.receive_fax.stop"
    public static let sendDigits = "calling.send_digits"
    public static let tap = "calling.tap"
    public static let tapStop = "calling.tap.stop"
    public static let messagingSend = "messaging.send"
}

public enum RelayEventName {
    /// Broadcast `event` values.
    public static let calling = "queuing.relay.events"
    public static let messaging = "queuing.relay.messaging"
    public static let tasks = "queuing.relay.tasks"

    /// `event_type` values.
    public static let callState = "calling.call.state"
    public static let callReceive = "calling.call.receive"
    public static let callConnect = "calling.call.connect"
    public static let callPlay = "calling.call.play"
    public static let callCollect = "calling.call.collect"
    public static let callRecord = "calling.call.record"
    public static let callDetect = "calling.call.detect"
    public static let callFax = "calling.call.fax"
    public static let callTap = "calling.call.tap"
    public static let callSendDigits = "calling.call.send_digits"
    public static let callDial = "calling.call.dial"
    public static let callRefer = "calling.call.refer"
    public static let messagingReceive = "messaging.receive"
    public static let messagingState = "messaging.state"
}

/// The `blade.broadcast` envelope around every event.
public struct BroadcastParams: Sendable, Hashable {
    public var protocolName: String
    public var channel: String
    public var event: String
    /// The notification object (`params.params`): `event_type`, `params`, `context`, … .
    public var notification: JSONValue
    public var broadcasterNodeID: String?

    public init(protocolName: String, event: String, notification: JSONValue, channel: String = "notifications", broadcasterNodeID: String? = nil) {
        self.protocolName = protocolName
        self.channel = channel
        self.event = event
        self.notification = notification
        self.broadcasterNodeID = broadcasterNodeID
    }

    public init(json: JSONValue) throws(WireError) {
        protocolName = try json.requireString("protocol", in: "blade.broadcast")
        event = try json.requireString("event", in: "blade.broadcast")
        channel = json["channel"]?.stringValue ?? "notifications"
        notification = try json.requireObject("params", in: "blade.broadcast")
        broadcasterNodeID = json["broadcaster_nodeid"]?.stringValue
    }

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("protocol", protocolName)
        builder.set("channel", channel)
        builder.set("event", event)
        builder.set("params", notification)
        builder.set("broadcaster_nodeid", broadcasterNodeID)
        return builder.value
    }

    /// The whole `blade.broadcast` request carrying these params, with request id `id`, as
    /// compact JSON bytes: the same members as encoding
    /// `{"jsonrpc","id","method","params": json}`, written without building the envelope's objects
    /// (a server sends one per event).
    public func requestBytes(id: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        output.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONCodec.writeString(id, into: &output)
        output.append(contentsOf: #","method":"#.utf8)
        JSONCodec.writeString(BladeMethod.broadcast, into: &output)
        output.append(contentsOf: #","params":{"protocol":"#.utf8)
        JSONCodec.writeString(protocolName, into: &output)
        output.append(contentsOf: #","channel":"#.utf8)
        JSONCodec.writeString(channel, into: &output)
        output.append(contentsOf: #","event":"#.utf8)
        JSONCodec.writeString(event, into: &output)
        if let broadcasterNodeID {
            output.append(contentsOf: #","broadcaster_nodeid":"#.utf8)
            JSONCodec.writeString(broadcasterNodeID, into: &output)
        }
        output.append(contentsOf: #","params":"#.utf8)
        JSONCodec.write(notification, into: &output, sortedKeys: false)
        output.append(contentsOf: "}}".utf8)
        return output
    }

    /// `params.params.event_type` (absent for tasks).
    public var eventType: String? { notification["event_type"]?.stringValue }
    /// `params.params.params`: the event-specific members.
    public var eventParams: JSONValue { notification["params"] ?? .object([:]) }
}

/// Relay's result convention: `result.result.code` is the string `"200"` on success.
public enum RelayResult {
    /// The one success code.
    public static let successCode = "200"

    /// The inner `result.result` of a `blade.execute` response, or `nil` when absent.
    public static func inner(_ result: JSONValue) -> JSONValue? { result["result"] }

    /// Whether a `blade.execute` result (the outer `result`) reports success.
    public static func isSuccess(_ result: JSONValue) -> Bool {
        inner(result)?["code"].map(isSuccess(code:)) ?? false
    }

    /// Whether a `code` member means success: only the string `"200"` does. A numeric `200`
    /// is a failure, as in Python and Node (RELAY-V2.md §1.6).
    public static func isSuccess(code: JSONValue) -> Bool {
        code.stringValue == successCode
    }
}
