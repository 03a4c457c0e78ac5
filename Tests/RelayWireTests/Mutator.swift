import RelayWire

/// Makes malformed, truncated, deeply nested, huge and wrongly typed frames from the fixture
/// frames. Half the mutations work on the bytes (mostly invalid JSON: exercises the reader),
/// half on the parsed value (valid JSON with members of the wrong type, missing, null or
/// numbers as strings: exercises the typed decoders).
struct Mutator {
    var random: SplitMix64
    let seeds: [[UInt8]]
    let seedValues: [JSONValue]

    init(seed: UInt64, seeds: [[UInt8]]) {
        random = SplitMix64(seed: seed)
        self.seeds = seeds
        seedValues = seeds.compactMap { try? JSONCodec.parse($0) }
    }

    static let interestingBytes: [UInt8] = Array("{}[]\":,\\-+.0123456789eEtfnul \t\r\n/".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xED, 0xF4, 0xFE, 0xFF]

    static let wrongValues: [JSONValue] = [
        .null, true, false, 0, -1, 1, .int(Int.max), .int(Int.min), 6.0, -0.0, 1.5, 1e308, -1e-308, 9e15, 9.5e15,
        "", "x", "1", "-1", "6.0", "1e400", "NaN", "nan", "inf", "-Infinity", "0x10", "true", "null", " 1",
        "\u{0}", "😀", .string(String(repeating: "a", count: 1000)),
        [], [:], [nil], [[]], ["x"], [1, 2], [[:]], ["type": "phone"], ["type": 1], ["params": nil],
    ]

    static let memberNames = [
        "jsonrpc", "id", "method", "params", "result", "error", "code", "message", "protocol", "channel", "event",
        "event_type", "broadcaster_nodeid", "call_id", "node_id", "control_id", "tag", "device", "devices", "type",
        "play", "collect", "record", "audio", "detect", "tap", "volume", "timeout", "digits", "speech", "max",
        "contexts", "context", "from_number", "to_number", "body", "media", "tags", "segments", "message_id",
        "message_state", "call_state", "connect_state", "peer", "state", "fax", "url", "text", "duration", "name",
        "ringback", "document", "direction", "port", "rate", "timestamp", "initial_timeout", "hints",
    ]

    mutating func int(_ upperBound: Int) -> Int { upperBound <= 0 ? 0 : Int(random.next() % UInt64(upperBound)) }
    mutating func chance(_ oneIn: Int) -> Bool { int(oneIn) == 0 }
    mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

    mutating func next() -> [UInt8] {
        var bytes = pick(seeds)
        let rounds = 1 + int(3)
        for _ in 0..<rounds {
            if chance(2) { bytes = mutateValue(bytes) } else { mutateBytes(&bytes) }
        }
        return bytes
    }

    // MARK: Bytes

