/// Makes text from the network safe to log and to keep: secrets masked, control characters
/// escaped, length clipped.
enum LogText {
    /// Longest piece of client text echoed in an error message or a log line.
    static let clipLength = 200

    static func clip(_ text: String) -> String {
        guard text.utf8.count > clipLength else { return text }
        return String(decoding: text.utf8.prefix(clipLength), as: UTF8.self) + "…"
    }

    /// Escapes control characters (newlines, NULs, escape sequences) so one log field stays one line.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Masks `"token":"…"` and `"jwt_token":"…"` values so the journal and logs never hold secrets.
    static func maskSecrets(_ text: String) -> String {
        // A byte search first: almost no frame carries a token, and Foundation's search is slow.
        guard containsToken(text) else { return text }
        var result = text
        for key in ["\"token\"", "\"jwt_token\""] {
            var searchStart = result.startIndex
            while let keyRange = result.range(of: key, range: searchStart..<result.endIndex) {
                var index = keyRange.upperBound
                while index < result.endIndex, result[index] == " " || result[index] == ":" { index = result.index(after: index) }
                guard index < result.endIndex, result[index] == "\"" else {
                    searchStart = keyRange.upperBound
                    continue
                }
                let valueStart = result.index(after: index)
                var valueEnd = valueStart
                while valueEnd < result.endIndex, result[valueEnd] != "\"" {
                    if result[valueEnd] == "\\" { valueEnd = result.index(after: valueEnd) }
                    if valueEnd < result.endIndex { valueEnd = result.index(after: valueEnd) }
                }
                guard valueEnd <= result.endIndex else { break }
                result.replaceSubrange(valueStart..<valueEnd, with: "***")
                searchStart = result.index(valueStart, offsetBy: 4, limitedBy: result.endIndex) ?? result.endIndex
            }
        }
        return result
    }

    private static let needle = Array("token".utf8)

    private static func containsToken(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            var index = 0
            while index <= bytes.count - needle.count {
                if bytes[index] == needle[0], bytes[index + 1] == needle[1], bytes[index + 2] == needle[2], bytes[index + 3] == needle[3],
                    bytes[index + 4] == needle[4]
                {
                    return true
                }
                index += 1
            }
            return false
        }
    }
}
