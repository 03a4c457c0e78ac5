import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RelayWire
import Synchronization

/// The tasking API of a client (`Relay.Tasking`): receives tasks delivered to contexts.
public final class Tasking: Sendable {
    let session: Session
    let logger: Logger
    private let handlers = Mutex<[String: @Sendable (JSONValue) -> Void]>([:])

    init(session: Session, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Calls `handler` with the `message` of every task delivered to `contexts`.
    public func receive(contexts: [String], handler: @escaping @Sendable (JSONValue) -> Void) async throws {
        setHandler(contexts: contexts, handler)
        try await session.client?.receive(contexts: contexts)
    }

    func setHandler(contexts: [String], _ handler: @escaping @Sendable (JSONValue) -> Void) {
        handlers.withLock { for context in contexts { $0[context] = handler } }
    }

    /// Routes one task, decoded once by the session (on the event loop).
    func handle(_ task: TaskNotification) {
        handlers.withLock { $0[task.context] }?(task.message)
    }
}

/// Hands a job to your consumers from a short-lived process (`Relay.Task`), over HTTPS.
///
/// ```swift
/// let task = RelayTask(project: project, token: token)
/// let delivered = try await task.deliver(context: "office", message: ["uuid": "unique id"])
/// ```
public struct RelayTask: Sendable {
    /// The project that receives the task.
    public let project: String
    /// The host tasks are posted to.
    public let host: String
    private let token: String
    private let httpClient: HTTPClient

    /// A sender of tasks for one project.
    /// - Parameters:
    ///   - project: the project ID.
    ///   - token: the project's API token (sent as HTTP basic authentication).
    ///   - host: `relay.signalwire.com` (default) posts to `https://HOST/api/relay/rest/tasks`;
    ///     an `http://` or `https://` URL (e.g. the local server) is used as the base.
    ///   - httpClient: the AsyncHTTPClient client to post with.
    public init(project: String, token: String, host: String = SignalWireSDK.defaultHost, httpClient: HTTPClient = .shared) {
        self.project = project
        self.token = token
        self.host = host
        self.httpClient = httpClient
    }

    var url: String {
        var base = host
        if base.hasPrefix("ws://") { base = "http://" + base.dropFirst(5) }
        if base.hasPrefix("wss://") { base = "https://" + base.dropFirst(6) }
        if !base.hasPrefix("http://") && !base.hasPrefix("https://") { base = "https://" + base }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/relay/rest/tasks"
    }

    /// Posts `{context, message}`; true when Relay accepted the task (HTTP 204).
    /// - Throws: when Relay cannot be reached at all.
    public func deliver(context: String, message: JSONValue) async throws -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        let credentials = Data("\(project):\(token)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: JSONValue = ["context": .string(context), "message": message]
        request.body = .bytes(ByteBuffer(bytes: JSONCodec.serialize(body)))
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return response.status == .noContent
    }
}
