import HTTPTypes
import Hummingbird
import NIOCore
import RelayWire

/// The console's page and assets, its push channel (`GET /lab/events`, server-sent events)
/// and the lab endpoints its panels use (phone, clock, world). Documented in docs/SERVER.md.
enum ConsoleRoutes {
    static let endpoints: [String] = [
        "GET / (Accept: text/html) -> the console",
        "GET /lab/events -> text/event-stream of events (calls, messages, tasks, sessions)",
        "GET /lab/info -> {websocket, http, clock, speed, now, projects, sip?}",
        "GET /lab/world -> the simulated world in effect",
        "POST /lab/calls/:id/digits {digits} -> the far end keys DTMF",
        "POST /lab/calls/:id/say {text} -> the far end speaks",
        "POST /lab/calls/:id/hangup -> the far end hangs up",
        "POST /lab/clock/step -> advance to the next timer (manual clock only)",
    ]

    /// Seconds (real time) between SSE comments that keep proxies from closing the stream and
    /// let the server notice a browser that went away.
    static let heartbeat: Duration = .seconds(5)

    static func add(to router: Router<BasicRequestContext>, server: RelayServer) {
        let hub = server.hub

        router.get("/console/app.js") { _, _ -> Response in asset(ConsoleScript.source, type: "text/javascript; charset=utf-8") }
        router.get("/console/app.css") { _, _ -> Response in asset(ConsoleStyle.source, type: "text/css; charset=utf-8") }
        router.get("/console/icon.svg") { _, _ -> Response in asset(ConsolePage.icon, type: "image/svg+xml") }
        router.get("/favicon.ico") { _, _ -> Response in asset(ConsolePage.icon, type: "image/svg+xml") }

        router.get("/lab/events") { _, _ -> Response in
            guard let (recent, stream) = hub.feed.subscribeWithRecent() else {
                return HTTPRoutes.problem(.serviceUnavailable, "too many event subscribers (\(EventFeed.subscriberLimit)); close a console tab")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writeEvents(stream, recent: recent, to: &writer) })
        }

        router.get("/lab/info") { _, _ -> Response in
            var info = JSONObjectBuilder()
            info.set("websocket", server.url)
            info.set("http", server.httpURL)
            info.set("clock", server.clockMode == .manual ? "manual" : "scaled")
            info.set("speed", server.configuration.speed)
            info.set("now", (server.simulatedTime * 1000).rounded() / 1000)
            info.set("projects", server.configuration.projects.map(\.id))
            info.set("lab_token_required", server.configuration.labToken != nil)
            // The SIP edge's UDP address once bound (`--sip HOST:0` picks a free port).
            if let host = server.configuration.sipAddress?.host, let port = server.sipPort { info.set("sip", "\(SIPPeer(host: host, port: port))") }
            if server.clockMode == .manual {
                info.set("pending_timers", server.pendingTimers.count)
                info.set("next_timer", server.pendingTimers.next)
            }
            return HTTPRoutes.json(.ok, info.value)
        }

        router.get("/lab/world") { _, _ -> Response in HTTPRoutes.json(.ok, worldJSON(hub.world)) }

        router.post("/lab/calls/:id/digits") { request, context -> Response in
            await farEnd(request, context, server) { body in
                guard let digits = body["digits"]?.stringValue, !digits.isEmpty, digits.count <= 64,
                    digits.allSatisfy({ "0123456789*#ABCDabcdw".contains($0) })
                else { return nil }
                return .keys(digits.uppercased())
            } missing: {
                "'digits' must be 1-64 of 0-9 * # A-D"
            }
        }
        router.post("/lab/calls/:id/say") { request, context -> Response in
            await farEnd(request, context, server) { body in
                guard let text = body["text"]?.stringValue, !text.isEmpty, text.count <= 500 else { return nil }
                return .says(text)
            } missing: {
                "'text' must be a phrase of 1-500 characters"
            }
        }
        router.post("/lab/calls/:id/hangup") { request, context -> Response in
            await farEnd(request, context, server) { _ in .hangsUp } missing: { "" }
        }

