/// What a call's media looks like from the receiving side (RFC 3550 §6.4.1 and A.3, A.8):
/// packets and bytes in, packets lost by sequence number, and interarrival jitter.
struct RTPReceiveStatistics: Sendable, Equatable {
    private(set) var packets = 0
    private(set) var payloadBytes = 0
    /// Highest sequence number seen, extended with the count of wrap-arounds.
    private var highestSequence: Int?
    private var firstSequence = 0
    /// Jitter in timestamp units, scaled by 16 as RFC 3550 A.8 keeps it.
    private var scaledJitter = 0
    private var lastTransit: Int?

    /// Counts one packet that arrived at `arrival` seconds (any monotonic clock).
    mutating func record(_ packet: RTPPacket, arrival: Double, clockRate: Int = AudioCodec.clockRate) {
        packets += 1
        payloadBytes += packet.payload.count
        let sequence = Int(packet.sequence)
        if let highest = highestSequence {
            // The extended sequence nearest to the last one: handles wrap-around both ways.
            let cycle = highest & ~0xFFFF
            var candidate = cycle | sequence
            if candidate - highest > 0x8000 { candidate -= 0x10000 } else if highest - candidate > 0x8000 { candidate += 0x10000 }
            highestSequence = max(highest, candidate)
        } else {
            highestSequence = sequence
            firstSequence = sequence
        }
        let transit = Int((arrival * Double(clockRate)).rounded()) - Int(packet.timestamp)
        if let lastTransit {
            let delta = abs(transit - lastTransit)
            scaledJitter += delta - ((scaledJitter + 8) >> 4)
        }
        lastTransit = transit
    }

    /// Packets expected from the sequence numbers seen so far.
    var expected: Int { highestSequence.map { $0 - firstSequence + 1 } ?? 0 }
    /// Packets that never came (duplicates can make the count negative; reported as 0).
    var lost: Int { max(0, expected - packets) }
    /// Interarrival jitter in milliseconds.
    func jitterMilliseconds(clockRate: Int = AudioCodec.clockRate) -> Double {
        Double(scaledJitter) / 16 / Double(clockRate) * 1000
    }
}
