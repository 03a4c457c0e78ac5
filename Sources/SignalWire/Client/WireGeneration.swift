/// Which generation of the Relay wire protocol a client speaks. Both give the same API: calls,
/// actions, messaging, tasks, events, timeouts and reconnects behave alike on either.
///
/// - ``bladeV2``, the default, is the Blade protocol of SignalWire's Python SDK 2.x and Node
///   SDK 2.x, which defines this SDK's behaviour. Pick it to match those SDKs exactly.
/// - ``relayV3`` is the `signalwire.connect` protocol every SDK SignalWire ships today speaks:
///   one handshake, acknowledged events, server pings, resumable sessions. Pick it for new
///   deployments and for features that exist only there.
///
/// ```swift
/// var configuration = RelayConfiguration()
/// configuration.wireGeneration = .relayV3
/// ```
///
/// More generations may be added: use `default` when switching over them.
public struct WireGeneration: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable {
        case bladeV2 = "v2"
        case relayV3 = "v3"
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Relay v2 over Blade (`blade.connect`, `blade.execute`, `blade.broadcast`): the default.
    public static let bladeV2 = WireGeneration(.bladeV2)
    /// RELAY v3 (`signalwire.connect`, bare methods, acknowledged `signalwire.event`s).
    public static let relayV3 = WireGeneration(.relayV3)

    /// A generation from its short name: `v2` (also `blade`) or `v3` (also `relay`); case is
    /// ignored. Nil for anything else.
    public init?(name: String) {
        switch name.lowercased() {
        case "v2", "blade", "bladev2", "blade-v2": self = .bladeV2
        case "v3", "relay", "relayv3", "relay-v3": self = .relayV3
        default: return nil
        }
    }

    /// The short name: `v2` or `v3`.
    public var description: String { base.rawValue }
}
