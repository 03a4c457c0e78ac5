/// An INVITE the edge accepted for offering to the Relay side.
struct SIPInboundCall: Sendable, Equatable {
    var callID: String
    /// The Request-URI: its user part is the number or context the caller dialled.
    var requestURI: SIPURI?
    var from: SIPNameAddress
    var to: SIPNameAddress
    var offer: SessionDescription
    var negotiated: SessionDescription.Negotiated
    var peer: SIPPeer

    /// The caller's number for Relay's `from_number`: the From URI's user, else the whole URI.
    var fromNumber: String { SIPURI(from.uri)?.user ?? from.uri }
    /// The dialled number or context: the Request-URI's user.
    var dialled: String { requestURI?.user ?? SIPURI(to.uri)?.user ?? "" }
}