    mutating func mutateBytes(_ bytes: inout [UInt8]) {
        switch int(12) {
        case 0:  // truncate
            bytes = Array(bytes.prefix(int(bytes.count + 1)))
        case 1:  // flip bits
            for _ in 0..<(1 + int(4)) where !bytes.isEmpty { bytes[int(bytes.count)] ^= UInt8(1 << int(8)) }
        case 2:  // replace with an interesting byte
            for _ in 0..<(1 + int(3)) where !bytes.isEmpty { bytes[int(bytes.count)] = pick(Self.interestingBytes) }
        case 3:  // insert random bytes
            let insert = (0..<(1 + int(8))).map { _ in chance(2) ? pick(Self.interestingBytes) : UInt8(truncatingIfNeeded: random.next()) }
            bytes.insert(contentsOf: insert, at: int(bytes.count + 1))
        case 4:  // delete a slice
            guard !bytes.isEmpty else { return }
            let start = int(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + int(32)))
        case 5:  // duplicate a slice
            guard !bytes.isEmpty else { return }
            let start = int(bytes.count)
            let slice = bytes[start..<min(bytes.count, start + 1 + int(64))]
            bytes.insert(contentsOf: slice, at: int(bytes.count + 1))
        case 6:  // deep nesting around the frame or at a random point
            let depth = pick([JSONCodec.maximumDepth - 2, JSONCodec.maximumDepth - 1, JSONCodec.maximumDepth, JSONCodec.maximumDepth + 1, 1 + int(600), 5_000])
            let open: [UInt8] = chance(2) ? [UInt8(ascii: "[")] : Array(#"{"params":"#.utf8)
            let close: [UInt8] = open.count == 1 ? [UInt8(ascii: "]")] : [UInt8(ascii: "}")]
            let at = chance(2) ? 0 : int(bytes.count + 1)
            let closeAt = chance(4) ? at : bytes.count  // sometimes unbalanced
            var nested = Array(bytes[..<at])
            for _ in 0..<depth { nested.append(contentsOf: open) }
            nested.append(contentsOf: bytes[at..<closeAt])
            for _ in 0..<depth { nested.append(contentsOf: close) }
            nested.append(contentsOf: bytes[closeAt...])
            bytes = nested
        case 7:  // splice two frames
            let other = pick(seeds)
            let cut = int(bytes.count + 1)
            bytes = Array(bytes[..<cut]) + Array(other[int(other.count + 1)...])
        case 8:  // a long digit run or number edge cases
            let number = pick(["1e400", "-1e-400", "123456789012345678901234567890", "-0", "-0.0", "0.", "1e", "01", "-", "9223372036854775808", String(repeating: "9", count: 400), "1.5e308", "4.9e-324"])
            bytes.insert(contentsOf: Array(number.utf8), at: int(bytes.count + 1))
        case 9:  // escapes, surrogates and broken UTF-8 in strings
            let snippet = pick([#"\ud83d"#, #"\ude00"#, #"\ud83d\ude00"#, #"\u00"#, #"\x"#, #"\"#, "\u{0}", #"\u0000"#, "\u{FFFD}"])
            var piece = Array(snippet.utf8)
            if chance(3) { piece = [0xC3] }
            if chance(5) { piece = [0xED, 0xA0, 0x80] }
            bytes.insert(contentsOf: piece, at: int(bytes.count + 1))
        case 10:  // a huge string member
            // Mostly a few KiB; one in 32 of these is 64 Ki characters (kept rare: the debug-build
            // writer is slow on long strings and the test must stay within its time budget).
            let size = chance(32) ? 1 << 16 : pick([1 << 8, 1 << 10, 1 << 12])
            let huge = "\"" + String(repeating: chance(4) ? "\\n" : "a", count: size) + "\""
            if let close = bytes.lastIndex(of: UInt8(ascii: "}")) {
                bytes.insert(contentsOf: Array(#","huge":"#.utf8) + Array(huge.utf8), at: close)
            } else {
                bytes = Array(huge.utf8)
            }
        default:  // whitespace or a stray structural byte
            bytes.insert(pick(Array(" \t\r\n\u{0B}\u{0C},:]}".utf8)), at: int(bytes.count + 1))
        }
    }

    // MARK: Values

    mutating func mutateValue(_ bytes: [UInt8]) -> [UInt8] {
        var value: JSONValue
        if let parsed = try? JSONCodec.parse(bytes) {
            value = parsed
        } else if !seedValues.isEmpty {
            value = pick(seedValues)
        } else {
            return bytes
        }
        for _ in 0..<(1 + int(3)) { value = mutate(value, depth: 0) }
        return JSONCodec.serialize(value)
    }

    /// Walks to a random node and changes it (or one of its members).
    mutating func mutate(_ value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .object(var members) where !members.isEmpty && depth < 12 && !chance(4):
            let key = members.keys.sorted()[int(members.count)]
            switch int(6) {
            case 0: members[key] = nil  // missing member
            case 1: members[key] = .null
            case 2: members[pick(Self.memberNames)] = pick(Self.wrongValues)  // extra or replaced member
            default: members[key] = mutate(members[key]!, depth: depth + 1)
            }
            return .object(members)
        case .array(var items) where !items.isEmpty && depth < 12 && !chance(4):
            let index = int(items.count)
            switch int(5) {
            case 0: items.remove(at: index)
            case 1: items.append(items[index])
            case 2: items[index] = pick(Self.wrongValues)
            default: items[index] = mutate(items[index], depth: depth + 1)
            }
            return .array(items)
        default:
            return replacement(for: value)
        }
    }

    mutating func replacement(for value: JSONValue) -> JSONValue {
        switch (value, int(4)) {
        case (.int(let number), 0): return .string(String(number))  // numbers as strings
        case (.double(let number), 0): return .string("\(number)")
        case (.int(let number), 1): return .double(Double(number))
        case (.double(let number), 1): return .int(Int(exactly: number.rounded()) ?? 0)
        case (.string(let text), 0): return Int(text).map(JSONValue.int) ?? .int(text.count)  // strings as numbers
        case (.string(let text), 1): return .string(String(text.reversed()))
        case (.object, 0), (.array, 0): return .string(value.jsonString)  // a nested object as a JSON string
        default:
            if chance(30) {
                // Valid but deep: just under and just over the limit.
                var deep: JSONValue = pick(Self.wrongValues)
                for _ in 0..<pick([10, 100, JSONCodec.maximumDepth - 5, JSONCodec.maximumDepth + 5]) {
                    deep = chance(2) ? .array([deep]) : .object(["params": deep])
                }
                return deep
            }
            return pick(Self.wrongValues)
        }
    }
}
