import RelayWire
import Testing

@Suite("JSONCodec")
struct JSONCodecTests {
    func parse(_ text: String) throws -> JSONValue { try JSONCodec.parse(text) }

    func rejects(_ text: String, _ reason: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try JSONCodec.parse(text)
            Issue.record("accepted \(text.debugDescription) as \(value)", sourceLocation: sourceLocation)
        } catch {
            if let reason {
                #expect(error.description.contains(reason), "\(text.debugDescription): \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: Literals

    @Test func literals() throws {
        #expect(try parse("null") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        for bad in ["nul", "tru", "fals", "True", "NULL", "nulll", "t", "undefined", "NaN", "Infinity", "-Infinity"] {
            rejects(bad)
        }
    }

    // MARK: Numbers

    @Test func integersStayIntegers() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("42") == .int(42))
        #expect(try parse("-17") == .int(-17))
        #expect(try parse("9223372036854775807") == .int(Int.max))
        #expect(try parse("-9223372036854775808") == .int(Int.min))
    }

    @Test func doublesStayDoubles() throws {
        #expect(try parse("6.0") == .double(6))
        #expect(try parse("-4.0") == .double(-4))
        #expect(try parse("0.0") == .double(0))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("0.1") == .double(0.1))
        // And back: Python's json.dumps(6.0) is "6.0".
        #expect(JSONCodec.string(.double(6)) == "6.0")
        #expect(JSONCodec.string(.double(-4)) == "-4.0")
        #expect(JSONCodec.string(.double(0)) == "0.0")
        #expect(JSONCodec.string(.double(1.5)) == "1.5")
        #expect(JSONCodec.string(.double(0.1)) == "0.1")
        #expect(JSONCodec.string(.int(6)) == "6")
        #expect(JSONCodec.string(try parse(#"{"volume":6.0,"max":4}"#)) == #"{"max":4,"volume":6.0}"#)
    }

    @Test func exponents() throws {
        #expect(try parse("1e3") == .double(1000))
        #expect(try parse("1E3") == .double(1000))
        #expect(try parse("1e+3") == .double(1000))
        #expect(try parse("25e-1") == .double(2.5))
        #expect(try parse("-1.5E-3") == .double(-0.0015))
        #expect(try parse("0e0") == .double(0))
        // An exponent makes a double even when the value is integral.
        if case .double = try parse("2e0") {} else { Issue.record("2e0 should read as a double") }
        // Written back in a form any JSON reader takes.
        for value in [1e15, 1e16, 1.5e300, -2.5e-300, Double.leastNonzeroMagnitude, 123456789012345.5, Double.greatestFiniteMagnitude] {
            let text = JSONCodec.string(.double(value))
            #expect(try parse(text) == .double(value), "\(value) -> \(text)")
        }
    }

    @Test func negativeZero() throws {
        #expect(try parse("-0") == .int(0))
        guard case .double(let zero) = try parse("-0.0") else {
            Issue.record("-0.0 should read as a double")
            return
        }
        #expect(zero == 0 && zero.sign == .minus)
        guard case .double(let exponentZero) = try parse("-0e0") else {
            Issue.record("-0e0 should read as a double")
            return
        }
        #expect(exponentZero.sign == .minus)
        // Python writes -0.0 as "-0.0"; the sign must survive a round trip.
        #expect(JSONCodec.string(.double(-0.0)) == "-0.0")
        guard case .double(let back) = try parse(JSONCodec.string(.double(-0.0))) else {
            Issue.record("-0.0 should come back as a double")
            return
        }
        #expect(back.sign == .minus)
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        #expect(try parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try parse("-9223372036854775809") == .double(-9223372036854775809.0))
        #expect(try parse("18446744073709551616") == .double(18446744073709551616.0))
        #expect(try parse("123456789012345678901234567890") == .double(Double("123456789012345678901234567890")!))
        // And they stay readable once written back.
        let written = JSONCodec.string(try parse("18446744073709551616"))
        #expect(try parse(written) == .double(18446744073709551616.0), "\(written)")
    }

    @Test func hugeExponents() throws {
        // Underflow reads as zero (Foundation agrees).
        #expect(try parse("1e-400") == .double(0))
        // Overflow: a non-finite double can't be written as JSON (it would go out as null),
        // so reading one must not silently produce infinity that then changes on the way out.
        // Rejected, as Foundation does.
        for text in ["1e400", "-1e400", "[1.7976931348623157e309]", #"{"volume":2e308}"#, "1" + String(repeating: "0", count: 400) + ".0"] {
            rejects(text, "out of range")
        }
        // The largest finite double still reads.
        #expect(try parse("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        // Integers too long for Int64 but finite as doubles still read.
        #expect(try parse(String(repeating: "9", count: 300)) == .double(1e300))
        // The writer never produces invalid JSON from non-finite values.
        #expect(JSONCodec.string(.double(.infinity)) == "null")
        #expect(JSONCodec.string(.double(-.infinity)) == "null")
        #expect(JSONCodec.string(.double(.nan)) == "null")
    }

    @Test func malformedNumbers() {
        for bad in ["01", "-01", "00", "1.", "-", "-a", ".5", "+1", "1e", "1e+", "1E-", "1.e3", "0x10", "1_000", "- 1", "1.5.5", "1e5e5", "١"] {
            rejects(bad)
        }
    }

    // MARK: Strings

    @Test func escapes() throws {
        #expect(try parse(#""a\"b\\c\/d""#) == .string("a\"b\\c/d"))
        #expect(try parse(#""\b\f\n\r\t""#) == .string("\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u00E9\u4e2d""#) == .string("Aéé中"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse(#""plain""#) == .string("plain"))
        #expect(try parse(#""""#) == .string(""))
        // Escapes after a plain prefix (the slow path copies the prefix).
        #expect(try parse(#""prefix\nsuffix""#) == .string("prefix\nsuffix"))
        for bad in [#""\x41""#, #""\'""#, #""\u12""#, #""\u12G4""#, #""\"#, #""\u"#, #""abc"#, #""\U0041""#, "\"\\\u{0}\""] {
            rejects(bad)
        }
    }

    @Test func surrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        #expect(try parse(#""x\ud83d\ude00y""#) == .string("x😀y"))
        // Unpaired or invalid surrogates are rejected, as Foundation does.
        for bad in [#""\ud83d""#, #""\ud83dx""#, #""\ude00""#, #""\ude00\ud83d""#, #""\ud83d\u0041""#, #""\ud83d\ud83d""#, #""\ud83d\n""#, #""\ud83d\"#, #""\ud83d\u12""#] {
            rejects(bad)
        }
        rejects(#""\ud83d""#, "surrogate")
        rejects(#""\ude00""#, "surrogate")
    }

    @Test func controlCharactersRejected() {
        for byte in UInt8(0)..<0x20 {
            rejects("\"a\(Character(Unicode.Scalar(byte)))b\"", "control character")
            rejects("\"\\n\(Character(Unicode.Scalar(byte)))\"", "control character")
        }
        // DEL and above are fine.
        #expect((try? parse("\"\u{7F}\"")) == .string("\u{7F}"))
    }

    @Test func rawUTF8PassesThrough() throws {
        let text = "héllo 中文 😀 \u{2028} Ω"
        #expect(try parse("\"\(text)\"") == .string(text))
        #expect(JSONCodec.string(.string(text)) == "\"\(text)\"")
        #expect(try JSONCodec.parse(utf8(#"{"ключ":"значение"}"#)) == .object(["ключ": .string("значение")]))
    }

    @Test func writerEscapes() throws {
        #expect(JSONCodec.string(.string("a\"b\\c\n\r\t")) == #""a\"b\\c\n\r\t""#)
        #expect(JSONCodec.string(.string("\u{0}\u{1}\u{1F}\u{08}\u{0C}")) == #""\u0000\u0001\u001f\u0008\u000c""#)
        #expect(JSONCodec.string(.string("/")) == #""/""#)
        for byte in UInt8(0)..<0x80 {
            let text = String(Character(Unicode.Scalar(byte)))
            #expect(try parse(JSONCodec.string(.string(text))) == .string(text))
        }
    }

    // MARK: Structure

    @Test func arraysAndObjects() throws {
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse("[1,2.0,\"x\",null,true,[],{}]") == [1, 2.0, "x", nil, true, [], [:]])
        #expect(try parse(#"{"a":{"b":[{"c":null}]}}"#) == ["a": ["b": [["c": nil]]]])
        // Duplicate keys: the last one wins (Foundation agrees).
        #expect(try parse(#"{"a":1,"a":2}"#) == ["a": 2])
        for bad in ["[", "]", "[1,]", "[,1]", "[1 2]", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}", "{1:1}", "[1}", "{\"a\":1]", "{,}", "[[]"] {
            rejects(bad)
        }
    }

    @Test func nestingLimit() throws {
        let limit = JSONCodec.maximumDepth
        // `limit` levels of arrays are fine, one more is not.
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect((try? parse(deepest)) != nil)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        rejects(tooDeep, "nesting")
        let objects = String(repeating: #"{"a":"#, count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        rejects(objects, "nesting")
        let scalarInside = String(repeating: "[", count: limit) + "1" + String(repeating: "]", count: limit)
        rejects(scalarInside, "nesting")
        // Far deeper input fails cleanly too, well before the stack would run out, including unterminated.
        rejects(String(repeating: "[", count: 1_000_000), "nesting")
        rejects(String(repeating: #"{"a":["#, count: 100_000), "nesting")
    }

    @Test func trailingGarbageRejected() {
        for bad in ["1 2", "{} {}", "[]]", "null,", "truex", "\"a\"\"b\"", "{}x", "1\u{0}", "[] \u{0B}"] {
            rejects(bad, "trailing")
        }
    }

    @Test func emptyInputRejected() throws {
        rejects("", "end of input")
        rejects(" \n\t\r ", "end of input")
        #expect(throws: WireError.self) { try JSONCodec.parse([UInt8]()) }
    }

    @Test func whitespace() throws {
        #expect(try parse(" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n} \t\r\n") == ["a": [1, 2]])
        // Only the four JSON whitespace characters count.
        for bad in ["\u{0C}1", "1\u{0C}", "\u{A0}1", "\u{FEFF}1", "[1,\u{0B}2]", "\u{2028}1"] {
            rejects(bad)
        }
    }

    @Test func serializesDeterministically() throws {
        let value: JSONValue = ["b": 1, "a": [true, nil, 2.5, "x"], "c": ["z": 6.0, "y": -1]]
        #expect(JSONCodec.string(value) == #"{"a":[true,null,2.5,"x"],"b":1,"c":{"y":-1,"z":6.0}}"#)
        #expect(value.jsonString == JSONCodec.string(value))
    }

    @Test func serializeParseRoundTrip() throws {
        let values: [JSONValue] = [
            .null, true, false, 0, -1, .int(Int.max), .int(Int.min), 6.0, -0.5, 1e-7, 3.141592653589793, 1e300,
            "", "quote\" backslash\\ slash/ tab\t nl\n nul\u{0} bell\u{7} emoji😀 é",
            [], [:], [[[[]]]],
            ["jsonrpc": "2.0", "id": "1", "method": "blade.execute", "params": ["protocol": "p", "method": "calling.play", "params": ["volume": 6.0, "play": [["type": "silence", "params": ["duration": 2]]]]]],
        ]
        for value in values {
            let text = JSONCodec.serialize(value)
            let back = try JSONCodec.parse(text)
            #expect(identical(back, value), "\(value) -> \(String(decoding: text, as: UTF8.self)) -> \(back)")
            // The wire form (members unsorted) reads back the same too.
            let unsorted = try JSONCodec.parse(JSONCodec.serialize(value, sortedKeys: false))
            #expect(identical(unsorted, value))
        }
    }

    @Test func entryPointsAgree() throws {
        let text = #"{"id":"1","result":{"a":[1,2.0]}}"#
        let fromString = try JSONCodec.parse(text)
        let fromBytes = try JSONCodec.parse(utf8(text))
        let fromBuffer = try utf8(text).withUnsafeBytes { buffer in try JSONCodec.parse(buffer) }
        #expect(fromString == fromBytes && fromBytes == fromBuffer)
        // A slice of a larger buffer: the reader must stop at the slice's end.
        let padded = utf8("[1]xyz")
        let sliced = try padded.withUnsafeBytes { buffer in try JSONCodec.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<3])) }
        #expect(sliced == [1])
    }

    @Test func invalidUTF8DoesNotTrap() throws {
        // Raw bytes that are not UTF-8 are repaired (U+FFFD), never a crash.
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xFE, 0x22], [0xFF], [0xEF, 0xBB, 0xBF, 0x31]] {
            _ = try? JSONCodec.parse(bytes)
        }
        #expect(try JSONCodec.parse([0x22, 0xFF, 0x22]) == .string("\u{FFFD}"))
    }
}

