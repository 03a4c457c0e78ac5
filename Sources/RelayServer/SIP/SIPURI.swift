import Foundation

/// A `sip:` URI (RFC 3261 §19.1) as far as a loopback edge needs it: user, host, port and
/// URI parameters.
struct SIPURI: Sendable, Equatable, CustomStringConvertible {
    var user: String?
    var host: String
    var port: Int?
    /// URI parameters, names lowercased.
    var parameters: [String: String]

    init(user: String?, host: String, port: Int? = nil, parameters: [String: String] = [:]) {
        self.user = user
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    init?(_ text: String) {
        var rest = Substring(text.trimmingSIPSpace())
        guard rest.lowercased().hasPrefix("sip:") else { return nil }
        rest = rest.dropFirst(4)
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }
        let semicolon = rest.firstIndex(of: ";") ?? rest.endIndex
        parameters = SIPNameAddress.parameters(rest[semicolon...])
        var address = rest[..<semicolon]
        if let at = address.lastIndex(of: "@") {
            let userInfo = address[..<at]
            // `user:password@host`: the password is dropped, never logged.
            let user = userInfo.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            guard !user.isEmpty else { return nil }
            self.user = user.removingPercentEncoding ?? user
            address = address[address.index(after: at)...]
        } else {
            user = nil
        }
        if address.first == "[" {
            guard let close = address.firstIndex(of: "]") else { return nil }
            host = String(address[...close])
            let after = address[address.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.first == ":", let number = Int(after.dropFirst()), (1...65535).contains(number) else { return nil }
                port = number
            }
        } else if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon])
            guard let number = Int(address[address.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
        } else {
            host = String(address)
            port = nil
        }
        guard !host.isEmpty else { return nil }
    }

    /// Whether the edge can send to this URI without DNS: an IP address or `localhost`, and an
    /// explicit port (the rule for calling a SIP device for real).
    var isDirectlyReachable: Bool { port != nil && SIPUserAgent.peer(for: self) != nil }

    var description: String {
        var text = "sip:"
        if let user { text += (user.addingPercentEncoding(withAllowedCharacters: Self.userCharacters) ?? user) + "@" }
        text += host
        if let port { text += ":\(port)" }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            text += value.isEmpty ? ";\(name)" : ";\(name)=\(value)"
        }
        return text
    }

    private static let userCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-_.!~*'()&=+$,;?/")
        return set
    }()
}
