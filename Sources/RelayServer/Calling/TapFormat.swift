import RelayWire

/// What a tap streams, as its device asked: codec, sample rate and packet time.
///
/// PCMU and PCMA are sent as real G.711 at the asked rate (8000 or 16000 Hz): `rate × ptime / 1000`
/// samples a packet, one byte each. OPUS is accepted and echoed, but no media is sent (the
/// simulator has no Opus encoder).
struct TapFormat: Sendable, Equatable {
    enum Codec: String, Sendable {
        case pcmu = "PCMU"
        case pcma = "PCMA"
        case opus = "OPUS"
    }

    var codec: Codec
    var rate: Int
    var ptime: Int

    static let standard = TapFormat(codec: .pcmu, rate: 8000, ptime: 20)
    static let rates = [8000, 16000]
    static let ptimes = 10...120

    /// Samples (and payload bytes) in one packet.
    var samplesPerPacket: Int { rate * ptime / 1000 }

    /// RTP payload type: 0 (PCMU), 8 (PCMA), else dynamic 111.
    var payloadType: UInt8 {
        switch codec {
        case .pcmu: 0
        case .pcma: 8
        case .opus: 111
        }
    }

    /// Whether the simulator can encode this codec (and so sends media).
    var isSendable: Bool { codec != .opus }

    /// Reads `codec`, `rate` and `ptime` from a tap device (defaults PCMU, 8000, 20), or says what is wrong.
    static func parse(_ device: TapDevice) -> Result<TapFormat, WireError> {
        var format = TapFormat.standard
        if let value = device.sentCodec {
            guard let name = value.stringValue, let codec = Codec(rawValue: name.uppercased()) else {
                return .failure(WireError("Invalid tap codec '\(value.stringValue ?? JSONCodec.string(value))': use PCMU, PCMA or OPUS"))
            }
            format.codec = codec
        }
        if let value = device.sentRate {
            guard let rate = value.intValue, rates.contains(rate) else {
                return .failure(WireError("Invalid tap rate \(JSONCodec.string(value)): use 8000 or 16000"))
            }
            format.rate = rate
        }
        if let value = device.sentPtime {
            guard let ptime = value.intValue, ptimes.contains(ptime) else {
                return .failure(WireError("Invalid tap ptime \(JSONCodec.string(value)): use 10 to 120 (milliseconds)"))
            }
            format.ptime = ptime
        }
        return .success(format)
    }
}
