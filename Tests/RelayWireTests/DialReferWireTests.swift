import RelayWire
import Testing

/// `calling.dial`, `calling.call.dial`, SIP/WebRTC devices, `calling.pass` and `calling.refer`:
/// typed round trips, and the frames the official v3 client (3.7.5) sent and received.
@Suite("Dial, devices, pass and refer on the wire")
struct DialReferWireTests {
    /// One captured v3 frame: `{"method", "params"}` (requests) or `signalwire.event` envelopes.
    static func frames(_ scenario: String) throws -> [(fromClient: Bool, json: JSONValue)] {
        let document = try Fixtures.load("captured-v3/\(scenario).json")
        return (document["frames"]?.arrayValue ?? []).compactMap { frame in
            guard let json = frame["json"] else { return nil }
            return (frame["dir"]?.stringValue == "client->server", json)
        }
    }

    static let scenarios = ["dial_phone", "dial_serial_parallel", "dial_failed", "dial_sip", "inbound_call_pass", "call_connect_devices", "call_v3_methods"]

    @Test("every captured client calling frame of the dial/device/pass/refer scenarios decodes, and writes back its members", arguments: scenarios)
    func clientFramesDecode(scenario: String) throws {
        var decoded = 0
        for frame in try Self.frames(scenario) where frame.fromClient {
            guard let method = frame.json["method"]?.stringValue, let params = frame.json["params"] else { continue }
            guard [RelayMethod.dial, RelayMethod.pass, RelayMethod.refer, RelayMethod.connect].contains(method) else { continue }
            let command = try RelayCommand(method: method, params: params)
            decoded += 1
            let written: JSONValue
            switch command {
            case .dial(let dial): written = dial.json
            case .pass(let pass): written = pass.json
            case .refer(let refer): written = refer.json
            case .connect(let connect): written = connect.json
            default:
                Issue.record("\(method) decoded as \(command)")
                continue
            }
            #expect(written == params, "\(scenario) \(method)")
        }
        #expect(decoded > 0, "\(scenario) has a frame to decode")
    }

    @Test("every captured calling.call.dial and tagged calling.call.state decodes into its case and encodes back exactly")
    func serverEventsRoundTrip() throws {
        var dials: [DialEvent] = []
        for scenario in Self.scenarios {
            for frame in try Self.frames(scenario) where !frame.fromClient {
                guard frame.json["method"]?.stringValue == "signalwire.event", let envelope = frame.json["params"],
                    let type = envelope["event_type"]?.stringValue, [RelayEventName.callDial, RelayEventName.callState].contains(type),
                    let params = envelope["params"]
                else { continue }
                let event = try CallingEvent(eventType: type, params: params)
                #expect(event.eventType == type)
                #expect(event.params == params, "\(scenario) \(type) writes back what it read")
                if case .dial(let dial) = event { dials.append(dial) }
            }
        }
        #expect(dials.map(\.state).filter { $0 == "failed" }.count == 1)
        let answered = dials.filter { $0.state == "answered" }
        #expect(answered.count == 3)
        #expect(answered.allSatisfy { $0.call?.dialWinner == true && $0.call?.tag == $0.tag })
        #expect(CallingEvent.dial(answered[0]).callID == nil, "calling.call.dial has no top-level call_id")
    }

    @Test func dialRoundTrip() throws {
        let headers = [SIPHeader(name: "X-Foo", value: "bar")]
        let command = DialCommand(
            tag: "t1",
            devices: [
                [.phone(from: "+12025550199", to: "+12025550001", timeout: 20)],
                [.sip(from: "sip:me@example.test", to: "sip:you@example.test", headers: headers, codecs: ["PCMU", "OPUS"]), .webrtc(from: "sip:me@example.test", to: "agent-1")],
            ],
            maxDuration: 10, region: "us")
        let json = command.json
        #expect(try DialCommand(json: json) == command)
        #expect(json["max_duration"] == 10)
        #expect(json["region"] == "us")
        #expect(json["devices"]?[1]?[0] == ["type": "sip", "params": ["from": "sip:me@example.test", "to": "sip:you@example.test", "headers": [["name": "X-Foo", "value": "bar"]], "codecs": ["PCMU", "OPUS"]]])
        #expect(json["devices"]?[1]?[1] == ["type": "webrtc", "params": ["from": "sip:me@example.test", "to": "agent-1"]])
        // max_duration 0 is left out, as Py3 does.
        #expect(DialCommand(tag: "t", devices: [[.phone(from: "a", to: "b")]], maxDuration: 0).json["max_duration"] == nil)
        // The typed readers of a device.
        let sip = Device.sip(from: nil, to: "sip:x@y", fromName: "Bot", timeout: 5, maxDuration: 2, headers: headers, codecs: ["PCMA"], webrtcMedia: true)
        #expect(sip.headers == headers)
        #expect(sip.codecs == ["PCMA"])
        #expect(sip.fromName == "Bot")
        #expect(sip.webrtcMedia == true)
        #expect(sip.maxDuration == 2)
        #expect(sip.from == nil)
        #expect(sip.problem == nil)
        #expect(Device(type: "sip", params: ["to": ""]).problem == "a sip device needs 'params.to'")
    }

    @Test func dialEventRoundTrip() throws {
        let winner = DialEvent.Leg(callID: "c2", nodeID: "n1", tag: "t1", device: .phone(from: "a", to: "b"), dialWinner: true)
        for event in [DialEvent(tag: "t1", nodeID: "n1", state: "dialing"), DialEvent(tag: "t1", nodeID: "n1", state: "answered", call: winner)] {
            let decoded = try CallingEvent(eventType: RelayEventName.callDial, params: event.json)
            #expect(decoded == .dial(event))
        }
        #expect(throws: WireError.self) { try DialEvent(json: ["tag": "t"]) }
    }

    @Test func referRoundTrip() throws {
        let command = ReferCommand(
            call: CallAddress(nodeID: "n", callID: "c"), to: "sip:agent@example.test", username: "u", password: "p",
            headers: [SIPHeader(name: "X-Ref", value: "1")], statusURL: "https://example.test/refer")
        #expect(try ReferCommand(json: command.json) == command)
        #expect(command.json["device"] == ["type": "sip", "params": ["to": "sip:agent@example.test", "username": "u", "password": "p", "headers": [["name": "X-Ref", "value": "1"]]]])
        let event = ReferEvent(callID: "c", nodeID: "n", state: "success", referTo: "sip:agent@example.test", referResponseCode: "202", notifyResponseCode: "200")
        #expect(try CallingEvent(eventType: RelayEventName.callRefer, params: event.json) == .refer(event))
        // Codes sent as numbers read as strings.
        let numeric = try ReferEvent(json: ["call_id": "c", "state": "busy", "sip_refer_response_code": 202, "sip_notify_response_code": 486])
        #expect(numeric.referResponseCode == "202")
        #expect(numeric.notifyResponseCode == "486")
    }
}
