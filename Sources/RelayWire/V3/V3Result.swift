/// How a v3 result is read (RELAY-V3.md §1.5): the Relay answer is `result` itself (no
/// `result.result` nesting), and any 2xx `code`, string or number, is a success.
package enum V3Result {
    /// Whether a result object reports success: no `code`, or a 2xx one.
    package static func isSuccess(_ result: JSONValue) -> Bool {
        guard let code = result["code"] else { return true }
        guard let number = self.code(code) else { return false }
        return (200...299).contains(number)
    }

    /// The call named by the command is unknown (`404`) or already gone (`410`): v3 clients
    /// treat the command as a no-op instead of a failure.
    package static func isCallGone(_ result: JSONValue) -> Bool {
        guard let code = result["code"].flatMap(self.code) else { return false }
        return code == 404 || code == 410
    }

    /// A `code` member as a number, whether sent as `"200"` or `200`.
    package static func code(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let number): number
        case .string(let text): Int(text)
        default: nil
        }
    }
}
