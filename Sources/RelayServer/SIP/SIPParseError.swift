/// Why a datagram is not a SIP message this edge accepts. The edge drops such datagrams with a
/// debug log (a request it can still answer gets `400 Bad Request`).
struct SIPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
