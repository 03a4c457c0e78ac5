import Foundation

/// A `From`, `To` or `Contact` value (RFC 3261 §20.10): an optional display name, a URI in angle
/// brackets (or bare), and header parameters such as `tag`.
struct SIPNameAddress: Sendable, Equatable {
    var displayName: String?
    var uri: String
    /// Header parameters, names lowercased; a parameter without a value maps to "".
    var parameters: [String: String]

    init(displayName: String? = nil, uri: String, parameters: [String: String] = [:]) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    init?(_ value: String) {
        var text = Substring(value.trimmingSIPSpace())
        var displayName: String?
        if text.first == "\"" {
            var name = ""
            var escaped = false
            var closed = false
            text.removeFirst()
            while let character = text.first {
                text.removeFirst()
                if escaped {
                    name.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    name.append(character)
                }
            }
            guard closed else { return nil }
            displayName = name
            text = Substring(text.trimmingSIPSpace())
        }
        let paramsText: Substring
        if let open = text.firstIndex(of: "<") {
            if displayName == nil {
                let name = text[..<open].trimmingSIPSpace()
                if !name.isEmpty { displayName = name }
            }
            guard let close = text[open...].firstIndex(of: ">") else { return nil }
            uri = String(text[text.index(after: open)..<close])
            paramsText = text[text.index(after: close)...]
        } else {
            // Without brackets, parameters after the URI belong to the header (RFC 3261 §20.10).
            guard displayName == nil else { return nil }
            let semicolon = text.firstIndex(of: ";") ?? text.endIndex
            uri = String(text[..<semicolon]).trimmingSIPSpace()
            paramsText = text[semicolon...]
        }
        guard !uri.isEmpty else { return nil }
        self.displayName = displayName
        parameters = SIPNameAddress.parameters(paramsText)
    }

    /// `;a=1;b` → `["a": "1", "b": ""]`.
    static func parameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard let name = pair.first?.trimmingSIPSpace().lowercased(), !name.isEmpty else { continue }
            result[name] = pair.count > 1 ? pair[1].trimmingSIPSpace() : ""
        }
        return result
    }

    var tag: String? { parameters["tag"] }

    var description: String {
        var text = ""
        if let displayName {
            let escaped = displayName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            text += "\"\(escaped)\" "
        }
        text += "<\(uri)>"
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            text += value.isEmpty ? ";\(name)" : ";\(name)=\(value)"
        }
        return text
    }
}