        router.post("/lab/clock/step") { _, _ -> Response in
            guard server.clockMode == .manual else {
                return HTTPRoutes.problem(.conflict, "the clock is scaled real time; start the server with --clock manual to step it")
            }
            guard let next = server.pendingTimers.next else { return HTTPRoutes.json(.ok, LabRoutes.clockJSON(server, fired: 0)) }
            let fired = await server.advanceClock(by: max(0, next - server.simulatedTime))
            return HTTPRoutes.json(.ok, LabRoutes.clockJSON(server, fired: fired))
        }
    }

    static func farEnd(
        _ request: Request, _ context: BasicRequestContext, _ server: RelayServer, _ action: (JSONValue) -> FarEndAction?,
        missing: () -> String
    ) async -> Response {
        let body: JSONValue
        switch await HTTPRoutes.readJSON(request) {
        case .success(let value): body = value
        case .failure(let box): return box.response
        }
        guard let action = action(body) else { return HTTPRoutes.problem(.badRequest, missing()) }
        guard let id = context.parameters.get("id"), await server.call(id: id) != nil else {
            return HTTPRoutes.problem(.notFound, "Call does not exist")
        }
        guard await server.farEnd(action, callID: id) else { return HTTPRoutes.problem(.conflict, "the call is over") }
        return HTTPRoutes.json(.ok, ["ok": true])
    }

    /// Writes the feed as server-sent events until the client goes or the server stops. A
    /// subscriber that fell behind sees a gap in `id` (see ``EventFeed``).
    static func writeEvents(_ events: AsyncStream<ConsoleEvent>, recent: [ConsoleEvent], to writer: inout any ResponseBodyWriter) async throws {
        enum Item: Sendable {
            case event(ConsoleEvent)
            case beat
        }
        // One bounded queue for events and heartbeats; the feed already bounds the events.
        let (items, sink) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingNewest(EventFeed.defaultBufferLimit))
        // What happened before, for the activity list only (`event: replay`; no `id`, so a
        // reconnecting browser's Last-Event-ID stays that of the live events).
        var head = ByteBuffer(string: "retry: 1000\n: relay console events\n\n")
        for event in recent {
            head.writeString("event: replay\ndata: ")
            head.writeBytes(JSONCodec.serialize(event.json))
            head.writeString("\n\n")
        }
        try await writer.write(head)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events { sink.yield(.event(event)) }
                sink.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: heartbeat)
                    sink.yield(.beat)
                }
            }
            defer { group.cancelAll() }
            for await item in items {
                switch item {
                case .beat:
                    try await writer.write(ByteBuffer(string: ": beat\n\n"))
                case .event(let event):
                    var buffer = ByteBuffer(string: "id: \(event.sequence)\ndata: ")
                    buffer.writeBytes(JSONCodec.serialize(event.json))
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                }
            }
            try await writer.finish(nil)
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The console page, with a policy that lets it load nothing from anywhere else.
    static func page() -> Response {
        var response = asset(ConsolePage.html, type: "text/html; charset=utf-8")
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; media-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    static func worldJSON(_ world: SimulatedWorld) -> JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("ring_seconds", world.ringSeconds)
        builder.set("numbers", .object(world.numbers.mapValues(\.json)))
        builder.set("routes", .object(world.routes.mapValues(JSONValue.string)))
        builder.set("scripts", .object(world.scripts.mapValues(\.json)))
        builder.set("default", world.fallback.json)
        var failures: [String: JSONValue] = [:]
        for number in ["+12015550101", "+12015550103", "+12015550110", "+12015550111"] {
            if let failure = world.messageFailure(to: number) { failures[number] = .string(failure.state) }
        }
        builder.set("message_failures", .object(failures))
        return builder.value
    }
}
