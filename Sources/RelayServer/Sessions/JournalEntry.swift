import NIOCore
import RelayWire

/// One frame in a session's journal.
public struct JournalEntry: Sendable, Hashable {
    /// `in` (client → server) or `out` (server → client).
    public var direction: String
    /// Unix time in seconds.
    public var time: Double
    /// The frame as it went over the socket: outbound frames are kept as the very bytes written.
    let frame: ByteBuffer

    /// The frame text exactly as sent or received (tokens in `blade.connect` are masked).
    public var text: String { String(buffer: frame) }

    init(direction: String, time: Double, text: String) {
        self.init(direction: direction, time: time, frame: ByteBuffer(string: text))
    }

    init(direction: String, time: Double, frame: ByteBuffer) {
        self.direction = direction
        self.time = time
        self.frame = frame
    }

    /// The entry as the lab API shows it: the frame parsed, or as a string when it is not JSON.
    public var json: JSONValue {
        let text = self.text
        let frame = (try? JSONCodec.parse(text)) ?? .string(text)
        return ["dir": .string(direction), "time": .double(time), "frame": frame]
    }
}
