import Foundation
import RelayWire
import Synchronization

/// A read-only view of a session for the lab API.
public struct SessionSnapshot: Sendable, Hashable {
    /// The Blade session id.
    public var id: String
    /// The project it authenticated as.
    public var project: String
    /// The client's `agent` string.
    public var agent: String?
    /// The Relay protocol it set up.
    public var protocolName: String?
    /// Contexts it receives on.
    public var contexts: [String]
    /// Whether a socket is attached now.
    public var connected: Bool
    /// How often it was resumed.
    public var restoredCount: Int
    /// The wire generation: `"v2"` (Blade) or `"v3"` (`signalwire.connect`).
    public var dialect: String = "v2"

    /// The lab API's JSON form.
    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("sessionid", id)
        builder.set("project", project)
        builder.set("agent", agent)
        builder.set("protocol", protocolName)
        builder.set("contexts", contexts)
        builder.set("connected", connected)
        builder.set("restored", restoredCount)
        builder.set("dialect", dialect)
        return builder.value
    }
}
