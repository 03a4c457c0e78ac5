import Foundation
import RelayWire
import Testing

/// JSONCodec against Foundation's `JSONSerialization` on every fixture file (captured Python
/// frames and protocol vectors) and every frame inside them.
@Suite("Differential: JSONCodec vs JSONSerialization")
struct DifferentialTests {
    static let files = Fixtures.allJSONFiles()

    @Test func fixturesArePresent() {
        #expect(Self.files.count >= 90, "found \(Self.files.count) files under \(Fixtures.root.path)")
        #expect(Self.files.contains { $0.path.contains("/captured/") })
        #expect(Self.files.contains { $0.path.contains("/vectors/events/") })
    }

    @Test(arguments: files)
    func fileParsesTheSame(_ file: URL) throws {
        let bytes = try Fixtures.bytes(file)
        let ours = try JSONCodec.parse(bytes)
        let theirs = try Reference.parse(bytes)
        let difference = foundationDifference(ours, theirs)
        #expect(difference == nil, "\(file.lastPathComponent): \(difference ?? "")")

        // Independently of Foundation: a number is an int exactly when its text has no
        // fraction or exponent (and fits in Int).
        #expect(numbers(in: ours) == numberTokens(in: bytes), "\(file.lastPathComponent)")

        // Our serializer's output, read by Foundation, is the same document.
        let written = JSONCodec.serialize(ours)
        let reread = try Reference.parse(written)
        let rereadDifference = foundationDifference(ours, reread)
        #expect(rereadDifference == nil, "\(file.lastPathComponent): \(rereadDifference ?? "")")
        // And read by us again, byte-identical when written a second time.
        #expect(JSONCodec.serialize(try JSONCodec.parse(written)) == written)

        // Foundation's writer, read by us: same values (Foundation may write 6.0 as 6, so
        // numbers compare by value here).
        let foundationText = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(bytes)), options: [.sortedKeys])
        let fromFoundation = try JSONCodec.parse([UInt8](foundationText))
        let writerDifference = jsonDifference(fromFoundation, ours, tolerance: 4)
        #expect(writerDifference == nil, "\(file.lastPathComponent): \(writerDifference ?? "")")
    }

    @Test(arguments: files)
    func everyFrameReserializedParsesTheSame(_ file: URL) throws {
        let document = try JSONCodec.parse(Fixtures.bytes(file))
        let frames = Fixtures.frames(in: document)
        for frame in frames {
            let text = JSONCodec.serialize(frame)
            let theirs = try Reference.parse(text)
            let difference = foundationDifference(frame, theirs)
            #expect(difference == nil, "\(file.lastPathComponent): \(difference ?? "")")
            let ours = try JSONCodec.parse(text)
            let same = identical(ours, frame)
            #expect(same)
            #expect(numbers(in: ours) == numberTokens(in: text))
        }
    }

    @Test func frameCount() throws {
        var frames = 0
        for file in Self.files { frames += Fixtures.frames(in: try JSONCodec.parse(Fixtures.bytes(file))).count }
        print("RelayWire differential: \(Self.files.count) fixture files, \(frames) nested frames compared with JSONSerialization")
        #expect(frames > 500)
    }

    /// Hand-picked edge cases both parsers must read identically.
    @Test(arguments: [
        "0", "-0", "-0.0", "6.0", "1e3", "1E-3", "0.1", "2.5e+10", "9223372036854775807", "-999999999999999999",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e-400", "123456789012345678901234567890.5",
        #""\u0041\u00e9\ud83d\ude00""#, #""a\/b""#, #""\u0000""#, #""é😀""#, "[]", "{}", #"{"a":1,"a":2}"#,
        " [ 1 , { \"b\" : [ null , true , false ] } ] ", #"{"volume":6.0,"timeout":30}"#,
    ])
    func edgeCasesAgree(_ text: String) throws {
        let ours = try JSONCodec.parse(text)
        let theirs = try Reference.parse(utf8(text))
        #expect(identical(ours, theirs), "\(text): ours \(ours), Foundation \(theirs)")
    }

    /// Where Foundation on Linux is the one that is off, ours is checked against exact values.
    @Test func knownFoundationDeviations() throws {
        // 19-digit negative integers (down to Int.min): Foundation reads them as doubles,
        // losing precision; they fit in Int.
        #expect(try JSONCodec.parse("-9223372036854775808") == .int(Int.min))
        #expect(try JSONCodec.parse("-9223372036854775807") == .int(-9_223_372_036_854_775_807))
        #expect(try JSONCodec.parse("-1000000000000000001") == .int(-1_000_000_000_000_000_001))
        #expect(try Reference.parse(utf8("-9223372036854775807")) == .double(-9.223372036854775807e18))
        // Decimal fractions: Foundation's reader is not correctly rounded
        // (1568920061.326131 comes back as 1568920061.3261313); ours matches Swift's (and
        // Python's) correctly rounded Double(String).
        #expect(try JSONCodec.parse("1568920061.326131") == .double(Double("1568920061.326131")!))
        #expect(JSONCodec.string(try JSONCodec.parse("1568920061.326131")) == "1568920061.326131")
        // Foundation accepts trailing commas; we do not.
        #expect((try? Reference.parse(utf8("[1,]"))) != nil)
        #expect((try? JSONCodec.parse("[1,]")) == nil)
        // Overflow: both reject.
        #expect((try? Reference.parse(utf8("[1e400]"))) == nil)
        #expect((try? JSONCodec.parse("[1e400]")) == nil)
    }

    /// Inputs both must reject.
    @Test(arguments: [
        "", " ", "01", "1.", ".5", "+1", "1e", "-", "[1 2]", "{\"a\"}", "{a:1}", "'a'", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"a\u{1}\"", "[", "{", "nul", "NaN", "Infinity", "1 2", "{}}", "\"abc",
    ])
    func malformedBothReject(_ text: String) {
        #expect(throws: (any Error).self) { try JSONCodec.parse(text) }
        #expect(throws: (any Error).self) { try Reference.parse(utf8(text)) }
    }

    // MARK: Number bookkeeping

    enum Number: Hashable, Comparable {
        case int(Int)
        case double(UInt64)  // bit pattern
        static func < (lhs: Number, rhs: Number) -> Bool { "\(lhs)" < "\(rhs)" }
    }

    /// Every number in a value, as (kind, value), sorted.
    func numbers(in value: JSONValue) -> [Number] {
        var found: [Number] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .int(let number): found.append(.int(number))
            case .double(let number): found.append(.double(number.bitPattern))
            case .array(let items): items.forEach(walk)
            case .object(let members): members.values.forEach(walk)
            default: break
            }
        }
        walk(value)
        return found.sorted()
    }

    /// Every number token in JSON text (outside strings), classified by its spelling alone.
    func numberTokens(in bytes: [UInt8]) -> [Number] {
        var found: [Number] = []
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                index += 1
                continue
            }
            if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let start = index
                while index < bytes.count, "0123456789+-.eE".utf8.contains(bytes[index]) { index += 1 }
                let token = String(decoding: bytes[start..<index], as: UTF8.self)
                let spelledAsInteger = !token.contains { ".eE".contains($0) }
                if spelledAsInteger, let number = Int(token) {
                    found.append(.int(number))
                } else {
                    found.append(.double(Double(token)!.bitPattern))
                }
                continue
            }
            index += 1
        }
        return found.sorted()
    }
}
