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
    /// Mean gap between the packets the edge sent, in milliseconds (20 when paced right).
    public var sendIntervalMilliseconds: Double = 0
    /// The largest distance of one gap from 20 ms, in milliseconds.
    public var sendIntervalMaxDeviationMilliseconds: Double = 0
    /// The jitter of what the edge sent (RFC 3550's estimator over the gaps), in milliseconds.
    public var sendJitterMilliseconds: Double = 0
    /// Packets of the caller's audio sent on to the call it is connected to.
    public var packetsRelayed: Int = 0
    /// Samples (8 kHz) of the connected call's audio that reached this call's stream…
    public var relaySamplesIn: Int = 0
    /// …those dropped because more than a second of it was waiting…
    public var relaySamplesDropped: Int = 0
    /// …and those sent on to this call's far end.
    public var relaySamplesSent: Int = 0

    /// As the lab API shows it: `packets_in`, `packets_out`, `lost`, `jitter_ms`,
    /// `send_interval_ms`, `send_interval_max_deviation_ms`, `send_jitter_ms`, `packets_relayed`,
    /// `relay_samples_in`, `relay_samples_dropped`, `relay_samples_sent`.
    public var json: JSONValue {
        func milliseconds(_ value: Double) -> JSONValue { .double((value * 1000).rounded() / 1000) }
        return [
            "packets_in": .int(packetsIn), "packets_out": .int(packetsOut), "lost": .int(lost),
            "jitter_ms": milliseconds(jitterMilliseconds), "send_interval_ms": milliseconds(sendIntervalMilliseconds),
            "send_interval_max_deviation_ms": milliseconds(sendIntervalMaxDeviationMilliseconds),
            "send_jitter_ms": milliseconds(sendJitterMilliseconds), "packets_relayed": .int(packetsRelayed),
            "relay_samples_in": .int(relaySamplesIn), "relay_samples_dropped": .int(relaySamplesDropped),
            "relay_samples_sent": .int(relaySamplesSent),
        ]
    }
}
