/// One `Via` value (RFC 3261 §20.42): `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport`.
struct SIPVia: Sendable, Equatable {
    /// The branch prefix of RFC 3261 transactions; a branch without it is from RFC 2543.
    static let magicCookie = "z9hG4bK"

    var transport: String
    var host: String
    var port: Int?
    /// Parameters, names lowercased (`branch`, `rport`, `received`).
    var parameters: [String: String]

    init(transport: String = "UDP", host: String, port: Int?, branch: String) {
        self.transport = transport
        self.host = host
        self.port = port
        parameters = ["branch": branch]
    }

    init?(_ value: String) {
        let semicolon = value.firstIndex(of: ";") ?? value.endIndex
        let parts = value[..<semicolon].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else { return nil }
        let protocolParts = parts[0].split(separator: "/")
        guard protocolParts.count == 3, protocolParts[0].uppercased() == "SIP", protocolParts[1] == "2.0" else { return nil }
        transport = protocolParts[2].uppercased()
        let sentBy = parts[1]
        if let colon = sentBy.lastIndex(of: ":"), !sentBy.hasSuffix("]") {
            host = String(sentBy[..<colon])
            guard let number = Int(sentBy[sentBy.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
        } else {
            host = String(sentBy)
            port = nil
        }
        guard !host.isEmpty else { return nil }
        parameters = SIPNameAddress.parameters(value[semicolon...])
    }

    var branch: String? { parameters["branch"] }

    var description: String {
        var text = "SIP/2.0/\(transport) \(host)"
        if let port { text += ":\(port)" }
        // branch first, as stacks write it; the rest sorted for a stable form.
        if let branch { text += ";branch=\(branch)" }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) where name != "branch" {
            text += value.isEmpty ? ";\(name)" : ";\(name)=\(value)"
        }
        return text
    }
}
