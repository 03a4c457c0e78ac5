/// How evenly the edge paced what it sent: the gaps between packets as they left, against the
/// 20 ms their timestamps promise. This is what the caller receives, less the network (none on
/// loopback).
struct RTPSendStatistics: Sendable, Equatable {
    private(set) var packets = 0
    private var last: Double?
    private var intervals = 0
    private var intervalSum = 0.0
    private(set) var maxDeviation = 0.0
    /// RFC 3550 A.8 style: a running mean of |gap − nominal|, weight 1/16.
    private(set) var jitter = 0.0

    /// Counts `count` packets sent together at `time` seconds (monotonic), `nominal` seconds
    /// after the last ones (an RFC 4733 end packet goes three times in one tick).
    mutating func record(sentAt time: Double, nominal: Double, count: Int = 1) {
        packets += count
        defer { last = time }
        guard let last else { return }
        let gap = time - last
        intervals += 1
        intervalSum += gap
        let deviation = abs(gap - nominal)
        maxDeviation = max(maxDeviation, deviation)
        jitter += (deviation - jitter) / 16
    }

    /// Mean gap between packets, in milliseconds (0 before two packets).
    var meanIntervalMilliseconds: Double { intervals == 0 ? 0 : intervalSum / Double(intervals) * 1000 }
}
