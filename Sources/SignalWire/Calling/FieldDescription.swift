/// `TypeName(field: value, …)` for results, events and messages: optionals unwrapped, nils
/// left out, JSON written as JSON, so `print(result)` reads like the value it is.
protocol FieldDescribed: CustomStringConvertible {}

extension FieldDescribed {
    /// The type's name and its non-nil fields.
    public var description: String {
        let fields = Mirror(reflecting: self).children.compactMap { child -> String? in
            guard let label = child.label, let value = Self.unwrap(child.value) else { return nil }
            let text = value is String ? "\"\(value)\"" : "\(value)"
            return "\(label): \(text)"
        }
        return "\(Self.self)(\(fields.joined(separator: ", ")))"
    }

    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map(\.value).flatMap(unwrap)
    }
}

extension DialResult: FieldDescribed {}
extension AnswerResult: FieldDescribed {}
extension HangupResult: FieldDescribed {}
extension ConnectResult: FieldDescribed {}
extension DisconnectResult: FieldDescribed {}
extension PlayResult: FieldDescribed {}
extension PromptResult: FieldDescribed {}
extension RecordResult: FieldDescribed {}
extension DetectResult: FieldDescribed {}
extension FaxResult: FieldDescribed {}
extension SendDigitsResult: FieldDescribed {}
extension TapResult: FieldDescribed {}
extension StopResult: FieldDescribed {}
extension PlayPauseResult: FieldDescribed {}
extension PlayResumeResult: FieldDescribed {}
extension PlayVolumeResult: FieldDescribed {}
extension PromptVolumeResult: FieldDescribed {}
extension Message: FieldDescribed {}
extension SendResult: FieldDescribed {}