@Suite("JSONValue accessors")
struct JSONValueTests {
    @Test func lenientAccessors() throws {
        let value = try JSONCodec.parse(#"{"i":5,"d":6.0,"f":6.5,"s":"7","big":1e16,"b":true,"a":["x",1,"y"],"o":{"p":{"q":1}}}"#)
        #expect(value["i"]?.intValue == 5)
        #expect(value["d"]?.intValue == 6)
        #expect(value["f"]?.intValue == nil)
        #expect(value["s"]?.intValue == 7)
        #expect(value["big"]?.intValue == nil)
        #expect(value["i"]?.doubleValue == 5)
        #expect(value["s"]?.doubleValue == 7)
        #expect(value["b"]?.boolValue == true)
        #expect(value["i"]?.boolValue == nil)
        #expect(value["a"]?.stringArray == ["x", "y"])
        #expect(value["a"]?[1] == 1)
        #expect(value["a"]?[3] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value[path: "o", "p", "q"] == 1)
        #expect(value[path: "o", "x", "q"] == nil)
        #expect(value["i"]?["x"] == nil)
        #expect(JSONValue.null.isNull)
    }

    /// `doubleValue` takes only finite decimal spellings: a peer sending `"volume": "inf"` or
    /// `"timeout": "nan"` must not get a non-finite Double into the typed structs and timers.
    @Test func numericStringsMustBeFiniteDecimals() throws {
        #expect(JSONValue.string("1.5").doubleValue == 1.5)
        #expect(JSONValue.string("-2").doubleValue == -2)
        let play = try PlayCommand(json: ["control_id": "c", "play": [], "volume": "inf"])
        for text in ["nan", "NaN", "inf", "-inf", "infinity", "0x1p4", "1e400", ""] {
            #expect(JSONValue.string(text).doubleValue == nil, "\(text) reads as \(String(describing: JSONValue.string(text).doubleValue))")
        }
        #expect(play.volume == nil)
        #expect(play.json["volume"] == nil, "\(play.json.jsonString)")
    }

    @Test func numberHelper() {
        #expect(JSONValue.number(6) == .int(6))
        #expect(JSONValue.number(6.5) == .double(6.5))
        #expect(JSONValue.number(1e300) == .double(1e300))
    }
}
