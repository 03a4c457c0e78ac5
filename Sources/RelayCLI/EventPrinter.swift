import Foundation
import RelayServer
import RelayWire

/// Prints the server's events as they happen: one human line each on stderr, or one JSON
/// object a line on stdout (`--log-format json`). Shared by `relay serve` and `relay watch`.
struct EventPrinter {
    enum Format: String, CaseIterable {
        case text, json
    }

    let format: Format
    private var lastSequence = 0

    init(format: Format) { self.format = format }

    /// Prints one event given as the feed's JSON (`relay watch` reads it from `GET /lab/events`).
    mutating func print(json event: JSONValue) {
        let sequence = event["seq"]?.intValue ?? 0
        noteGap(before: sequence)
        switch format {
        case .json: Self.out(JSONCodec.string(event))
        case .text: Self.err(Self.line(event))
        }
    }

    /// Prints one event from the in-process feed (`relay serve`).
    mutating func print(_ event: ConsoleEvent) {
        noteGap(before: event.sequence)
        switch format {
        case .json: Self.out(JSONCodec.string(event.json))
        case .text: Self.err(event.line)
        }
    }

    /// The feed drops the oldest events of a reader that falls behind; say how many went by.
    private mutating func noteGap(before sequence: Int) {
        defer { lastSequence = max(lastSequence, sequence) }
        guard lastSequence > 0, sequence > lastSequence + 1 else { return }
        let skipped = sequence - lastSequence - 1
        switch format {
        case .json: Self.out(#"{"kind":"gap","skipped":\#(skipped)}"#)
        case .text: Self.err("… \(skipped) event(s) skipped: this terminal fell behind")
        }
    }

    /// The same line ``ConsoleEvent/line`` gives, from the JSON form.
    static func line(_ event: JSONValue) -> String {
        let time = event["time"]?.doubleValue ?? 0
        var seconds = Int(time)
        let millis = Int((time - Double(seconds)) * 1000)
        seconds %= 86_400
        let clock = String(format: "%02d:%02d:%02d.%03d", seconds / 3600, seconds / 60 % 60, seconds % 60, max(0, min(999, millis)))
        let warning = event["level"]?.stringValue == "warning" ? "WARNING " : ""
        let id = event["id"]?.stringValue.map { String($0.prefix(8)) } ?? "-"
        let context = event["context"]?.stringValue.map { " " + $0 } ?? ""
        return "\(clock) \(warning)\(event["kind"]?.stringValue ?? "?") \(id)\(context)  \(event["text"]?.stringValue ?? "")"
    }

    static func out(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func err(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
