import Foundation
import HummingbirdWSClient
import Logging
import RelayWire

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A raw Blade client over a real WebSocket, for driving the server frame by frame.
actor BladeTestClient: TestSocketClient {
    var frames: [JSONValue] = []
    private(set) var rawTexts: [String] = []
    private(set) var closed = false
    private var task: Task<Void, any Error>?
    private let outbound: AsyncStream<String>.Continuation
    private let outboundStream: AsyncStream<String>
    private(set) var protocolName = ""
    private(set) var sessionID = ""

    init() {
        (outboundStream, outbound) = AsyncStream.makeStream(of: String.self)
    }

    static func connect(_ url: String) async throws -> BladeTestClient {
        let client = BladeTestClient()
        await client.start(url: url)
        return client
    }

    private func start(url: String) {
        let stream = outboundStream
        task = Task {
            defer { self.markClosed() }
            try await WebSocketClient.connect(
                url: url + "/", configuration: .init(maxFrameSize: 1 << 24),
                logger: Logger(label: "test.client", factory: { _ in SwiftLogNoOpLogHandler() })
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
        rawTexts.append(text)
        if let json = try? JSONCodec.parse(text) { frames.append(json) }
    }

    func close() {
        outbound.finish()
    }

    func sendRaw(_ text: String) { outbound.yield(text) }

    func send(_ frame: JSONValue) { outbound.yield(JSONCodec.string(frame)) }




    /// `blade.execute` on the negotiated protocol; returns the inner `result.result`.
    func execute(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        let response = try await request("blade.execute", ["protocol": .string(protocolName), "method": .string(method), "params": params])
        guard let inner = response[path: "result", "result"] else { throw TestFailure("no result.result in \(JSONCodec.string(response))") }
        return inner
    }

    /// connect → setup → subscription (→ receive contexts).
    @discardableResult
    func handshake(project: String, token: String, contexts: [String] = [], resume: String? = nil) async throws -> JSONValue {
        var params: JSONValue = [
            "version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": .string(project), "token": .string(token)],
            "agent": "Swift test",
        ]
        if let resume, case .object(var members) = params {
            members["sessionid"] = .string(resume)
            params = .object(members)
        }
        let connect = try await request("blade.connect", params)
        guard let session = connect[path: "result", "sessionid"]?.stringValue else { throw TestFailure("connect failed: \(JSONCodec.string(connect))") }
        sessionID = session
        let setup = try await request("blade.execute", ["protocol": "signalwire", "method": "setup", "params": [:]])
        guard let name = setup[path: "result", "result", "protocol"]?.stringValue else { throw TestFailure("setup failed") }
        protocolName = name
        _ = try await request("blade.subscription", ["command": "add", "protocol": .string(name), "channels": ["notifications"]])
        if !contexts.isEmpty {
            let receive = try await execute("signalwire.receive", ["contexts": .array(contexts.map(JSONValue.string))])
            guard receive["code"] == "200" else { throw TestFailure("receive failed") }
        }
        return connect
    }

    /// Waits for a broadcast whose `event_type` is `type` and whose event params match.
    func event(_ type: String, timeout: Double = 20, where predicate: @escaping (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        let frame = try await next(timeout: timeout, "event \(type)") {
            $0["method"] == "blade.broadcast" && $0[path: "params", "params", "event_type"]?.stringValue == type
                && predicate($0[path: "params", "params", "params"] ?? .null)
        }
        return frame[path: "params", "params", "params"] ?? .null
    }

    /// Broadcast frames received so far with `event` name.
    func broadcasts(event: String) -> [JSONValue] {
        frames.filter { $0["method"] == "blade.broadcast" && $0[path: "params", "event"]?.stringValue == event }
    }
}

/// Minimal HTTP for tests.
enum TestHTTP {
    static func request(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (Int, Data) {
        guard let target = URL(string: url) else { throw TestFailure("bad url") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.httpBody = body
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                }
            }.resume()
        }
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
