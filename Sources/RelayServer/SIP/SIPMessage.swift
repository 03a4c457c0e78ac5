/// One SIP request or response (RFC 3261 §7), read from or written to one UDP datagram.
struct SIPMessage: Sendable, Equatable {
    /// Largest datagram the edge reads (the UDP limit); anything bigger cannot arrive whole.
    static let maximumSize = 65_507
    /// Longest start line or header line accepted.
    static let maximumLineLength = 8192

    enum StartLine: Sendable, Equatable {
        case request(method: String, uri: String)
        case response(status: Int, reason: String)
    }

    var startLine: StartLine
    var headers: SIPHeaders
    var body: [UInt8]

    init(_ startLine: StartLine, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
    }

    var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    var requestURI: String? {
        if case .request(_, let uri) = startLine { return uri }
        return nil
    }

    var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    /// `CSeq` as (number, method).
    var cseq: (number: UInt32, method: String)? {
        guard let value = headers["CSeq"] else { return nil }
        let parts = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let number = UInt32(parts[0]) else { return nil }
        return (number, String(parts[1]))
    }

    var callID: String? { headers["Call-ID"] }

    /// Reads one datagram. Lines may end in CRLF or a bare LF; folded header lines are joined;
    /// `Content-Length` bounds the body (a shorter datagram is an error, extra bytes are dropped,
    /// as RFC 3261 §18.3 says for UDP).
    init(parsing bytes: [UInt8]) throws(SIPParseError) {
        guard bytes.count <= Self.maximumSize else { throw SIPParseError("datagram of \(bytes.count) bytes is over the SIP limit") }
        var index = 0
        // RFC 3261 §7.5: ignore empty lines before the start line (keep-alive CRLFs).
        while index < bytes.count, bytes[index] == 0x0D || bytes[index] == 0x0A { index += 1 }
        guard index < bytes.count else { throw SIPParseError("empty datagram") }

        func nextLine() throws(SIPParseError) -> String? {
            guard index < bytes.count else { return nil }
            var end = index
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            guard end < bytes.count else { throw SIPParseError("header section does not end with an empty line") }
            var lineEnd = end
            if lineEnd > index, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            guard lineEnd - index <= Self.maximumLineLength else { throw SIPParseError("line longer than \(Self.maximumLineLength) bytes") }
            let line = String(decoding: bytes[index..<lineEnd], as: UTF8.self)
            index = end + 1
            return line
        }

        guard let first = try nextLine() else { throw SIPParseError("no start line") }
        startLine = try Self.parseStartLine(first)

        var rawFields: [String] = []
        while true {
            guard let line = try nextLine() else { throw SIPParseError("header section does not end with an empty line") }
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" {
                guard !rawFields.isEmpty else { throw SIPParseError("continuation line before any header") }
                rawFields[rawFields.count - 1] += " " + line.trimmingSIPSpace()
                guard rawFields[rawFields.count - 1].utf8.count <= Self.maximumLineLength else { throw SIPParseError("folded header longer than \(Self.maximumLineLength) bytes") }
            } else {
                rawFields.append(line)
                guard rawFields.count <= SIPHeaders.maximumCount else { throw SIPParseError("more than \(SIPHeaders.maximumCount) header fields") }
            }
        }
        var headers = SIPHeaders()
        for field in rawFields {
            guard let colon = field.firstIndex(of: ":") else { throw SIPParseError("header line without a colon: \(field.prefix(64))") }
            let name = field[..<colon].trimmingSIPSpace()
            guard !name.isEmpty, name.allSatisfy(Self.isTokenCharacter) else { throw SIPParseError("bad header name: \(name.prefix(64))") }
            headers.add(name, field[field.index(after: colon)...].trimmingSIPSpace())
        }
        self.headers = headers

        let remaining = bytes.count - index
        if let lengthText = headers["Content-Length"] {
            guard let length = Int(lengthText), length >= 0 else { throw SIPParseError("bad Content-Length: \(lengthText.prefix(32))") }
            guard length <= remaining else { throw SIPParseError("Content-Length \(length) but \(remaining) body bytes") }
            body = Array(bytes[index..<(index + length)])
        } else {
            body = Array(bytes[index...])
        }
        for name in ["Call-ID", "CSeq", "From", "To", "Via"] where headers[name] == nil {
            throw SIPParseError("missing \(name)")
        }
        guard let cseq else { throw SIPParseError("bad CSeq: \(headers["CSeq"]?.prefix(64) ?? "")") }
        // Every request, ACK and CANCEL included, names its own method in CSeq (RFC 3261 §8.1.1.5).
        if case .request(let method, _) = startLine, cseq.method != method {
            throw SIPParseError("CSeq method \(cseq.method) does not match \(method)")
        }
    }

    private static func parseStartLine(_ line: String) throws(SIPParseError) -> StartLine {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw SIPParseError("bad start line: \(line.prefix(64))") }
        if parts[0] == "SIP/2.0" {
            guard parts[1].count == 3, let status = Int(parts[1]), (100...699).contains(status) else {
                throw SIPParseError("bad status code: \(parts[1].prefix(16))")
            }
            return .response(status: status, reason: String(parts[2]))
        }
        guard parts[2] == "SIP/2.0" else { throw SIPParseError("not SIP/2.0: \(parts[2].prefix(16))") }
        let method = String(parts[0])
        guard !method.isEmpty, method.allSatisfy(isTokenCharacter) else { throw SIPParseError("bad method: \(method.prefix(32))") }
        guard !parts[1].isEmpty else { throw SIPParseError("empty Request-URI") }
        return .request(method: method, uri: String(parts[1]))
    }

    private static func isTokenCharacter(_ character: Character) -> Bool {
        guard character.isASCII, let value = character.asciiValue else { return false }
        if (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) { return true }
        return "-.!%*_+`'~".contains(character)
    }

    /// The datagram, with `Content-Length` set to the body's length.
    func serialized() -> [UInt8] {
        var text: String
        switch startLine {
        case .request(let method, let uri): text = "\(method) \(uri) SIP/2.0\r\n"
        case .response(let status, let reason): text = "SIP/2.0 \(status) \(reason)\r\n"
        }
        for field in headers where field.name != "Content-Length" {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8) + body
    }

    /// A response to this request (RFC 3261 §8.2.6): the same `Via`s, `From`, `Call-ID` and
    /// `CSeq`; `To` with `toTag` added when it has none.
    func response(_ status: Int, _ reason: String, toTag: String? = nil) -> SIPMessage {
        var headers = SIPHeaders()
        for field in self.headers where field.name == "Via" { headers.add("Via", field.value) }
        if let from = self.headers["From"] { headers.add("From", from) }
        if var to = self.headers["To"] {
            if let toTag, SIPNameAddress(to)?.parameters["tag"] == nil { to += ";tag=\(toTag)" }
            headers.add("To", to)
        }
        if let callID { headers.add("Call-ID", callID) }
        if let value = self.headers["CSeq"] { headers.add("CSeq", value) }
        return SIPMessage(.response(status: status, reason: reason), headers: headers)
    }
}
