import Foundation
import RelayWire
import Testing

/// `Tests/Fixtures`: a snapshot of ../shared/protocol (captured Python 2.1.1 frames and vectors).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Every `.json` file under `Tests/Fixtures` (captured/ and vectors/), sorted by path.
    static func allJSONFiles() -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker where url.pathExtension == "json" { files.append(url) }
        return files.sorted { $0.path < $1.path }
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    static func load(_ relativePath: String) throws -> JSONValue {
        try JSONCodec.parse(bytes(root.appendingPathComponent(relativePath)))
    }

    /// Every nested `frame` / `json` object (the wire frames inside captured scenarios and the
    /// vector files), in file order.
    static func frames(in document: JSONValue) -> [JSONValue] {
        var found: [JSONValue] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let members):
                for key in members.keys.sorted() {
                    guard let member = members[key] else { continue }
                    if key == "frame" || key == "json", member.objectValue != nil { found.append(member) }
                    walk(member)
                }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(document)
        return found
    }

    /// The serialized wire frames of every fixture file: the fuzz seeds.
    static func seedFrames() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for file in allJSONFiles() {
            let document = try JSONCodec.parse(bytes(file))
            for frame in frames(in: document) { seeds.append(JSONCodec.serialize(frame)) }
        }
        return seeds
    }
}

/// SplitMix64: tiny, fast and fixed-seed, so every fuzz run tries the same inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Foundation's `JSONSerialization` as the reference parser, its result turned into a
/// `JSONValue`. Booleans come back as `__NSCFBoolean` (objCType "c"), integers as "i"/"q",
/// floating point as "d", integers beyond Int64 as "Q" (UInt64) or `NSDecimalNumber`.
enum Reference {
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return try convert(object)
    }

    struct Unconvertible: Error { var what: String }

    static func convert(_ object: Any) throws -> JSONValue {
        switch object {
        case is NSNull: return .null
        case let text as String: return .string(text)
        case let items as [Any]: return .array(try items.map(convert))
        case let members as [String: Any]:
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result[key] = try convert(member) }
            return .object(result)
        case let number as NSNumber: return try convert(number)
        default: throw Unconvertible(what: "\(type(of: object))")
        }
    }

    static func convert(_ number: NSNumber) throws -> JSONValue {
        if number is NSDecimalNumber { return .double(number.doubleValue) }
        let kind = String(cString: number.objCType)
        if kind == "c", String(describing: type(of: number)).contains("Boolean") { return .bool(number.boolValue) }
        switch kind {
        case "d", "f": return .double(number.doubleValue)
        case "Q", "L":
            // Unsigned beyond Int64: our reader makes those doubles.
            if number.uint64Value > UInt64(Int.max) { return .double(number.doubleValue) }
            return .int(number.intValue)
        case "c", "C", "s", "S", "i", "I", "l", "q": return .int(number.intValue)
        default: throw Unconvertible(what: "NSNumber objCType \(kind)")
        }
    }
}

/// Whether two values are the same JSON, with numbers compared by value (`2` == `2.0`) except
/// members named in `strictKinds`, whose kinds (int / double) must match too. Returns the
/// first difference as a path, or nil.
/// `tolerance` allows doubles that many ulps apart.
func jsonDifference(_ lhs: JSONValue, _ rhs: JSONValue, strictKinds: Set<String> = [], tolerance: Double = 0, path: String = "$") -> String? {
    let key = path.split(separator: ".").last.map(String.init) ?? ""
    func close(_ a: Double, _ b: Double) -> Bool { a == b || abs(a - b) <= tolerance * max(a.ulp, b.ulp) }
    switch (lhs, rhs) {
    case (.int(let a), .int(let b)): return a == b ? nil : "\(path): \(a) != \(b)"
    case (.double(let a), .double(let b)): return close(a, b) ? nil : "\(path): \(a) != \(b)"
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
        if strictKinds.contains(key) { return "\(path): int/double kinds differ (\(lhs) vs \(rhs))" }
        return close(Double(a), b) ? nil : "\(path): \(a) != \(b)"
    case (.array(let a), .array(let b)):
        guard a.count == b.count else { return "\(path): \(a.count) items != \(b.count) items" }
        for (index, pair) in zip(a, b).enumerated() {
            if let difference = jsonDifference(pair.0, pair.1, strictKinds: strictKinds, tolerance: tolerance, path: "\(path)[\(index)]") { return difference }
        }
        return nil
    case (.object(let a), .object(let b)):
        let keys = Set(a.keys).symmetricDifference(b.keys)
        guard keys.isEmpty else { return "\(path): members differ: \(keys.sorted())" }
        for name in a.keys.sorted() {
            if let difference = jsonDifference(a[name]!, b[name]!, strictKinds: strictKinds, tolerance: tolerance, path: "\(path).\(name)") { return difference }
        }
        return nil
    default: return lhs == rhs ? nil : "\(path): \(lhs) != \(rhs)"
    }
}

/// How our reading (`ours`) differs from Foundation's (`theirs`), or nil. Exact (number kinds,
/// sign of zero) except for two deviations of Foundation on Linux, where ours is the right one
/// (`DifferentialTests.knownFoundationDeviations`): 19-digit negative integers read as doubles, and decimal
/// fractions up to a few ulps off.
func foundationDifference(_ ours: JSONValue, _ theirs: JSONValue, path: String = "$") -> String? {
    switch (ours, theirs) {
    case (.int(let a), .int(let b)): return a == b ? nil : "\(path): ours \(a), Foundation \(b)"
    case (.int(let a), .double(let b)):
        // Foundation reads negative integers of 19 digits as doubles.
        return a <= -1_000_000_000_000_000_000 && b == Double(a) ? nil : "\(path): ours int \(a), Foundation double \(b)"
    case (.double(let a), .double(let b)):
        if a == b, a.sign == b.sign { return nil }
        if a.isFinite, b.isFinite, a != 0, abs(a - b) <= 4 * a.ulp { return nil }
        return "\(path): ours \(a), Foundation \(b)"
    case (.array(let a), .array(let b)):
        guard a.count == b.count else { return "\(path): \(a.count) items != \(b.count) items" }
        for (index, pair) in zip(a, b).enumerated() {
            if let difference = foundationDifference(pair.0, pair.1, path: "\(path)[\(index)]") { return difference }
        }
        return nil
    case (.object(let a), .object(let b)):
        let keys = Set(a.keys).symmetricDifference(b.keys)
        guard keys.isEmpty else { return "\(path): members differ: \(keys.sorted())" }
        for name in a.keys.sorted() {
            if let difference = foundationDifference(a[name]!, b[name]!, path: "\(path).\(name)") { return difference }
        }
        return nil
    default: return ours == theirs ? nil : "\(path): ours \(ours), Foundation \(theirs)"
    }
}

/// Exact equality including number kinds and the sign of zero.
func identical(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    lhs == rhs && WireDecoders.sameNumberKinds(lhs, rhs)
}

func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
