/// The header fields of a SIP message in the order they came, looked up case-insensitively and
/// by compact form (`v` is `Via`, RFC 3261 §7.3.3).
struct SIPHeaders: Sendable, Equatable, Sequence {
    /// Most header fields one message may carry; more is treated as an attack, not a message.
    static let maximumCount = 128

    private(set) var fields: [(name: String, value: String)] = []

    init() {}

    init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    static func == (lhs: SIPHeaders, rhs: SIPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// The full name of a header, whatever case or compact form it was written in.
    static func canonicalName(_ name: String) -> String {
        let lower = name.lowercased()
        if let full = compactForms[lower] { return full }
        return knownNames[lower] ?? name
    }

    private static let compactForms: [String: String] = [
        "v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length", "c": "Content-Type", "k": "Supported",
        "s": "Subject", "e": "Content-Encoding",
    ]
    private static let knownNames: [String: String] = Dictionary(
        uniqueKeysWithValues: [
            "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Content-Type", "Max-Forwards", "Allow", "Supported",
            "User-Agent", "Server", "Record-Route", "Route", "Expires", "Accept", "Retry-After", "Unsupported", "Require", "Reason",
        ].map { ($0.lowercased(), $0) })

    mutating func add(_ name: String, _ value: String) {
        fields.append((Self.canonicalName(name), value))
    }

    /// Replaces every field named `name` by one with `value`, where the first one was.
    mutating func set(_ name: String, _ value: String) {
        let name = Self.canonicalName(name)
        if let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].value = value
            fields = fields.enumerated().filter { $0.offset == index || $0.element.name != name }.map(\.element)
        } else {
            fields.append((name, value))
        }
    }

    mutating func remove(_ name: String) {
        let name = Self.canonicalName(name)
        fields.removeAll { $0.name == name }
    }

    /// The first field named `name`, as written.
    subscript(_ name: String) -> String? {
        let name = Self.canonicalName(name)
        return fields.first { $0.name == name }?.value
    }

    /// Every value of `name`, with comma-separated lists split (`Via: a, b` is two values), in order.
    func values(_ name: String) -> [String] {
        let name = Self.canonicalName(name)
        return fields.filter { $0.name == name }.flatMap { Self.splitList($0.value) }
    }

    /// Splits a header list on commas outside quotes and angle brackets.
    static func splitList(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var angle = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if !quoted, character == "<" {
                angle = true
            } else if !quoted, character == ">" {
                angle = false
            } else if !quoted, !angle, character == "," {
                parts.append(current.trimmingSIPSpace())
                current = ""
                continue
            }
            current.append(character)
        }
        let last = current.trimmingSIPSpace()
        if !last.isEmpty || !parts.isEmpty { parts.append(last) }
        return parts.filter { !$0.isEmpty }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSIPSpace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
