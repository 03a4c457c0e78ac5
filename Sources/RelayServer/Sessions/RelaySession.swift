import RelayWire

/// What the registry, the router and the parts below the session layer need from a session of
/// either dialect. Calls, messages and tasks know a session only by its ``id``; each dialect
/// encodes the one internal ``RelayNotification`` its own way when it is delivered.
protocol RelaySession: AnyObject, Sendable {
    /// The id calls and messages name as their owner.
    var id: String { get }
    var project: RelayProject { get }
    var dialect: WireDialect { get }
    /// The socket bound now, if any.
    var connection: ConnectionHandle? { get }
    var snapshot: SessionSnapshot { get }
    var journal: [JournalEntry] { get }
    /// Faults set for this session alone.
    var ownFaults: SessionFaults? { get }
    func setFaults(_ faults: SessionFaults?)
    /// Whether this session can take inbound work for `context` now.
    func receives(_ context: String) -> Bool
    func journalIncoming(_ text: String)
    /// Writes a frame on the session's socket (journaled). False when it could not be queued.
    @discardableResult func send(_ frame: JSONValue) -> Bool
    /// Sends an event in this session's dialect, or keeps it while the session is away.
    func deliver(_ notification: RelayNotification, globalFaults: SessionFaults, serverNodeID: String)
    /// The socket closed. Returns the session's new disconnect generation when it was the
    /// session's socket, and whether the session must be forgotten at once instead of after the
    /// resume window.
    func connectionLost(_ handle: ConnectionHandle) -> (generation: Int, discard: Bool)?
    /// Whether the session is still away since the disconnect of `generation`.
    func isAway(since generation: Int) -> Bool
}
