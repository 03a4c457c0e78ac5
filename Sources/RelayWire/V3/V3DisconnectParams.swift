/// `signalwire.disconnect` params (RELAY-V3.md §2.7).
package struct V3DisconnectParams: Sendable, Hashable {
    /// `restart`: when `true` the session's state does not survive, and the client must connect
    /// afresh (without `protocol` and `authorization_state`); absent reads as `false`.
    package var restart: Bool

    package init(restart: Bool) { self.restart = restart }

    package init(json: JSONValue) { restart = json["restart"]?.boolValue ?? false }

    package var json: JSONValue { ["restart": .bool(restart)] }
}
