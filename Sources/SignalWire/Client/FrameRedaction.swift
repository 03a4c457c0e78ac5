import RelayWire

/// Frames as trace logs show them: the JSON text with every secret replaced by `***`.
enum FrameRedaction {
    /// Members whose values are credentials: the project token in `blade.connect`, and the
    /// signature and JWT Relay returns.
    static let secretKeys: Set<String> = ["token", "jwt_token", "signature", "password"]

    /// The frame's JSON with secrets masked; text that is not JSON is summarised, not shown.
    static func masked(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let value = try? JSONCodec.parse(bytes) else { return "<\(bytes.count) bytes, not JSON>" }
        return JSONCodec.string(mask(value))
    }

    static func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var masked: [String: JSONValue] = [:]
            for (key, member) in members { masked[key] = secretKeys.contains(key) ? "***" : mask(member) }
            return .object(masked)
        case .array(let items):
            return .array(items.map(mask))
        default:
            return value
        }
    }
}
