import RelayWire

/// Where a tap sends its media.
enum TapTarget: Sendable, Equatable {
    case rtp(host: String, port: Int, ptime: Int)
    case webSocket(uri: String)
}
