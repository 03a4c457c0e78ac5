import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import RelayWire
import Synchronization

/// A WebSocket server that plays a script instead of being Relay: it completes the handshake
/// like Relay, then lets a test send arbitrary (also broken) frames and decide what to answer.
/// For what the real local server must never do: malformed JSON, unknown ids, silence.
final class ScriptedPeer: Sendable {
    typealias Responder = @Sendable (_ frame: JSONValue) -> [String]?

    struct State {
        var port: Int?
        var received: [JSONValue] = []
        var outbound: [Int: WebSocketOutboundWriter] = [:]
        var connections = 0
    }

    let state = Mutex(State())
    /// Decides what to send back for a request after the handshake; `nil` means "say nothing".
    let responder: Responder
    let protocolName = "signalwire_scripted_protocol"

    init(responder: @escaping Responder) {
        self.responder = responder
    }

    var url: String { "ws://127.0.0.1:\(state.withLock { $0.port ?? 0 })" }
    var received: [JSONValue] { state.withLock { $0.received } }
    var connections: Int { state.withLock { $0.connections } }

    /// Sends raw text to every connected client.
    func push(_ text: String) async throws {
        let writers = state.withLock { Array($0.outbound.values) }
        for writer in writers { try await writer.write(.text(text)) }
    }

    /// Closes every connection (the client sees a dropped socket).
    func dropAll() async {
        let writers = state.withLock { Array($0.outbound.values) }
        for writer in writers { try? await writer.close(.goingAway, reason: nil) }
    }

    /// Whether the next `blade.connect` reports a resumed session.
    let restoreSessions = Atomic<Bool>(false)

    /// Sent as a `signalwire.authorization.state` event after each v3 connect result, when set.
    let authorizationState = Mutex<String?>(nil)
    /// Whether `signalwire.connect` is refused with a JSON-RPC error.
    let refuseV3Connect = Atomic<Bool>(false)

    func handshakeReplies(to frame: JSONValue) -> [String]? {
        guard let id = frame["id"]?.stringValue, frame["method"]?.stringValue == V3Method.connect else {
            return handshakeReply(to: frame).map { [$0] }
        }
        if refuseV3Connect.load(ordering: .relaxed) {
            return [BladeFrame.error(id: id, error: BladeError(code: -32002, message: "Authentication failed")).json.jsonString]
        }
        let result = V3ConnectResult(protocolName: protocolName, identity: "scripted", sessionRestored: restoreSessions.load(ordering: .relaxed))
        var replies = [BladeFrame.result(id: id, result: result.json).json.jsonString]
        if let state = authorizationState.withLock({ $0 }) {
            let event = V3EventParams(eventType: V3EventName.authorizationState, params: ["authorization_state": .string(state)])
            replies.append(String(decoding: event.requestBytes(id: "auth-\(UUID().uuidString)"), as: UTF8.self))
        }
        return replies
    }

    func handshakeReply(to frame: JSONValue) -> String? {
        guard let id = frame["id"]?.stringValue, let method = frame["method"]?.stringValue else { return nil }
        switch method {
        case BladeMethod.connect:
            let result: JSONValue = [
                "session_restored": .bool(restoreSessions.load(ordering: .relaxed)), "sessionid": "scripted-session", "nodeid": "node", "master_nodeid": "master",
                "authorization": ["project": "p", "expires_at": nil, "scopes": ["calling"], "signature": "signature"],
            ]
            return BladeFrame.result(id: id, result: result).json.jsonString
        case BladeMethod.execute where frame["params"]?["method"]?.stringValue == RelayMethod.setup:
            return BladeFrame.result(id: id, result: ["result": ["protocol": .string(protocolName)]]).json.jsonString
        case BladeMethod.subscription:
            return BladeFrame.result(id: id, result: ["command": "add", "protocol": .string(protocolName), "subscribe_channels": ["notifications"], "failed_channels": []]).json.jsonString
        default:
            return nil
        }
    }

    func run() async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/") { [self] inbound, outbound, _ in
            let key = state.withLock { state -> Int in
                state.connections += 1
                state.outbound[state.connections] = outbound
                return state.connections
            }
            defer { _ = state.withLock { $0.outbound.removeValue(forKey: key) } }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message, let frame = try? JSONCodec.parse(text) else { continue }
                state.withLock { $0.received.append(frame) }
                let replies = handshakeReplies(to: frame) ?? responder(frame) ?? []
                for reply in replies { try await outbound.write(.text(reply)) }
            }
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { [self] channel in state.withLock { $0.port = channel.localAddress?.port } },
            logger: Logger(label: "scripted-peer", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await app.run()
    }
}

/// Runs a scripted peer for the duration of `body`.
func withScriptedPeer<T: Sendable>(
    responder: @escaping ScriptedPeer.Responder = { frame in
        // Default: answer every request with a Relay success.
        guard let id = frame["id"]?.stringValue else { return nil }
        return [BladeFrame.result(id: id, result: ["result": ["code": "200", "message": "OK"]]).json.jsonString]
    },
    _ body: @Sendable (ScriptedPeer) async throws -> T
) async throws -> T {
    let peer = ScriptedPeer(responder: responder)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await peer.run()
            return nil
        }
        // Generous: the whole suite starts many servers at once on two cores.
        let deadline = ContinuousClock.now + .seconds(60)
        while peer.state.withLock({ $0.port }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        guard peer.state.withLock({ $0.port }) != nil else { throw GoldenError("the scripted peer did not start listening within 60 s") }
        let result = try await body(peer)
        group.cancelAll()
        while let _ = try? await group.next() {}
        return result
    }
}
