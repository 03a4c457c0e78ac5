// Additive API that closes gaps between the Relay SDK for Python 2.1.1 (the seed) and this SDK.
// Every member here is listed in docs/API-MAPPING.md with the test that pins it.

extension ConnectAction {
    /// `ConnectAction.control_id` in Python. `calling.connect` carries no `control_id` on the
    /// wire (connect events are matched by call), so this is the call's `tag`, as Python uses it.
    public var controlID: String { core.call.tag }
}
