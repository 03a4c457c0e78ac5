/// The RFC 3261 timers the user agent runs, each for one call (by `Call-ID`).
struct SIPTimer: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// Resend the 2xx to an INVITE until its ACK (RFC 3261 §13.3.1.4), doubling up to T2.
        case answerRetransmit
        /// Resend a final non-2xx to an INVITE until its ACK (Timer G).
        case rejectRetransmit
        /// Stop waiting for an ACK (Timer H, and the 2xx give-up at 64·T1).
        case ackTimeout
        /// Resend our BYE until its response (Timer E).
        case byeRetransmit
        /// Stop waiting for the BYE's response (Timer F).
        case byeTimeout
        /// Forget an ended call, so late retransmissions still get the same answer (Timer J).
        case linger
        /// Resend our INVITE until a response, doubling each time (Timer A).
        case inviteRetransmit
        /// Give up an INVITE nobody responded to (Timer B), or a cancelled one whose final
        /// response never came (RFC 3261 §9.1).
        case inviteTimeout
        /// Resend our CANCEL until its response (Timer E).
        case cancelRetransmit
        /// The device's ring timeout of an outbound call (real seconds): CANCEL, `noAnswer`.
        case ringTimeout
    }

    var kind: Kind
    var callID: String
    /// Which arming this is: a timer that fires after its call moved on is ignored.
    var generation: Int
}

/// RFC 3261 timer values (§17.1.1.1), in seconds.
enum SIPTimerValues {
    static let t1 = 0.5
    static let t2 = 4.0
    static let transactionTimeout = 64 * t1
}
