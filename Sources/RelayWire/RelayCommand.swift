// Every Relay command a client runs through `blade.execute` on its protocol, decoded once by
// method name into the typed structs of CallingCommands.swift.

/// The kinds of components a call runs, keyed by `control_id`.
package enum ComponentKind: String, Sendable, Hashable, CaseIterable {
    case play, collect, record, detect, sendFax = "send_fax", receiveFax = "receive_fax", tap, sendDigits = "send_digits"

    /// The `calling.*` method that starts a component of this kind (its controls add `.stop`, …).
    package var method: String {
        switch self {
        case .play: RelayMethod.play
        case .collect: RelayMethod.playAndCollect
        case .record: RelayMethod.record
        case .detect: RelayMethod.detect
        case .sendFax: RelayMethod.sendFax
        case .receiveFax: RelayMethod.receiveFax
        case .tap: RelayMethod.tap
        case .sendDigits: RelayMethod.sendDigits
        }
    }
}

/// What a control command does to a running component.
package enum ComponentControl: Sendable, Hashable {
    case stop, pause, resume
    case volume(Double)
}

/// One `blade.execute` command on a Relay protocol (`params.method` + `params.params`).
package enum RelayCommand: Sendable, Hashable {
    case receive(ReceiveCommand)
    case messagingSend(MessagingSendCommand)
    case begin(BeginCommand)
    case dial(DialCommand)
    case answer(CallCommand)
    case end(EndCommand)
    case connect(ConnectCommand)
    case disconnect(CallCommand)
    case pass(CallCommand)
    case refer(ReferCommand)
    case play(PlayCommand)
    case playAndCollect(PlayAndCollectCommand)
    case record(RecordCommand)
    case detect(DetectCommand)
    case sendFax(SendFaxCommand)
    case receiveFax(ComponentAddress)
    case sendDigits(SendDigitsCommand)
    case tap(TapCommand)
    /// `calling.<verb>.stop|pause|resume|volume`.
    case control(ComponentKind, ComponentControl, ComponentAddress)

    /// Why a method/params pair is not a command.
    package enum DecodingError: Error, Sendable, Hashable {
        /// No command has this method name.
        case unknownMethod(String)
        /// The method is known but its params are not valid.
        case invalidParams(WireError)
    }

    /// Decodes `params.params` of a `blade.execute` whose `params.method` is `method`.
    package init(method: String, params: JSONValue) throws(DecodingError) {
        do {
            switch method {
            case RelayMethod.receive: self = .receive(try ReceiveCommand(json: params))
            case RelayMethod.messagingSend: self = .messagingSend(try MessagingSendCommand(json: params))
            case RelayMethod.begin: self = .begin(try BeginCommand(json: params))
            case RelayMethod.dial: self = .dial(try DialCommand(json: params))
            case RelayMethod.answer: self = .answer(try CallCommand(json: params))
            case RelayMethod.end: self = .end(try EndCommand(json: params))
            case RelayMethod.connect: self = .connect(try ConnectCommand(json: params))
            case RelayMethod.disconnect: self = .disconnect(try CallCommand(json: params))
            case RelayMethod.pass: self = .pass(try CallCommand(json: params))
            case RelayMethod.refer: self = .refer(try ReferCommand(json: params))
            case RelayMethod.play: self = .play(try PlayCommand(json: params))
            case RelayMethod.playAndCollect: self = .playAndCollect(try PlayAndCollectCommand(json: params))
            case RelayMethod.record: self = .record(try RecordCommand(json: params))
            case RelayMethod.detect: self = .detect(try DetectCommand(json: params))
            case RelayMethod.sendFax: self = .sendFax(try SendFaxCommand(json: params))
            case RelayMethod.receiveFax: self = .receiveFax(try ComponentAddress(json: params, method: method))
            case RelayMethod.sendDigits: self = .sendDigits(try SendDigitsCommand(json: params))
            case RelayMethod.tap: self = .tap(try TapCommand(json: params))
            default:
                guard let (kind, control) = Self.control(method: method, params: params) else { throw DecodingError.unknownMethod(method) }
                self = .control(kind, control, try ComponentAddress(json: params, method: method))
            }
        } catch let error as DecodingError {
            throw error
        } catch let error as WireError {
            throw .invalidParams(error)
        } catch {
            throw .invalidParams(WireError("\(method): \(error)"))
        }
    }

    private static let controls: [String: (ComponentKind, String)] = {
        var table: [String: (ComponentKind, String)] = [:]
        for kind in ComponentKind.allCases {
            for action in ["stop", "pause", "resume", "volume"] { table["\(kind.method).\(action)"] = (kind, action) }
        }
        return table
    }()

    private static func control(method: String, params: JSONValue) -> (ComponentKind, ComponentControl)? {
        guard let (kind, action) = controls[method] else { return nil }
        switch action {
        case "stop": return (kind, .stop)
        case "pause": return (kind, .pause)
        case "resume": return (kind, .resume)
        default:
            // A volume without a finite number is refused by the server with a clear message.
            return (kind, .volume(params["volume"]?.doubleValue ?? .nan))
        }
    }

    /// The call the command addresses (`nil` for commands that are not about a call).
    package var callID: String? {
        switch self {
        case .receive, .messagingSend, .begin, .dial: nil
        case .answer(let command), .disconnect(let command), .pass(let command): command.call.callID
        case .end(let command): command.call.callID
        case .connect(let command): command.call.callID
        case .refer(let command): command.call.callID
        case .play(let command): command.component.call.callID
        case .playAndCollect(let command): command.component.call.callID
        case .record(let command): command.component.call.callID
        case .detect(let command): command.component.call.callID
        case .sendFax(let command): command.component.call.callID
        case .receiveFax(let address): address.call.callID
        case .sendDigits(let command): command.component.call.callID
        case .tap(let command): command.component.call.callID
        case .control(_, _, let address): address.call.callID
        }
    }
}

/// The inner `result.result` of a command: `code` (the string `"200"` on success), `message`,
/// and members particular to the command (`call_id`, `control_id`, `url`, …).
package struct CommandResult: Sendable, Hashable {
    package var code: String
    package var message: String
    package var members: [String: JSONValue]

    package init(code: String, message: String, members: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        self.members = members
    }

    /// A success (`"200"`).
    package static func ok(_ message: String, _ members: [String: JSONValue] = [:]) -> CommandResult {
        CommandResult(code: RelayResult.successCode, message: message, members: members)
    }

    /// A failure with a Relay code (`"400"`, `"404"`, …).
    package static func failure(_ code: String, _ message: String) -> CommandResult {
        CommandResult(code: code, message: message)
    }

    package var isSuccess: Bool { code == RelayResult.successCode }

    package var json: JSONValue {
        var all = members
        all["code"] = .string(code)
        all["message"] = .string(message)
        return .object(all)
    }

    package init(json: JSONValue) {
        var all = json.objectValue ?? [:]
        code = all.removeValue(forKey: "code")?.stringValue ?? ""
        message = all.removeValue(forKey: "message")?.stringValue ?? ""
        members = all
    }
}
