// Names of the RELAY v3 (`signalwire.connect`) session methods and events, spelled once.
// Calling and messaging methods keep their v2 names (`RelayMethod`); v3 sends them bare.

/// Session-level methods of the RELAY v3 wire (RELAY-V3.md §2).
package enum V3Method {
    /// The one handshake request (replaces `blade.connect`, `setup` and `blade.subscription`).
    package static let connect = "signalwire.connect"
    /// Server → client: one event, answered with an empty result (the ack).
    package static let event = "signalwire.event"
    /// Either direction: keepalive, answered with a result.
    package static let ping = "signalwire.ping"
    /// Server → client: the server is going away (`restart` says whether state survives).
    package static let disconnect = "signalwire.disconnect"
    /// Client → server: start receiving inbound work for contexts.
    package static let receive = "signalwire.receive"
    /// Client → server: stop receiving contexts.
    package static let unreceive = "signalwire.unreceive"
}

/// Event types that exist only on the v3 wire.
package enum V3EventName {
    /// Carries the opaque `authorization_state` blob a client sends back when it resumes.
    package static let authorizationState = "signalwire.authorization.state"
}
