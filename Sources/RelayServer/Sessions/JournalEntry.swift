import Foundation
import RelayWire
import Synchronization

/// One frame in a session's journal.
public struct JournalEntry: Sendable, Hashable {
    /// `in` (client → server) or `out` (server → client).
    public var direction: String
    /// Unix time in seconds.
    public var time: Double
    /// The frame text exactly as sent or received (tokens in `blade.connect` are masked).
    public var text: String

    /// The lab API's JSON form.
    public var json: JSONValue {
        let frame = (try? JSONCodec.parse(text)) ?? .string(text)
        return ["dir": .string(direction), "time": .double(time), "frame": frame]
    }
}
