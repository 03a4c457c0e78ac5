/// The SDP body of an audio call (RFC 4566), as far as G.711 offer/answer needs it (RFC 3264):
/// the connection address, and one audio stream with its payload types.
struct SessionDescription: Sendable, Equatable {
    /// Largest SDP body read.
    static let maximumSize = 16_384

    var sessionID: UInt64
    var sessionVersion: UInt64
    var connectionAddress: String
    var audio: AudioStream?

    /// The `m=audio` stream.
    struct AudioStream: Sendable, Equatable {
        var port: Int
        /// Payload types in preference order.
        var payloadTypes: [Int]
        /// `a=rtpmap` entries: payload type → (encoding name, clock rate).
        var encodings: [Int: Encoding]
        var ptime: Int?
        var direction: String
        /// A stream-level `c=` overriding the session's.
        var connectionAddress: String?

        struct Encoding: Sendable, Equatable {
            var name: String
            var clockRate: Int
        }

        /// The encoding of `payloadType`, including the static ones an offer may leave unmapped.
        func encoding(of payloadType: Int) -> Encoding? {
            if let mapped = encodings[payloadType] { return mapped }
            switch payloadType {
            case 0: return Encoding(name: "PCMU", clockRate: 8000)
            case 8: return Encoding(name: "PCMA", clockRate: 8000)
            default: return nil
            }
        }

        /// The payload type of RFC 4733 `telephone-event/8000`, if offered.
        var telephoneEventPayloadType: Int? {
            payloadTypes.first { encoding(of: $0).map { $0.name.lowercased() == "telephone-event" && $0.clockRate == 8000 } ?? false }
        }
    }

    init(sessionID: UInt64, sessionVersion: UInt64 = 1, connectionAddress: String, audio: AudioStream?) {
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.connectionAddress = connectionAddress
        self.audio = audio
    }

