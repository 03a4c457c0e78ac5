import Testing

@testable import RelayServer

/// RTP packets and the receive counters the console and lab API show.
@Suite struct RTPTests {
    @Test func packetsRoundTripAndForeignDatagramsAreRefused() throws {
        let packet = RTPPacket(payloadType: 8, marker: true, sequence: 65535, timestamp: 0xDEAD_BEEF, ssrc: 42, payload: [1, 2, 3])
        #expect(RTPPacket(packet.bytes) == packet)
        #expect(RTPPacket([0x80, 0x08]) == nil, "a short datagram")
        #expect(RTPPacket([0x40] + [UInt8](repeating: 0, count: 20)) == nil, "RTP version 1")
        #expect(RTPPacket([0x80, 200] + [UInt8](repeating: 0, count: 20)) == nil, "an RTCP sender report")
        // One CSRC, an extension of one word and two bytes of padding are skipped.
        let wrapped: [UInt8] = [0xB1, 0x00, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 0, 0, 0, 9, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 0xAA, 0xBB, 0, 2]
        let read = try #require(RTPPacket(wrapped))
        #expect(read.payload == [0xAA, 0xBB] && read.ssrc == 7 && read.timestamp == 160)
    }

    @Test func statisticsCountLossAcrossWrapAroundAndMeasureJitter() {
        var stats = RTPReceiveStatistics()
        // 20 ms packets on time, sequence wrapping at 65535, with two packets missing.
        var sequence: UInt16 = 65530
        for index in 0..<20 {
            defer { sequence &+= 1 }
            if index == 5 || index == 12 { continue }
            stats.record(RTPPacket(payloadType: 0, sequence: sequence, timestamp: UInt32(index * 160), ssrc: 1, payload: []), arrival: Double(index) * 0.02)
        }
        #expect(stats.packets == 18 && stats.expected == 20 && stats.lost == 2)
        #expect(stats.jitterMilliseconds() < 0.01, "perfectly paced packets have no jitter")

        var late = RTPReceiveStatistics()
        for index in 0..<200 {
            // Every other packet 4 ms late: jitter converges near 4 ms.
            let arrival = Double(index) * 0.02 + (index % 2 == 0 ? 0 : 0.004)
            late.record(RTPPacket(payloadType: 0, sequence: UInt16(index), timestamp: UInt32(index * 160), ssrc: 1, payload: [0]), arrival: arrival)
        }
        #expect(late.lost == 0)
        #expect((3.0...4.5).contains(late.jitterMilliseconds()), "\(late.jitterMilliseconds())")
    }
}
