import RelayWire
import Testing

/// One protocol vector from Tests/Fixtures/vectors/commands.json.
struct CommandVector: Sendable, CustomTestStringConvertible {
    var index: Int
    var method: String
    var description: String
    var params: JSONValue
    var testDescription: String { "#\(index) \(method): \(description)" }

    static func all() -> [CommandVector] {
        guard let list = try? Fixtures.load("vectors/commands.json").arrayValue else { return [] }
        return list.enumerated().map { index, item in
            CommandVector(index: index, method: item["method"]?.stringValue ?? "?", description: item["description"]?.stringValue ?? "", params: item["params"] ?? .null)
        }
    }
}

/// Reads the inner params of a command with the struct for its method, and writes them back.
enum CommandCodec {
    /// Methods with no params struct of their own (`setup` sends `{}`).
    static let untyped: Set<String> = ["setup"]

    static func roundTrip(_ method: String, _ params: JSONValue) throws(WireError) -> JSONValue? {
        switch method {
        case RelayMethod.begin: return try BeginCommand(json: params).json
        case RelayMethod.answer, RelayMethod.disconnect, RelayMethod.pass: return try CallCommand(json: params).json
        case RelayMethod.end: return try EndCommand(json: params).json
        case RelayMethod.connect: return try ConnectCommand(json: params).json
        case RelayMethod.play: return try PlayCommand(json: params).json
        case RelayMethod.playAndCollect: return try PlayAndCollectCommand(json: params).json
        case RelayMethod.record: return try RecordCommand(json: params).json
        case RelayMethod.detect: return try DetectCommand(json: params).json
        case RelayMethod.sendFax: return try SendFaxCommand(json: params).json
        case RelayMethod.sendDigits: return try SendDigitsCommand(json: params).json
        case RelayMethod.tap: return try TapCommand(json: params).json
        case RelayMethod.receive: return try ReceiveCommand(json: params).json
        case RelayMethod.messagingSend: return try MessagingSendCommand(json: params).json
        case RelayMethod.receiveFax, RelayMethod.playStop, RelayMethod.playPause, RelayMethod.playResume,
            RelayMethod.playVolume, RelayMethod.playAndCollectStop, RelayMethod.playAndCollectVolume,
            RelayMethod.recordStop, RelayMethod.detectStop, RelayMethod.sendFaxStop, RelayMethod.receiveFaxStop,
            RelayMethod.tapStop:
            return try ComponentControlCommand(json: params).json
        default: return nil
        }
    }
}

@Suite("Typed commands against vectors/commands.json")
struct CommandVectorTests {
    @Test func allVectorsLoaded() {
        let vectors = CommandVector.all()
        #expect(vectors.count >= 60)
        print("RelayWire typed commands: \(vectors.count) vectors over \(Set(vectors.map(\.method)).count) methods")
    }

    /// `json` writes back exactly the members the Python SDK sent, numbers by value, except
    /// `volume`, which must go out as a float (`6.0`).
    @Test(arguments: CommandVector.all())
    func readsAndWritesBack(_ vector: CommandVector) throws {
        if CommandCodec.untyped.contains(vector.method) {
            #expect(vector.params == .object([:]))
            return
        }
        let written = try #require(try CommandCodec.roundTrip(vector.method, vector.params), "no struct for \(vector.method)")
        #expect(jsonDifference(written, vector.params, strictKinds: ["volume"]) == nil, "\(jsonDifference(written, vector.params, strictKinds: ["volume"]) ?? "")\n ours: \(written.jsonString)\n python: \(vector.params.jsonString)")
        if let volume = written["volume"] {
            guard case .double = volume else {
                Issue.record("volume must be a double, got \(volume)")
                return
            }
            #expect(JSONCodec.string(volume).contains("."))
        }
        // Reading what we wrote gives the same again.
        let again = try #require(try CommandCodec.roundTrip(vector.method, written))
        #expect(identical(again, written))
    }

    @Test func numberKindsAsPython() throws {
        // play: Python float()s volume, and durations of silence/ringtone in play lists.
        let play = try PlayCommand(json: ["control_id": "c", "play": [["type": "silence", "params": ["duration": 2]]], "volume": 6])
        #expect(play.json["volume"] == .double(6))
        #expect(play.json["play"]?[0]?[path: "params", "duration"] == .double(2))
        #expect(JSONCodec.string(play.json).contains(#""volume":6.0"#))
        // play volume 0 is omitted; play_and_collect sends it even when 0.
        #expect(try PlayCommand(json: ["control_id": "c", "play": [], "volume": 0.0]).json["volume"] == nil)
        let collect: JSONValue = ["control_id": "c", "play": [], "collect": ["digits": [:]], "volume": 0]
        #expect(try PlayAndCollectCommand(json: collect).json["volume"] == .double(0))
        // Prompts pass durations through: integral ones go out as ints.
        let prompt = try PlayAndCollectCommand(json: ["control_id": "c", "play": [["type": "ringtone", "params": ["name": "us", "duration": 10.0]]], "collect": ["digits": ["max": 1]]])
        #expect(prompt.json["play"]?[0]?[path: "params", "duration"] == .int(10))
        // Volume commands keep the double.
        #expect(try ComponentControlCommand(json: ["control_id": "c", "volume": -2]).json["volume"] == .double(-2))
        // Detect timeout: an int when integral.
        #expect(try DetectCommand(json: ["control_id": "c", "detect": ["type": "fax"], "timeout": 30.0]).json["timeout"] == .int(30))
    }

