import Foundation
import RelayWire
import Testing

/// Frames recorded from the official Python SDK 2.1.1 (`../shared/protocol/captured`, copied
/// into `Tests/Fixtures/captured`). They judge our frames: same method, same members, same
/// nesting and JSON types.
enum Golden {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func scenario(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("captured/\(name).json"))
        return try JSONCodec.parse([UInt8](data))
    }

    /// Inner params of the `index`-th `blade.execute` of `method` the Python SDK sent.
    static func command(_ scenario: String, method: String, index: Int = 0) throws -> JSONValue {
        let frames = try Self.scenario(scenario)["frames"]?.arrayValue ?? []
        let matches = frames.compactMap { frame -> JSONValue? in
            guard frame["dir"]?.stringValue == "client->server", let json = frame["json"],
                json["params"]?["method"]?.stringValue == method
            else { return nil }
            return json["params"]?["params"]
        }
        guard matches.indices.contains(index) else {
            throw GoldenError("scenario \(scenario) has no \(method) #\(index)")
        }
        return matches[index]
    }

    /// The first client → server frame with this Blade method (e.g. `blade.connect`).
    static func frame(_ scenario: String, bladeMethod: String) throws -> JSONValue {
        let frames = try Self.scenario(scenario)["frames"]?.arrayValue ?? []
        guard let frame = frames.first(where: { $0["dir"]?.stringValue == "client->server" && $0["json"]?["method"]?.stringValue == bladeMethod })?["json"]
        else { throw GoldenError("scenario \(scenario) has no \(bladeMethod)") }
        return frame
    }

    /// Members whose values are per-run ids: only presence and type are compared.
    static let volatileKeys: Set<String> = ["id", "node_id", "call_id", "control_id", "tag", "protocol", "token", "project", "agent", "authorization_state"]

    /// Members the Python SDK coerces with `float()`: their type must match exactly. Other
    /// numbers are whatever the Python caller typed, so they compare by value.
    static let floatKeys: Set<String> = ["volume"]

    /// Differences between our frame and the golden one, as readable paths (empty = match).
    static func differences(ours: JSONValue, golden: JSONValue, path: String = "$", key: String? = nil) -> [String] {
        switch (ours, golden) {
        case (.object(let a), .object(let b)):
            var problems: [String] = []
            for name in Set(a.keys).union(b.keys).sorted() {
                switch (a[name], b[name]) {
                case (nil, _?): problems.append("\(path).\(name): missing in ours")
                case (_?, nil): problems.append("\(path).\(name): not sent by Python")
                case (let x?, let y?): problems += differences(ours: x, golden: y, path: "\(path).\(name)", key: name)
                default: break
                }
            }
            return problems
        case (.array(var a), .array(var b)):
            if key == "contexts" {
                // Python sends a set difference: its order is not stable.
                a.sort { $0.jsonString < $1.jsonString }
                b.sort { $0.jsonString < $1.jsonString }
            }
            guard a.count == b.count else { return ["\(path): \(a.count) items, Python sent \(b.count)"] }
            return zip(a, b).enumerated().flatMap { differences(ours: $1.0, golden: $1.1, path: "\(path)[\($0)]", key: key) }
        case (.int, .double), (.double, .int):
            if let key, floatKeys.contains(key) { return ["\(path): number type differs (ours \(ours.jsonString), Python \(golden.jsonString))"] }
            return ours.doubleValue == golden.doubleValue ? [] : ["\(path): \(ours.jsonString) ≠ \(golden.jsonString)"]
        case (.string, .string), (.int, .int), (.double, .double), (.bool, .bool), (.null, .null):
            if let key, volatileKeys.contains(key) { return [] }
            return ours == golden ? [] : ["\(path): \(ours.jsonString) ≠ \(golden.jsonString)"]
        case (.null, .string), (.string, .null):
            // Ids Python did not know yet are null; ours may already know them.
            if let key, volatileKeys.contains(key) { return [] }
            return ["\(path): \(ours.jsonString) ≠ \(golden.jsonString)"]
        default:
            return ["\(path): type differs (ours \(ours.jsonString), Python \(golden.jsonString))"]
        }
    }

    /// Expects `ours` to match the golden frame.
    static func expectMatch(_ ours: JSONValue?, _ golden: JSONValue, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let ours else {
            Issue.record("no frame sent for \(comment)", sourceLocation: sourceLocation)
            return
        }
        let problems = differences(ours: ours, golden: golden)
        #expect(problems.isEmpty, "\(comment): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}

struct GoldenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
