import Foundation
import RelayWire
import Synchronization

/// A read-only view of a session for the lab API.
public struct SessionSnapshot: Sendable, Hashable {
    public var id: String
    public var project: String
    public var agent: String?
    public var protocolName: String?
    public var contexts: [String]
    public var connected: Bool
    public var restoredCount: Int

    public var json: JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("sessionid", id)
        builder.set("project", project)
        builder.set("agent", agent)
        builder.set("protocol", protocolName)
        builder.set("contexts", contexts)
        builder.set("connected", connected)
        builder.set("restored", restoredCount)
        return builder.value
    }
}
