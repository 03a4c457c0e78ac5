// The README's first consumer, compiled by CI (scripts/check-readme.sh keeps the two equal).
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

@main struct App {
    static func main() async {
        do {
            try await Receptionist().run()   // stops cleanly on SIGTERM/SIGINT
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }
}
