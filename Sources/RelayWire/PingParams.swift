/// The params of `blade.ping` and `signalwire.ping`, and of their results: an optional
/// `timestamp` (Unix seconds) that the answer echoes.
package struct PingParams: Sendable, Hashable {
    package var timestamp: Double?

    package init(timestamp: Double?) { self.timestamp = timestamp }

    package init(json: JSONValue) { timestamp = json["timestamp"]?.doubleValue }

    package var json: JSONValue {
        var members = JSONObjectBuilder()
        members.set("timestamp", timestamp)
        return members.value
    }
}
