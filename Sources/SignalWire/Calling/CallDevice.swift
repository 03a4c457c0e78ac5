import RelayWire

/// Something to call: a phone number, a SIP endpoint or a WebRTC endpoint. Used by
/// ``Calling/dial(devices:maxDuration:region:)`` and by ``Call/connect(_:ringback:)``.
///
/// Build one with ``phone(to:from:timeout:maxDuration:)``, ``sip(to:from:fromName:timeout:maxDuration:headers:codecs:webrtcMedia:)``
/// or ``webrtc(to:from:timeout:codecs:)``. For `connect`, a nil `from` or `timeout` takes the
/// call's own.
public struct CallDevice: Sendable, Hashable {
    /// The device type: `phone`, `sip` or `webrtc`.
    public var callType: String
    /// Who to call: an E.164 number (phone), a SIP URI (`sip:alice@example.com`) or a WebRTC address.
    public var to: String
    /// The caller: an E.164 number (phone) or a SIP URI; nil uses the call's own `from` (connect).
    public var from: String?
    /// Seconds to ring before giving up; nil uses the call's own timeout (connect) or Relay's (30 s).
    public var timeout: Int?
    /// Minutes the call may last once answered; nil for no limit.
    public var maxDuration: Int?
    /// The caller's display name (SIP).
    public var fromName: String?
    /// Extra SIP headers to send with the INVITE (SIP; names usually start with `X-`).
    public var headers: [SIPHeader]
    /// Codecs to offer, in order of preference, such as `PCMU`, `PCMA`, `OPUS` (SIP, WebRTC).
    public var codecs: [String]
    /// Whether the SIP endpoint uses WebRTC media (SIP).
    public var webrtcMedia: Bool?

    /// A device of any type, with the members every type has.
    public init(callType: String = "phone", to: String, from: String? = nil, timeout: Int? = nil) {
        self.callType = callType
        self.to = to
        self.from = from
        self.timeout = timeout
        headers = []
        codecs = []
    }

    /// A phone number (`{"type": "phone", "params": {"from_number", "to_number", "timeout"?, "max_duration"?}}`).
    public static func phone(to: String, from: String? = nil, timeout: Int? = nil, maxDuration: Int? = nil) -> CallDevice {
        var device = CallDevice(to: to, from: from, timeout: timeout)
        device.maxDuration = maxDuration
        return device
    }

    /// A SIP endpoint (`{"type": "sip", "params": {"from", "to", "from_name"?, "timeout"?, "max_duration"?, "headers"?, "codecs"?, "webrtc_media"?}}`).
    /// - Parameters:
    ///   - to: the SIP URI to call, such as `sip:alice@example.com`.
    ///   - from: the caller's SIP URI; nil uses the call's own `from` (connect).
    ///   - fromName: the caller's display name.
    ///   - timeout: seconds to ring.
    ///   - maxDuration: minutes the call may last once answered.
    ///   - headers: extra SIP headers for the INVITE.
    ///   - codecs: codecs to offer, such as `["PCMU", "OPUS"]`.
    ///   - webrtcMedia: whether the endpoint uses WebRTC media.
    public static func sip(
        to: String, from: String? = nil, fromName: String? = nil, timeout: Int? = nil, maxDuration: Int? = nil, headers: [SIPHeader] = [],
        codecs: [String] = [], webrtcMedia: Bool? = nil
    ) -> CallDevice {
        var device = CallDevice(callType: DeviceType.sip, to: to, from: from, timeout: timeout)
        device.maxDuration = maxDuration
        device.fromName = fromName
        device.headers = headers
        device.codecs = codecs
        device.webrtcMedia = webrtcMedia
        return device
    }

    /// A WebRTC endpoint (`{"type": "webrtc", "params": {"from", "to", "timeout"?, "codecs"?}}`).
    public static func webrtc(to: String, from: String? = nil, timeout: Int? = nil, codecs: [String] = []) -> CallDevice {
        var device = CallDevice(callType: DeviceType.webrtc, to: to, from: from, timeout: timeout)
        device.codecs = codecs
        return device
    }

    /// The wire device; `from` and `timeout` fall back to the given defaults. A timeout of 0
    /// is left out (Python does the same for phone devices).
    func wire(defaultFrom: String?, defaultTimeout: Int?) -> Device {
        let from = self.from ?? defaultFrom
        let timeout = (self.timeout ?? defaultTimeout).flatMap { $0 == 0 ? nil : $0 }
        switch callType {
        case DeviceType.sip:
            return .sip(
                from: from, to: to, fromName: fromName, timeout: timeout, maxDuration: maxDuration, headers: headers, codecs: codecs,
                webrtcMedia: webrtcMedia)
        case DeviceType.webrtc:
            return .webrtc(from: from, to: to, timeout: timeout, codecs: codecs)
        default:
            var params: [String: JSONValue] = ["to_number": .string(to)]
            if let from { params["from_number"] = .string(from) }
            if let timeout { params["timeout"] = .int(timeout) }
            if let maxDuration { params["max_duration"] = .int(maxDuration) }
            return Device(type: callType, params: params)
        }
    }

    /// Reads a device Relay reported (the legs of a dial).
    init(wire device: Device) {
        self.init(callType: device.type, to: device.to ?? "", from: device.from, timeout: device.timeout)
        maxDuration = device.maxDuration
        fromName = device.fromName
        headers = device.headers
        codecs = device.codecs
        webrtcMedia = device.webrtcMedia
    }
}

/// The device model of `connect`, kept under its first name: the same type as ``CallDevice``.
public typealias ConnectDevice = CallDevice
