// Shared by the fuzz test (Swift Testing) and the libFuzzer harness (Fuzz/, built by
// scripts/fuzz.sh as one module together with Sources/RelayWire, hence the conditional import).
// No Testing, no Foundation: only RelayWire.
#if canImport(RelayWire)
import RelayWire
#endif

/// Feeds one input to every decoder of the wire module: the JSON reader, the Blade frame, the
/// broadcast envelope and every `init(json:)` of the typed command, event and value structs.
/// Anything that decodes is written back (`json`, serialized) and read again. Nothing here may
/// trap; what is counted lets the reliability doc quote how much was exercised.
public enum WireDecoders {
    public struct Tally: Sendable, CustomStringConvertible {
        public var inputs = 0
        public var parsedJSON = 0
        public var frames = 0
        public var broadcasts = 0
        /// Inputs that also went through every typed `init(json:)`.
        public var typedSweeps = 0
        public var typedAttempts = 0
        public var typedDecoded = 0
        public var roundTripMismatches = 0
        /// First few inputs whose serialize → parse round trip did not give the same value back.
        public var mismatchSamples: [String] = []

        public init() {}

        public mutating func add(_ other: Tally) {
            inputs += other.inputs
            parsedJSON += other.parsedJSON
            frames += other.frames
            broadcasts += other.broadcasts
            typedSweeps += other.typedSweeps
            typedAttempts += other.typedAttempts
            typedDecoded += other.typedDecoded
            roundTripMismatches += other.roundTripMismatches
            mismatchSamples += other.mismatchSamples
        }

        public var description: String {
            "inputs \(inputs), valid JSON \(parsedJSON), Blade frames \(frames), broadcasts \(broadcasts), typed sweeps \(typedSweeps) (\(typedAttempts) typed init(json:) calls, \(typedDecoded) decoded), round-trip mismatches \(roundTripMismatches)"
        }
    }

    /// Parses `bytes` and runs the frame decoders over the result; with `typed`, every typed
    /// `init(json:)` too, on every level of the frame.
    public static func feed(_ bytes: [UInt8], typed: Bool = true, into tally: inout Tally) {
        tally.inputs += 1
        guard let value = try? JSONCodec.parse(bytes) else { return }
        tally.parsedJSON += 1
        checkRoundTrip(value, into: &tally)
        decodeAll(value, typed: typed, into: &tally)
    }

    /// Raw-buffer entry point used by the libFuzzer harness (no copy).
    public static func feed(_ buffer: UnsafeRawBufferPointer, into tally: inout Tally) {
        tally.inputs += 1
        guard let value = try? JSONCodec.parse(buffer) else { return }
        tally.parsedJSON += 1
        checkRoundTrip(value, into: &tally)
        decodeAll(value, into: &tally)
    }

    /// `parse(serialize(v)) == v` for every value without non-finite doubles (those are written
    /// as `null`, by design).
    static func checkRoundTrip(_ value: JSONValue, into tally: inout Tally) {
        guard allFinite(value) else { return }
        // The wire form (unsorted members), as frames are sent.
        let text = JSONCodec.serialize(value, sortedKeys: false)
        let again = try? JSONCodec.parse(text)
        if again != value || !sameNumberKinds(again ?? .null, value) {
            tally.roundTripMismatches += 1
            if tally.mismatchSamples.count < 5 {
                tally.mismatchSamples.append(String(decoding: text.prefix(300), as: UTF8.self))
            }
        }
    }

