import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RelayWire

/// The HTTP side of the port: the Relay tasks endpoint, the lab API and generated files.
enum HTTPRoutes {
    static let bodyLimit = 1 << 20

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONCodec.serialize(value))))
    }

    static func problem(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        json(status, ["error": .string(reason), "status": .int(status.code)])
    }

    /// Reads a JSON object body, or returns the 400 response to send.
    static func readJSON(_ request: Request) async -> Result<JSONValue, ResponseBox> {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: bodyLimit)
        } catch {
            return .failure(ResponseBox(problem(.contentTooLarge, "request body exceeds \(bodyLimit) bytes")))
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty { return .success(.object([:])) }
        do {
            let value = try JSONCodec.parse(bytes)
            guard value.objectValue != nil else { return .failure(ResponseBox(problem(.badRequest, "body must be a JSON object"))) }
            return .success(value)
        } catch {
            return .failure(ResponseBox(problem(.badRequest, "body is not valid JSON: \(error.description)")))
        }
    }

    struct ResponseBox: Error { let response: Response; init(_ response: Response) { self.response = response } }

    static func build(server: RelayServer) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // First: routes take the middleware added before them.
        router.add(middleware: LabGuard(configuration: server.configuration))
        let hub = server.hub

        router.get("/") { request, _ -> Response in
            if request.headers[.accept]?.contains("text/html") == true { return ConsoleRoutes.page() }
            return json(
                .ok,
                [
                    "service": "SignalWire Relay v2 local server",
                    "websocket": .string(server.url ?? ""),
                    "lab": "/lab",
                    "tasks": "/api/relay/rest/tasks",
                ])
        }

        // MARK: Tasks (Basic auth project:token)
        router.post("/api/relay/rest/tasks") { request, _ -> Response in
            guard let project = await authenticate(request, hub: hub) else {
                // No WWW-Authenticate challenge: some HTTP clients (URLSession on Linux) stall on it.
                return problem(.unauthorized, "invalid project or token (use HTTP Basic auth project:token)")
            }
            let body: JSONValue
            switch await readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            guard let context = body["context"]?.stringValue, !context.isEmpty else {
                return problem(.badRequest, "missing 'context' (string)")
            }
            guard let message = body["message"] else { return problem(.badRequest, "missing 'message' (any JSON value)") }
            do {
                _ = try await hub.deliverTask(project: project, context: context, message: message)
                return Response(status: .noContent)
            } catch {
                return problem(.notFound, "\(error)")
            }
        }

        // MARK: Files
        router.get("/files/recordings/:name") { _, context -> Response in
            await file(hub: hub, path: "recordings/\(context.parameters.get("name") ?? "")")
        }
        router.get("/files/faxes/:name") { _, context -> Response in
            await file(hub: hub, path: "faxes/\(context.parameters.get("name") ?? "")")
        }

        LabRoutes.add(to: router, server: server)
        ConsoleRoutes.add(to: router, server: server)
        return router
    }

    static func file(hub: RelayHub, path: String) async -> Response {
        guard let file = await hub.file(named: path) else { return problem(.notFound, "no such file '\(path)'") }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static func authenticate(_ request: Request, hub: RelayHub) async -> RelayProject? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("basic ") else { return nil }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return await hub.project(id: String(text[..<colon]), token: String(text[text.index(after: colon)...]))
    }
}
