/// An RFC 4733 telephone-event payload: one DTMF key, with its end bit, volume and duration.
struct TelephoneEvent: Sendable, Equatable {
    /// 0–9, 10 `*`, 11 `#`, 12–15 `A`–`D`.
    var event: UInt8
    var isEnd: Bool
    /// Power level in −dBm0 (0–63).
    var volume: UInt8
    /// Duration so far, in timestamp units (1/8000 s).
    var duration: UInt16

    init(event: UInt8, isEnd: Bool, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.volume = volume & 0x3F
        self.duration = duration
    }

    init?(payload: some Collection<UInt8>) {
        guard payload.count >= 4 else { return nil }
        let bytes = Array(payload.prefix(4))
        event = bytes[0]
        isEnd = bytes[1] & 0x80 != 0
        volume = bytes[1] & 0x3F
        duration = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    var payload: [UInt8] { [event, (isEnd ? 0x80 : 0) | volume, UInt8(duration >> 8), UInt8(duration & 0xFF)] }

    private static let keys: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]

    /// The DTMF key, or `nil` for events that are not keys (flash, tones).
    var key: Character? { event < 16 ? Self.keys[Int(event)] : nil }

    /// The event number of a DTMF key (`a`–`d` accepted in either case).
    static func event(for key: Character) -> UInt8? {
        keys.firstIndex(of: Character(key.uppercased())).map(UInt8.init)
    }
}
