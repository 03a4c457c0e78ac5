import Foundation
import HummingbirdWSClient
import Logging
import RelayWire

/// A raw RELAY v3 client over a real WebSocket, for driving the server frame by frame. It
/// acknowledges events and answers server pings unless told not to.
actor V3TestClient {
    private var frames: [JSONValue] = []
    private(set) var closed = false
    private var task: Task<Void, any Error>?
    private let outbound: AsyncStream<String>.Continuation
    private let outboundStream: AsyncStream<String>
    /// Acknowledge every `signalwire.event` at once (as the official client does).
    var acks = true
    /// Answer `signalwire.ping` and `signalwire.disconnect`.
    var answers = true
    private(set) var protocolName = ""
    private(set) var authorizationState: String?
    /// Ids of every event received, in order (redeliveries included).
    private(set) var eventIDs: [String] = []

    init() {
        (outboundStream, outbound) = AsyncStream.makeStream(of: String.self)
    }

    static func connect(_ url: String, path: String = "/", acks: Bool = true) async throws -> V3TestClient {
        let client = V3TestClient()
        await client.setAcks(acks)
        await client.start(url: url + path)
        return client
    }

    func setAcks(_ on: Bool) { acks = on }
    func setAnswers(_ on: Bool) { answers = on }

    private func start(url: String) {
        let stream = outboundStream
        task = Task {
            defer { self.markClosed() }
            try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 24),
                logger: Logger(label: "test.v3client", factory: { _ in SwiftLogNoOpLogHandler() })
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 24) {
                            if case .text(let text) = message { await self.received(text) }
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    private func markClosed() { closed = true }

    private func received(_ text: String) {
        guard let json = try? JSONCodec.parse(text) else { return }
        if let method = json["method"]?.stringValue, let id = json["id"] {
            if method == V3Method.event {
                eventIDs.append(id.stringValue ?? "")
                if acks { send(["jsonrpc": "2.0", "id": id, "result": [:]]) }
                if json[path: "params", "event_type"] == .string(V3EventName.authorizationState) {
                    authorizationState = json[path: "params", "params", "authorization_state"]?.stringValue
                }
            } else if answers, method == V3Method.ping || method == V3Method.disconnect {
                send(["jsonrpc": "2.0", "id": id, "result": [:]])
            }
        }
        frames.append(json)
    }

    func close() { outbound.finish() }

    func sendRaw(_ text: String) { outbound.yield(text) }

    func send(_ frame: JSONValue) { outbound.yield(JSONCodec.string(frame)) }

    /// Waits for (and removes) the first frame matching `predicate`.
    func next(timeout: Double = 20, _ what: String = "frame", where predicate: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = frames.firstIndex(where: predicate) { return frames.remove(at: index) }
            if Date() > deadline { throw TestFailure("timed out waiting for \(what); have \(frames.map { JSONCodec.string($0) })") }
            if closed { throw TestFailure("socket closed while waiting for \(what); have \(frames.map { JSONCodec.string($0) })") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func peek(where predicate: (JSONValue) -> Bool) -> [JSONValue] { frames.filter(predicate) }

    func waitClosed(timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !closed {
            if Date() > deadline { throw TestFailure("socket did not close") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends a request and waits for its response frame.
    func request(_ method: String, _ params: JSONValue, timeout: Double = 20) async throws -> JSONValue {
        let id = UUID().uuidString.lowercased()
        send(["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params])
        return try await next(timeout: timeout, "response to \(method)") { $0["id"] == .string(id) && $0["method"] == nil }
    }

    /// A Relay method sent bare; returns the flat `result`.
    func execute(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let response = try await request(method, params)
        guard let result = response["result"] else { throw TestFailure("no result in \(JSONCodec.string(response))") }
        return result
    }

    /// `signalwire.connect`; returns the whole response. `auth` defaults to project + token.
    @discardableResult
    func connect(
        project: String, token: String, jwt: Bool = false, contexts: [String] = [], resume: String? = nil, authorizationState: String? = nil,
        eventAcks: Bool = true, version: Int = 2
    ) async throws -> JSONValue {
        let authentication: V3Authentication = jwt ? .jwt(token: token, project: nil) : .projectToken(project: project, token: token)
        let params = V3ConnectParams(
            version: .init(major: version, minor: 0, revision: 0), agent: "swift-v3-test", eventAcks: eventAcks, authentication: authentication,
            contexts: contexts, resumeProtocol: resume, authorizationState: authorizationState)
        let response = try await request(V3Method.connect, params.json)
        if let name = response[path: "result", "protocol"]?.stringValue { protocolName = name }
        return response
    }

    /// Waits for a `signalwire.event` whose `event_type` is `type` and whose params match.
    func event(_ type: String, timeout: Double = 20, where predicate: @escaping (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        let frame = try await next(timeout: timeout, "event \(type)") {
            $0["method"] == "signalwire.event" && $0[path: "params", "event_type"]?.stringValue == type && predicate($0[path: "params", "params"] ?? .null)
        }
        return frame[path: "params", "params"] ?? .null
    }

    /// The whole `signalwire.event` frame (with its id) of the next event of `type`.
    func eventFrame(_ type: String, timeout: Double = 20) async throws -> JSONValue {
        try await next(timeout: timeout, "event \(type)") { $0["method"] == "signalwire.event" && $0[path: "params", "event_type"]?.stringValue == type }
    }
}
