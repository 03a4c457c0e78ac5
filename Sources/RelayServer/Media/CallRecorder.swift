/// A `record` on a SIP call: the caller's audio laid out by RTP timestamp (`listen`), what the
/// call heard from us (`speak`), or both on one timeline (mixed, or left/right when stereo).
/// The caller's side starts at their first packet after the recording began: silence they
/// never sent is not in it; a lost packet is a gap of silence.
struct CallRecorder: Sendable {
    enum Direction: Sendable {
        case listen, speak, both

        /// Relay's `direction` (`listen`, `speak` or `both`; none is `speak`).
        init(_ relay: String?) {
            switch relay {
            case "listen": self = .listen
            case "both": self = .both
            default: self = .speak
            }
        }
    }

    /// Beyond this a recording stops growing (about 9.6 MB per direction).
    static let sampleLimit = Int(AudioClip.longestSeconds) * AudioClip.sampleRate

    let direction: Direction
    let stereo: Bool
    private(set) var sent: [Int16] = []
    private(set) var received: [Int16] = []
    private var firstTimestamp: UInt32?
    private var receivedBase = 0

    init(direction: Direction, stereo: Bool) {
        self.direction = direction
        self.stereo = stereo
    }

    /// One frame we sent to the caller.
    mutating func sent(_ frame: [Int16]) {
        guard direction != .listen, sent.count + frame.count <= Self.sampleLimit else { return }
        sent += frame
    }

    /// Caller audio whose first sample has RTP timestamp `timestamp`.
    mutating func received(_ samples: [Int16], timestamp: UInt32) {
        guard direction != .speak else { return }
        if firstTimestamp == nil {
            firstTimestamp = timestamp
            receivedBase = direction == .both ? sent.count : 0
        }
        guard let first = firstTimestamp else { return }
        let offset = Int(Int32(bitPattern: timestamp &- first))
        // Older than the first packet (reordered before it), or beyond the limit: left out.
        let start = receivedBase + offset
        guard offset >= 0, start + samples.count <= Self.sampleLimit else { return }
        if received.count < start + samples.count { received += [Int16](repeating: 0, count: start + samples.count - received.count) }
        received.replaceSubrange(start..<start + samples.count, with: samples)
    }

    /// The recording as a WAV file, and its length in seconds.
    func wav() -> (bytes: [UInt8], seconds: Double) {
        let left: [Int16], right: [Int16]?
        switch direction {
        case .listen: (left, right) = (received, nil)
        case .speak: (left, right) = (sent, nil)
        case .both where stereo: (left, right) = (received, sent)
        case .both:
            let count = max(received.count, sent.count)
            left = (0..<count).map { index in
                AudioClip.clip(Double(index < received.count ? received[index] : 0) + Double(index < sent.count ? sent[index] : 0))
            }
            right = nil
        }
        let frames = max(left.count, right?.count ?? 0)
        return (WAVFile.bytes(left, right: right), Double(frames) / Double(AudioClip.sampleRate))
    }
}
