import RelayWire

/// Where a tap sends its media, and in what format.
enum TapTarget: Sendable, Equatable {
    case rtp(host: String, port: Int, format: TapFormat)
    case webSocket(uri: String, format: TapFormat)
}
