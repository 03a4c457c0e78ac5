// The README's "test your consumer" section, compiled and run here (scripts/check-readme.sh
// keeps the README's blocks equal to this file and to Examples/Readme).
import Foundation
import SignalWire

struct Receptionist: Consumer {
    var contexts: [String] { ["office"] }   // project, token and host come from
                                            // SIGNALWIRE_PROJECT / _TOKEN / _HOST

    func onIncomingCall(_ call: Call) async throws {
        guard try await call.answer().successful else { return }
        let pin = try await call.promptTTS(.digits(max: 4, terminators: "#"), text: "Enter your PIN")
        if pin.successful { _ = try await call.playTTS(text: "You entered \(pin.result ?? "")") }
        _ = try await call.hangup()
    }

    func onTask(_ message: JSONValue) async throws {
        print("task:", message)
    }
}

import RelayTesting
import Testing

@Test func receptionistReadsBackThePIN() async throws {
    try await withRelayTestServer(speed: 3) { server in    // a 30 s ring lasts 10 s
        try await server.running(Receptionist()) {
            let callID = try await server.injectCall(context: "office", script: PartyBehavior(digits: ["1234#"]))
            let call = try await server.waitForCall(callID, state: .ended)
            #expect(call.timeline.contains { $0.callState == .answered })
            #expect(call.timeline.contains { $0.category == .play && $0.text.contains("You entered 1234") })
        }
    }
}