    public static func allFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let number): number.isFinite
        case .array(let items): items.allSatisfy(allFinite)
        case .object(let members): members.values.allSatisfy(allFinite)
        default: true
        }
    }

    /// `==` on `JSONValue` already separates `.int(6)` from `.double(6)`; this also separates
    /// `-0.0` from `0.0`, which `Double ==` does not.
    public static func sameNumberKinds(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.double(let a), .double(let b)): return a.sign == b.sign || a.isNaN || b.isNaN
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { sameNumberKinds($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, item in b[key].map { sameNumberKinds(item, $0) } ?? false }
        default: return true
        }
    }

    static func decodeAll(_ value: JSONValue, typed: Bool = true, into tally: inout Tally) {
        // Every typed decoder runs on each level below the frame: its params (broadcast
        // envelope or execute), the notification / inner params, the event params. Inputs that
        // are not frames are tried at their top level too.
        var candidates: [JSONValue] = []
        if let frame = try? BladeFrame(json: value) {
            tally.frames += 1
            _ = frame.id
            touch(frame.json)
            switch frame {
            case .request(_, _, let params):
                candidates.append(params)
                if let broadcast = try? BroadcastParams(json: params) {
                    tally.broadcasts += 1
                    touch(broadcast.json)
                    _ = broadcast.eventType
                    candidates.append(broadcast.notification)
                    candidates.append(broadcast.eventParams)
                } else if let inner = params["params"] {
                    candidates.append(inner)
                }
            case .result(_, let result):
                _ = RelayResult.isSuccess(result)
                _ = RelayResult.inner(result)
                candidates.append(result)
            case .error(_, let error):
                _ = error.description
                touch(error.json)
            }
        } else {
            candidates.append(value)
            if let params = value["params"] {
                candidates.append(params)
                if let inner = params["params"] { candidates.append(inner) }
            }
        }
        guard typed else { return }
        tally.typedSweeps += 1
        for candidate in candidates { decodeTyped(candidate, into: &tally) }
    }

    static func decodeTyped(_ json: JSONValue, into tally: inout Tally) {
        // Commands.
        run(BeginCommand.self, json, &tally)
        run(CallCommand.self, json, &tally)
        run(EndCommand.self, json, &tally)
        run(ConnectCommand.self, json, &tally)
        run(PlayCommand.self, json, &tally)
        run(PlayAndCollectCommand.self, json, &tally)
        run(RecordCommand.self, json, &tally)
        run(DetectCommand.self, json, &tally)
        run(SendFaxCommand.self, json, &tally)
        run(SendDigitsCommand.self, json, &tally)
        run(TapCommand.self, json, &tally)
        run(ComponentControlCommand.self, json, &tally)
        run(ReceiveCommand.self, json, &tally)
        run(MessagingSendCommand.self, json, &tally)
        // Values inside commands and events.
        run(Device.self, json, &tally)
        run(Media.self, json, &tally)
        run(CollectOptions.self, json, &tally)
        run(RecordOptions.self, json, &tally)
        run(DetectOptions.self, json, &tally)
        run(TapDevice.self, json, &tally)
        // Events.
        run(CallStateEvent.self, json, &tally)
        run(ConnectEvent.self, json, &tally)
        run(MessageEvent.self, json, &tally)
        run(TaskNotification.self, json, &tally)
        // Every calling event type through the one enum both ends use, then the notification
        // around it (calling, messaging, tasks).
        for eventType in eventTypes {
            tally.typedAttempts += 1
            guard let event = try? CallingEvent(eventType: eventType, params: json) else { continue }
            tally.typedDecoded += 1
            _ = event.callID
            _ = event.controlID
            let written = event.params
            touch(written)
            _ = try? CallingEvent(eventType: event.eventType, params: written)
        }
        for event in [RelayEventName.calling, RelayEventName.messaging, RelayEventName.tasks] {
            tally.typedAttempts += 1
            guard let notification = try? RelayNotification(event: event, notification: json) else { continue }
            tally.typedDecoded += 1
            let written = notification.json(protocolName: "p", projectID: "project", spaceID: "space", timestamp: 0)
            touch(written)
            _ = try? RelayNotification(event: notification.event, notification: written)
        }
        // Non-throwing readers and helpers.
        let address = CallAddress(json: json)
        touch(.object(address.members))
        if let peer = PeerInfo(json: json) { touch(peer.json) }
        touch(CollectResult(json: json).json)
        touch(BladeError(json: json).json)
        tally.typedAttempts += 2
        if let groups = try? DeviceGroups.parse(json["devices"] ?? json) {
            tally.typedDecoded += 1
            touch(DeviceGroups.json(groups))
        }
        if let media = try? Media.list(json["play"] ?? json, in: "fuzz") {
            tally.typedDecoded += 1
            for item in media { touch(item.encoded(floatDurations: false)) }
        }
        if let digits = json["digits"]?.stringValue { _ = SendDigitsCommand.firstInvalidCharacter(in: digits) }
        // The lenient accessors on every member.
        if let members = json.objectValue {
            for (_, member) in members {
                _ = member.intValue
                _ = member.doubleValue
                _ = member.boolValue
                _ = member.stringArray
                _ = member[0]
                _ = member[path: "params", "params"]
            }
        }
    }

    /// Every `event_type` `CallingEvent` models. (An unmodelled one is kept as `.other` without
    /// reading anything: nothing to fuzz there, and `RelayNotification` below reaches it.)
    static let eventTypes = [
        RelayEventName.callState, RelayEventName.callReceive, RelayEventName.callConnect, RelayEventName.callPlay,
        RelayEventName.callCollect, RelayEventName.callRecord, RelayEventName.callDetect, RelayEventName.callFax,
        RelayEventName.callTap, RelayEventName.callSendDigits,
    ]

    /// Decodes, writes back, decodes what was written.
    static func run<T: JSONRepresentable>(_ type: T.Type, _ json: JSONValue, _ tally: inout Tally) {
        tally.typedAttempts += 1
        guard let decoded = try? T(json: json) else { return }
        tally.typedDecoded += 1
        let written = decoded.json
        touch(written)
        // What we write we must be able to read back.
        _ = try? T(json: written)
    }

    /// Serializes a value (exercises the writer on whatever came out of a decoder).
    static func touch(_ value: JSONValue) {
        _ = JSONCodec.serialize(value, sortedKeys: false)
    }
}
