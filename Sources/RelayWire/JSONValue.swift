/// A JSON document as a value. Integers and floating-point numbers stay distinct so that
/// `6.0` goes back on the wire as `6.0`, exactly as the official SDKs send it.
public enum JSONValue: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without a fraction.
    case int(Int)
    /// A number with a fraction.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])
}

// MARK: - Lenient accessors (network input is never trusted to have the documented type)

extension JSONValue {
    /// The member `key` of an object; nil for other values.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array; nil out of range or for other values.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// Follows a path of object keys, e.g. `value[path: "params", "params", "call_id"]`.
    public subscript(path keys: String...) -> JSONValue? {
        var current: JSONValue? = self
        for key in keys { current = current?[key] }
        return current
    }

    /// Whether this is `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The string, or nil for other values.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Integers, integral doubles and numeric strings (some fixtures send `"1"`) all read as `Int`.
    public var intValue: Int? {
        switch self {
        case .int(let number): return number
        case .double(let number):
            guard number.isFinite, number.rounded() == number, abs(number) < 9.0e15 else { return nil }
            return Int(number)
        case .string(let text): return Int(text)
        default: return nil
        }
    }

    /// Numbers, and strings spelled as finite decimal numbers (`"nan"`, `"inf"` and hex
    /// floats are not numbers on the wire).
    public var doubleValue: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .string(let text):
            guard !text.isEmpty, text.utf8.allSatisfy({ Self.decimalCharacters.contains($0) }), let number = Double(text), number.isFinite
            else { return nil }
            return number
        default: return nil
        }
    }

    private static let decimalCharacters = Set("0123456789.eE+-".utf8)

    /// The boolean, or nil for other values.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The elements, or nil for other values.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members, or nil for other values.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Strings from an array, skipping members that are not strings.
    public var stringArray: [String]? {
        arrayValue?.compactMap(\.stringValue)
    }
}

// MARK: - Literals

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text, keys sorted: `{"job":42}`.
    public var description: String { jsonString }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var members: [String: JSONValue] = [:]
        for (key, value) in elements { members[key] = value }
        self = .object(members)
    }
}

// MARK: - Building objects that omit unset members

/// Builds a JSON object member by member; `nil` values are left out, the way the Python SDK
/// omits options the caller did not give.
package struct JSONObjectBuilder: Sendable {
    package private(set) var members: [String: JSONValue] = [:]
    package init() {}
    package mutating func set(_ key: String, _ value: JSONValue?) {
        if let value { members[key] = value }
    }
    package mutating func set(_ key: String, _ value: String?) { set(key, value.map(JSONValue.string)) }
    package mutating func set(_ key: String, _ value: Int?) { set(key, value.map(JSONValue.int)) }
    package mutating func set(_ key: String, _ value: Double?) { set(key, value.map(JSONValue.double)) }
    package mutating func set(_ key: String, _ value: Bool?) { set(key, value.map(JSONValue.bool)) }
    package mutating func set(_ key: String, _ value: [String]?) {
        set(key, value.map { JSONValue.array($0.map(JSONValue.string)) })
    }
    package var value: JSONValue { .object(members) }
}

// MARK: - Codable bridge (for users who want to move between JSONValue and their own types)

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .int(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}

/// Types with a fixed JSON shape on the Relay wire. One mapping per type, used by both the SDK
/// (to send commands, to read events) and the local server (the reverse).
package protocol JSONRepresentable: Sendable {
    init(json: JSONValue) throws(WireError)
    var json: JSONValue { get }
}

/// Why a frame or a member could not be read.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, naming the member and where it was read.
    public var description: String
    /// An error with this text.
    public init(_ description: String) { self.description = description }

    package static func missing(_ member: String, in context: String) -> WireError {
        WireError("\(context): missing or mistyped member '\(member)'")
    }
}

extension JSONValue {
    /// A required string member, or a `WireError` naming it.
    package func requireString(_ key: String, in context: String) throws(WireError) -> String {
        guard let text = self[key]?.stringValue else { throw .missing(key, in: context) }
        return text
    }

    package func requireObject(_ key: String, in context: String) throws(WireError) -> JSONValue {
        guard let member = self[key], member.objectValue != nil else { throw .missing(key, in: context) }
        return member
    }
}
