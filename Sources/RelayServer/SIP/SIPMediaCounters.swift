import RelayWire

/// The media of one SIP call as the edge saw it: RTP packets each way, packets the caller's
/// stream lost (by sequence number) and its interarrival jitter (RFC 3550).
public struct SIPMediaCounters: Sendable, Hashable {
    /// RTP packets received from the caller.
    public var packetsIn: Int
    /// RTP packets sent to the caller.
    public var packetsOut: Int
    /// Packets of the caller's stream that never arrived.
    public var lost: Int
    /// Interarrival jitter of the caller's stream, in milliseconds.
    public var jitterMilliseconds: Double

    /// As the lab API shows it: `packets_in`, `packets_out`, `lost`, `jitter_ms`.
    public var json: JSONValue {
        [
            "packets_in": .int(packetsIn), "packets_out": .int(packetsOut), "lost": .int(lost),
            "jitter_ms": .double((jitterMilliseconds * 1000).rounded() / 1000),
        ]
    }
}