    @Test func otherSDKVariantsAreRead() throws {
        // Ruby: signalwire.receive with one `context`; Node: one ringback object; bare device groups.
        #expect(try ReceiveCommand(json: ["context": "office"]).contexts == ["office"])
        let connect = try ConnectCommand(json: [
            "devices": [["type": "phone", "params": ["to_number": "+1"]], [["type": "sip", "params": ["to": "a@b"]]]],
            "ringback": ["type": "ringtone", "params": ["name": "us"]],
        ])
        #expect(connect.devices.count == 2)
        #expect(connect.devices[0][0].to == "+1")
        #expect(connect.devices[1][0].to == "a@b")
        #expect(connect.ringback == [.ringtone(name: "us")])
        // Ruby names the speech timeout `timeout`.
        let collect = try CollectOptions(json: ["speech": ["timeout": 5]])
        #expect(collect.speech?.speechTimeout == 5)
        // Numeric strings read as numbers (some fixtures send them).
        let tap = try TapDevice(json: ["type": "rtp", "params": ["addr": "1.2.3.4", "port": "1234", "ptime": "20"]])
        #expect(tap.port == 1234 && tap.ptime == 20)
        // Unknown media types pass through unchanged.
        let other: JSONValue = ["type": "video", "params": ["url": "x"]]
        #expect(try Media(json: other).json == other)
    }

    // MARK: Missing required members

    /// (method, member): removing the member from the first vector of that method must throw a
    /// `WireError` whose message names the member.
    static let required: [(String, String)] = [
        (RelayMethod.begin, "tag"), (RelayMethod.begin, "device"),
        (RelayMethod.connect, "devices"),
        (RelayMethod.play, "control_id"), (RelayMethod.play, "play"),
        (RelayMethod.playAndCollect, "control_id"), (RelayMethod.playAndCollect, "play"), (RelayMethod.playAndCollect, "collect"),
        (RelayMethod.record, "control_id"), (RelayMethod.record, "record"),
        (RelayMethod.detect, "control_id"), (RelayMethod.detect, "detect"),
        (RelayMethod.sendFax, "control_id"), (RelayMethod.sendFax, "document"),
        (RelayMethod.sendDigits, "control_id"), (RelayMethod.sendDigits, "digits"),
        (RelayMethod.tap, "control_id"), (RelayMethod.tap, "tap"), (RelayMethod.tap, "device"),
        (RelayMethod.playStop, "control_id"), (RelayMethod.receiveFax, "control_id"), (RelayMethod.playVolume, "control_id"),
        (RelayMethod.receive, "contexts"),
        (RelayMethod.messagingSend, "context"), (RelayMethod.messagingSend, "from_number"), (RelayMethod.messagingSend, "to_number"),
    ]

    @Test(arguments: required.map { "\($0.0) \($0.1)" })
    func missingMemberIsNamed(_ pair: String) throws {
        let parts = pair.split(separator: " ").map(String.init)
        let (method, member) = (parts[0], parts[1])
        let vector = try #require(CommandVector.all().first { $0.method == method })
        guard case .object(var members) = vector.params else {
            Issue.record("params of \(method) is not an object")
            return
        }
        members[member] = nil
        expectNamed(member) { () throws(WireError) in _ = try CommandCodec.roundTrip(method, .object(members)) }
        // The wrong type is as bad as missing.
        members[member] = .int(7)
        expectNamed(member) { () throws(WireError) in _ = try CommandCodec.roundTrip(method, .object(members)) }
    }

    @Test func nestedRequiredMembersAreNamed() {
        expectNamed("type") { () throws(WireError) in _ = try Device(json: ["params": [:]]) }
        expectNamed("type") { () throws(WireError) in _ = try Media(json: ["params": ["url": "x"]]) }
        expectNamed("url") { () throws(WireError) in _ = try Media(json: ["type": "audio", "params": [:]]) }
        expectNamed("text") { () throws(WireError) in _ = try Media(json: ["type": "tts"]) }
        expectNamed("duration") { () throws(WireError) in _ = try Media(json: ["type": "silence", "params": ["duration": "long"]]) }
        expectNamed("name") { () throws(WireError) in _ = try Media(json: ["type": "ringtone", "params": [:]]) }
        expectNamed("audio") { () throws(WireError) in _ = try RecordOptions(json: [:]) }
        expectNamed("type") { () throws(WireError) in _ = try DetectOptions(json: ["params": [:]]) }
        expectNamed("digits") { () throws(WireError) in _ = try CollectOptions(json: ["initial_timeout": 5]) }
        expectNamed("type") { () throws(WireError) in _ = try TapDevice(json: ["params": [:]]) }
        expectNamed("devices") { () throws(WireError) in _ = try DeviceGroups.parse(nil) }
        expectNamed("devices") { () throws(WireError) in _ = try DeviceGroups.parse(["not", "groups"]) }
        expectNamed("type") { () throws(WireError) in _ = try BeginCommand(json: ["tag": "t", "device": ["params": [:]]]) }
        expectNamed("unknown") { () throws(WireError) in _ = try DetectOptions(json: ["type": "bogus"]) }
    }
}

/// Expects `body` to throw a `WireError` that names `member`.
func expectNamed(_ member: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(WireError) -> Void) {
    do {
        try body()
        Issue.record("expected a WireError naming '\(member)'", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.contains(member), "\(error.description) does not name '\(member)'", sourceLocation: sourceLocation)
    }
}
