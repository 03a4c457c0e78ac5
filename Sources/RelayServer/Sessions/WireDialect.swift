/// The wire generation a WebSocket speaks: chosen by its first frame's method and fixed for the
/// socket's life (RELAY-V3.md §12.2).
enum WireDialect: String, Sendable, Hashable {
    /// Blade v2: `blade.connect`, `blade.execute`, `blade.broadcast`.
    case v2
    /// RELAY v3: `signalwire.connect`, bare methods, acknowledged `signalwire.event`s.
    case v3
}
