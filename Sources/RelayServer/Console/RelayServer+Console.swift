import RelayWire

extension RelayServer {
    /// The server's live events from now on (what the console and `relay serve`'s terminal
    /// lines show): every line of every call's timeline, message states, tasks and sessions.
    ///
    /// The stream buffers at most `bufferLimit` events; when the reader falls further behind, the
    /// oldest are dropped and the reader sees a jump in ``ConsoleEvent/sequence``. Returns `nil`
    /// when 64 readers are already subscribed or the server stopped; the stream ends when the
    /// server stops.
    public func events(bufferLimit: Int = 1024) -> AsyncStream<ConsoleEvent>? {
        hub.feed.subscribe(bufferLimit: bufferLimit)
    }

    /// Acts as the far end of a live call, as a person on the console's phone would: keys
    /// digits, says a phrase or hangs up. Returns `false` when the call is unknown or over.
    @discardableResult
    public func farEnd(_ action: FarEndAction, callID: String) async -> Bool {
        hub.shard(of: callID).farEnd(action, callID: callID)
    }

    /// The console's address (`http://host:port/`) once listening.
    public var consoleURL: String? { httpURL.map { $0 + "/" } }
}
