import RelayWire

/// Percent-encoding for ids that end up in URL paths (`control_id` is chosen by the client).
enum URLPath {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func encode(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            if unreserved.contains(byte), !(byte == UInt8(ascii: ".") && (segment == "." || segment == "..")) {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
