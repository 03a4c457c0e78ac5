/// One Blade JSON-RPC 2.0 frame: a request (either direction), a result or an error.
package enum BladeFrame: Sendable, Hashable {
    case request(id: String, method: String, params: JSONValue)
    case result(id: String, result: JSONValue)
    case error(id: String, error: BladeError)

    /// Reads a frame. `params` may be missing (the server's `blade.disconnect` has none) and
    /// then reads as `{}`. Anything that is not a JSON-RPC object throws a `WireError`.
    package init(json: JSONValue) throws(WireError) {
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

    package init(bytes: [UInt8]) throws(WireError) {
        try self.init(json: JSONCodec.parse(bytes))
    }

    package var id: String {
        switch self {
        case .request(let id, _, _), .result(let id, _), .error(let id, _): id
        }
    }

    package var json: JSONValue {
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
    package var bytes: [UInt8] { JSONCodec.serialize(json, sortedKeys: false) }
}

/// A JSON-RPC error object.
package struct BladeError: Error, Sendable, Hashable, CustomStringConvertible {
    package var code: Int
    package var message: String

    package init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    package init(json: JSONValue) {
        code = json["code"]?.intValue ?? -32603
        message = json["message"]?.stringValue ?? "unknown error"
    }

    package var json: JSONValue { ["code": .int(code), "message": .string(message)] }
    package var description: String { "\(message) (\(code))" }

    package static let parseError = -32700
    package static let invalidRequest = -32600
    package static let methodNotFound = -32601
    package static let invalidParams = -32602
    package static let internalError = -32603
    package static let timeout = -32000
    package static let unauthorized = -32002
}

/// Names of Blade and Relay methods, events and constants, spelled once.
package enum BladeMethod {
    package static let connect = "blade.connect"
    package static let execute = "blade.execute"
    package static let subscription = "blade.subscription"
    package static let ping = "blade.ping"
    package static let broadcast = "blade.broadcast"
    package static let netcast = "blade.netcast"
    package static let disconnect = "blade.disconnect"
    package static let reauthenticate = "blade.reauthenticate"
}

package enum RelayMethod {
    package static let setup = "setup"
    package static let receive = "signalwire.receive"
    package static let begin = "calling.begin"
    package static let dial = "calling.dial"
    package static let answer = "calling.answer"
    package static let end = "calling.end"
    package static let connect = "calling.connect"
    package static let disconnect = "calling.disconnect"
    package static let pass = "calling.pass"
    package static let refer = "calling.refer"
    package static let play = "calling.play"
    package static let playStop = "calling.play.stop"
    package static let playPause = "calling.play.pause"
    package static let playResume = "calling.play.resume"
    package static let playVolume = "calling.play.volume"
    package static let playAndCollect = "calling.play_and_collect"
    package static let playAndCollectStop = "calling.play_and_collect.stop"
    package static let playAndCollectVolume = "calling.play_and_collect.volume"
    package static let record = "calling.record"
    package static let recordStop = "calling.record.stop"
    package static let detect = "calling.detect"
    package static let detectStop = "calling.detect.stop"
    package static let sendFax = "calling.send_fax"
    package static let sendFaxStop = "calling.send_fax.stop"
    package static let receiveFax = "calling.receive_fax"
    package static let receiveFaxStop = "calling.receive_fax.stop"
    package static let sendDigits = "calling.send_digits"
    package static let tap = "calling.tap"
    package static let tapStop = "calling.tap.stop"
    package static let messagingSend = "messaging.send"
}

package enum RelayEventName {
    /// Broadcast `event` values.
    package static let calling = "queuing.relay.events"
    package static let messaging = "queuing.relay.messaging"
    package static let tasks = "queuing.relay.tasks"

    /// `event_type` values.
    package static let callState = "calling.call.state"
    package static let callReceive = "calling.call.receive"
    package static let callConnect = "calling.call.connect"
    package static let callPlay = "calling.call.play"
    package static let callCollect = "calling.call.collect"
    package static let callRecord = "calling.call.record"
    package static let callDetect = "calling.call.detect"
    package static let callFax = "calling.call.fax"
    package static let callTap = "calling.call.tap"
    package static let callSendDigits = "calling.call.send_digits"
    package static let callDial = "calling.call.dial"
    package static let callRefer = "calling.call.refer"
    package static let messagingReceive = "messaging.receive"
    package static let messagingState = "messaging.state"
}

/// The `blade.broadcast` envelope around every event.
package struct BroadcastParams: Sendable, Hashable {
    package var protocolName: String
    package var channel: String
    package var event: String
    /// The notification object (`params.params`): `event_type`, `params`, `context`, … .
    package var notification: JSONValue
    package var broadcasterNodeID: String?

    package init(protocolName: String, event: String, notification: JSONValue, channel: String = "notifications", broadcasterNodeID: String? = nil) {
        self.protocolName = protocolName
        self.channel = channel
        self.event = event
        self.notification = notification
        self.broadcasterNodeID = broadcasterNodeID
    }

    package init(json: JSONValue) throws(WireError) {
        protocolName = try json.requireString("protocol", in: "blade.broadcast")
        event = try json.requireString("event", in: "blade.broadcast")
        channel = json["channel"]?.stringValue ?? "notifications"
        notification = try json.requireObject("params", in: "blade.broadcast")
        broadcasterNodeID = json["broadcaster_nodeid"]?.stringValue
    }

    package var json: JSONValue {
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
    package var eventType: String? { notification["event_type"]?.stringValue }
    /// `params.params.params`: the event-specific members.
    package var eventParams: JSONValue { notification["params"] ?? .object([:]) }
}

/// Relay's result convention: `result.result.code` is the string `"200"` on success.
package enum RelayResult {
    /// The one success code.
    package static let successCode = "200"

    /// The inner `result.result` of a `blade.execute` response, or `nil` when absent.
    package static func inner(_ result: JSONValue) -> JSONValue? { result["result"] }

    /// Whether a `blade.execute` result (the outer `result`) reports success.
    package static func isSuccess(_ result: JSONValue) -> Bool {
        inner(result)?["code"].map(isSuccess(code:)) ?? false
    }

    /// Whether a `code` member means success: only the string `"200"` does. A numeric `200`
    /// is a failure, as in Python and Node (RELAY-V2.md §1.6).
    package static func isSuccess(code: JSONValue) -> Bool {
        code.stringValue == successCode
    }
}
