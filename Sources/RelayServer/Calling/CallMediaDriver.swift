/// Carries out the media of calls with real media legs (the SIP edge). Called under a shard's
/// lock: it must not block, and must not call back into the shard before returning.
protocol CallMediaDriver: Sendable {
    func perform(_ action: MediaAction, callID: String)
    /// Ends a recording and hands it over (`nil` when there is none).
    func takeRecording(callID: String, controlID: String) -> CallRecorder?
    /// The real audio for tap `key` (registered by ``MediaAction/startTap``), if any.
    func tapFeed(key: String) -> TapFeed?
    func removeTap(key: String)
}
