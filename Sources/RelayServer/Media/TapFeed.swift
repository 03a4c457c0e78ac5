import Synchronization

/// The real audio of a tap on a SIP call: the RTP session pushes what the caller says and what
/// the call hears, the tap sender pulls it at the tap's pace. Each side keeps at most one
/// second; beyond that the oldest goes (a tap target that stalls does not hold audio).
final class TapFeed: Sendable {
    static let limit = AudioClip.sampleRate

    let direction: CallRecorder.Direction
    private let queues = Mutex<(heard: [Int16], said: [Int16])>(([], []))

    init(direction: CallRecorder.Direction) { self.direction = direction }

    /// The caller's audio.
    func said(_ samples: [Int16]) {
        guard direction != .speak else { return }
        queues.withLock { Self.append(samples, to: &$0.said) }
    }

    /// What the call hears from us.
    func heard(_ samples: [Int16]) {
        guard direction != .listen else { return }
        queues.withLock { Self.append(samples, to: &$0.heard) }
    }

    private static func append(_ samples: [Int16], to queue: inout [Int16]) {
        queue += samples
        if queue.count > limit { queue.removeFirst(queue.count - limit) }
    }

    /// The next `count` samples at 8 kHz (both sides mixed), silence where none came.
    func pull(_ count: Int) -> [Int16] {
        queues.withLock { queues in
            var out = [Int16](repeating: 0, count: count)
            for side in [\(heard: [Int16], said: [Int16]).heard, \.said] {
                let take = min(count, queues[keyPath: side].count)
                for index in 0..<take { out[index] = AudioClip.clip(Double(out[index]) + Double(queues[keyPath: side][index])) }
                queues[keyPath: side].removeFirst(take)
            }
            return out
        }
    }

    /// One packet of `format` from the feed: resampled to its rate and encoded in its codec.
    func payload(_ format: TapFormat) -> [UInt8] {
        let samples = format.samplesPerPacket
        let pulled = pull(samples * AudioClip.sampleRate / format.rate)
        // 16 kHz taps: each 8 kHz sample twice (G.711 carries nothing above 4 kHz anyway).
        let atRate = format.rate == AudioClip.sampleRate ? pulled : pulled.flatMap { [$0, $0] }
        return atRate.prefix(samples).map { format.codec == .pcma ? G711.aLaw($0) : G711.muLaw($0) }
    }
}
