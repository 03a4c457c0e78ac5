/// The G.711 codecs the edge speaks (RFC 3551 static payload types), 8 kHz, one byte a sample.
enum AudioCodec: String, Sendable, CaseIterable {
    case pcmu = "PCMU"
    case pcma = "PCMA"

    var payloadType: UInt8 {
        switch self {
        case .pcmu: 0
        case .pcma: 8
        }
    }

    static let clockRate = 8000

    init?(payloadType: Int) {
        switch payloadType {
        case 0: self = .pcmu
        case 8: self = .pcma
        default: return nil
        }
    }

    /// One 16-bit linear sample as one G.711 byte.
    func encode(_ sample: Int16) -> UInt8 {
        switch self {
        case .pcmu: G711.muLaw(sample)
        case .pcma: G711.aLaw(sample)
        }
    }

    func decode(_ byte: UInt8) -> Int16 {
        switch self {
        case .pcmu: G711.linear(muLaw: byte)
        case .pcma: G711.linear(aLaw: byte)
        }
    }

    /// The byte of digital silence.
    var silence: UInt8 { encode(0) }
}

/// G.711 companding (ITU-T G.711): µ-law and A-law, segment by segment.
enum G711 {
    private static let muLawBias = 0x84
    private static let muLawClip = 32635

    static func muLaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample)
        let sign = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, muLawClip) + muLawBias
        var exponent = 7
        var mask = 0x4000
        while exponent > 0, value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | (exponent << 4) | mantissa)
    }

    static func linear(muLaw byte: UInt8) -> Int16 {
        let value = Int(~byte)
        let sign = value & 0x80
        let exponent = (value >> 4) & 0x07
        let mantissa = value & 0x0F
        let magnitude = (((mantissa << 3) + muLawBias) << exponent) - muLawBias
        return Int16(sign != 0 ? -magnitude : magnitude)
    }

    static func aLaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample) >> 3
        var sign = 0x80
        if value < 0 {
            sign = 0
            value = -value - 1
        }
        value = min(value, 0x0FFF)
        let byte: Int
        if value < 32 {
            byte = value >> 1
        } else {
            var exponent = 1
            while value >= (32 << exponent), exponent < 7 { exponent += 1 }
            byte = (exponent << 4) | ((value >> exponent) & 0x0F)
        }
        return UInt8((byte | sign) ^ 0x55)
    }

    static func linear(aLaw byte: UInt8) -> Int16 {
        let value = Int(byte ^ 0x55)
        let exponent = (value >> 4) & 0x07
        let mantissa = value & 0x0F
        var magnitude = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1)
        if value & 0x80 == 0 { magnitude = -magnitude }
        return Int16(magnitude)
    }
}
