// The README's outbound script, compiled by CI (scripts/check-readme.sh keeps the two equal).
import Foundation
import SignalWire

do {
    // Project, token and host come from SIGNALWIRE_PROJECT / _TOKEN / _HOST.
    try await withRelayClient { client in
        let dial = try await client.calling.dial(from: "+15551110000", to: "+15552220000")
        if dial.successful {
            _ = try await dial.call.playTTS(text: "Welcome to SignalWire!")
            _ = try await dial.call.hangup()
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
