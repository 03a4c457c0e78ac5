/// One RTP packet (RFC 3550 §5.1) as the edge sends and reads it: no CSRCs or extensions are
/// written; those received are skipped.
struct RTPPacket: Sendable, Equatable {
    static let headerSize = 12

    var payloadType: UInt8
    var marker: Bool
    var sequence: UInt16
    var timestamp: UInt32
    var ssrc: UInt32
    var payload: [UInt8]

    init(payloadType: UInt8, marker: Bool = false, sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payload: [UInt8]) {
        self.payloadType = payloadType & 0x7F
        self.marker = marker
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.payload = payload
    }

    /// Reads a datagram; `nil` for anything that is not RTP version 2 with a whole header
    /// (RTCP on the same port, STUN, garbage).
    init?(_ bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count >= Self.headerSize, bytes[0] >> 6 == 2 else { return nil }
        let padding = bytes[0] & 0x20 != 0
        let hasExtension = bytes[0] & 0x10 != 0
        let csrcCount = Int(bytes[0] & 0x0F)
        // RTCP packet types 200–204 share the port under rtcp-mux; they are not media.
        guard !(200...204).contains(bytes[1]) else { return nil }
        marker = bytes[1] & 0x80 != 0
        payloadType = bytes[1] & 0x7F
        sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = bytes[4...7].reduce(0) { $0 << 8 | UInt32($1) }
        ssrc = bytes[8...11].reduce(0) { $0 << 8 | UInt32($1) }
        var start = Self.headerSize + 4 * csrcCount
        if hasExtension {
            guard bytes.count >= start + 4 else { return nil }
            let words = Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
            start += 4 + 4 * words
        }
        var end = bytes.count
        if padding {
            guard let count = bytes.last, count > 0 else { return nil }
            end -= Int(count)
        }
        guard start <= end else { return nil }
        payload = Array(bytes[start..<end])
    }

    var bytes: [UInt8] {
        var bytes: [UInt8] = [0x80, (marker ? 0x80 : 0) | payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        bytes.reserveCapacity(Self.headerSize + payload.count)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: timestamp >> UInt32(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: ssrc >> UInt32(shift))) }
        bytes += payload
        return bytes
    }
}