    init(parsing bytes: [UInt8]) throws(SIPParseError) {
        guard bytes.count <= Self.maximumSize else { throw SIPParseError("SDP of \(bytes.count) bytes is too large") }
        var sessionID: UInt64?
        var version: UInt64 = 0
        var connection: String?
        var audio: AudioStream?
        var inOtherMedia = false
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            guard line.count >= 2, line[line.index(after: line.startIndex)] == "=" else { continue }
            let type = line.first!
            let value = line.dropFirst(2)
            switch type {
            case "o":
                let parts = value.split(separator: " ")
                guard parts.count == 6 else { throw SIPParseError("bad SDP origin") }
                sessionID = UInt64(parts[1])
                version = UInt64(parts[2]) ?? 0
            case "c":
                let parts = value.split(separator: " ")
                guard parts.count == 3, parts[0] == "IN", parts[1] == "IP4" || parts[1] == "IP6" else { throw SIPParseError("bad SDP connection") }
                // A multicast `addr/ttl` keeps only the address.
                let address = String(parts[2].split(separator: "/").first ?? parts[2])
                if audio != nil, !inOtherMedia { audio?.connectionAddress = address } else if audio == nil, !inOtherMedia { connection = address }
            case "m":
                let parts = value.split(separator: " ")
                guard parts.count >= 4 else { throw SIPParseError("bad SDP media line") }
                if parts[0] == "audio", audio == nil {
                    guard let port = Int(parts[1].split(separator: "/").first ?? ""), (0...65535).contains(port) else {
                        throw SIPParseError("bad SDP audio port")
                    }
                    let types = parts.dropFirst(3).compactMap { Int($0) }.filter { (0...127).contains($0) }
                    audio = AudioStream(port: port, payloadTypes: types, encodings: [:], ptime: nil, direction: "sendrecv", connectionAddress: nil)
                    inOtherMedia = false
                } else {
                    inOtherMedia = true
                }
            case "a" where audio != nil && !inOtherMedia:
                if value.hasPrefix("rtpmap:") {
                    let parts = value.dropFirst(7).split(separator: " ", maxSplits: 1)
                    guard parts.count == 2, let type = Int(parts[0]) else { continue }
                    let encoding = parts[1].split(separator: "/")
                    guard encoding.count >= 2, let rate = Int(encoding[1]) else { continue }
                    audio?.encodings[type] = AudioStream.Encoding(name: String(encoding[0]), clockRate: rate)
                } else if value.hasPrefix("ptime:") {
                    audio?.ptime = Int(value.dropFirst(6))
                } else if ["sendrecv", "sendonly", "recvonly", "inactive"].contains(String(value)) {
                    audio?.direction = String(value)
                }
            default:
                break
            }
        }
        guard let sessionID else { throw SIPParseError("SDP without an origin") }
        guard let address = connection ?? audio?.connectionAddress else { throw SIPParseError("SDP without a connection address") }
        self.sessionID = sessionID
        sessionVersion = version
        connectionAddress = address
        self.audio = audio
    }

    /// Where the far end wants its RTP.
    var audioDestination: (address: String, port: Int)? {
        guard let audio, audio.port != 0 else { return nil }
        return (audio.connectionAddress ?? connectionAddress, audio.port)
    }

    func serialized() -> [UInt8] {
        let family = connectionAddress.contains(":") ? "IP6" : "IP4"
        var lines = [
            "v=0", "o=relay \(sessionID) \(sessionVersion) IN \(family) \(connectionAddress)", "s=Relay", "c=IN \(family) \(connectionAddress)", "t=0 0",
        ]
        if let audio {
            lines.append("m=audio \(audio.port) RTP/AVP \(audio.payloadTypes.map(String.init).joined(separator: " "))")
            for type in audio.payloadTypes {
                guard let encoding = audio.encoding(of: type) else { continue }
                lines.append("a=rtpmap:\(type) \(encoding.name)/\(encoding.clockRate)")
                if encoding.name.lowercased() == "telephone-event" { lines.append("a=fmtp:\(type) 0-16") }
            }
            if let ptime = audio.ptime { lines.append("a=ptime:\(ptime)") }
            lines.append("a=\(audio.direction)")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}

extension SessionDescription {
    /// What this edge offers on an outbound INVITE: PCMU, PCMA and telephone-event, ptime 20.
    static func offer(address: String, port: Int, sessionID: UInt64) -> SessionDescription {
        let audio = AudioStream(
            port: port, payloadTypes: [0, 8, 101], encodings: [101: .init(name: "telephone-event", clockRate: 8000)], ptime: 20,
            direction: "sendrecv", connectionAddress: nil)
        return SessionDescription(sessionID: sessionID, connectionAddress: address, audio: audio)
    }

    /// The result of RFC 3264 offer/answer for one audio stream.
    struct Negotiated: Sendable, Equatable {
        var codec: AudioCodec
        /// The far end's payload type for telephone-event, when both sides have it.
        var telephoneEventPayloadType: Int?
        var remote: (address: String, port: Int)?

        static func == (lhs: Negotiated, rhs: Negotiated) -> Bool {
            lhs.codec == rhs.codec && lhs.telephoneEventPayloadType == rhs.telephoneEventPayloadType
                && lhs.remote?.address == rhs.remote?.address && lhs.remote?.port == rhs.remote?.port
        }
    }

    /// Picks the first G.711 codec in the far end's order, keeps telephone-event when offered,
    /// and says what to answer. `nil` when the offer has no audio this edge can speak (→ 488).
    func negotiate() -> Negotiated? {
        guard let audio else { return nil }
        let codec = audio.payloadTypes.lazy.compactMap { type -> AudioCodec? in
            guard let encoding = audio.encoding(of: type), encoding.clockRate == 8000 else { return nil }
            return AudioCodec(rawValue: encoding.name.uppercased())
        }.first
        guard let codec else { return nil }
        return Negotiated(codec: codec, telephoneEventPayloadType: audio.telephoneEventPayloadType, remote: audioDestination)
    }

    /// The answer to this offer: the chosen codec (under the offer's payload type) and
    /// telephone-event if offered, ptime 20, the mirrored direction.
    func answer(address: String, port: Int, sessionID: UInt64) -> (SessionDescription, Negotiated)? {
        guard let negotiated = negotiate(), let offered = audio else { return nil }
        let codecType = offered.payloadTypes.first { offered.encoding(of: $0)?.name.uppercased() == negotiated.codec.rawValue } ?? Int(negotiated.codec.payloadType)
        var types = [codecType]
        var encodings: [Int: AudioStream.Encoding] = [codecType: .init(name: negotiated.codec.rawValue, clockRate: 8000)]
        if let event = negotiated.telephoneEventPayloadType {
            types.append(event)
            encodings[event] = .init(name: "telephone-event", clockRate: 8000)
        }
        let direction =
            switch offered.direction {
            case "sendonly": "recvonly"
            case "recvonly": "sendonly"
            case "inactive": "inactive"
            default: "sendrecv"
            }
        let stream = AudioStream(port: port, payloadTypes: types, encodings: encodings, ptime: 20, direction: direction, connectionAddress: nil)
        return (SessionDescription(sessionID: sessionID, connectionAddress: address, audio: stream), negotiated)
    }
}
