import Hummingbird
import RelayWire

/// The lab API: JSON over HTTP under `/lab`, documented in docs/SERVER.md.
enum LabRoutes {
    static let index: JSONValue = [
        "endpoints": [
            "POST /lab/calls {from, to, context?, script?, ring_timeout?, project?} -> 201 call",
            "GET /lab/calls -> calls with timelines (and sip_media counters for SIP calls)",
            "GET /lab/calls/:id -> one call with its timeline (and sip_media counters for a SIP call)",
            "GET /lab/calls/:id/timeline -> {call_id, state, timeline}",
            "GET /lab/tasks -> tasks delivered (or refused)",
            "POST /lab/messages {from, to, context?, body, media?, tags?, project?} -> 201 message",
            "GET /lab/messages?direction=outbound|inbound -> messages",
            "POST /lab/tasks {context, message, project?} -> 204",
            "GET /lab/sessions -> sessions",
            "GET /lab/sessions/:id/journal -> frames",
            "POST /lab/faults {session?, answer_pings?, event_delay_ms?, duplicate_events?} -> 200",
            "POST /lab/faults/drop {session?} -> 200 {dropped}",
            "POST /lab/faults/restart -> 200",
            "POST /lab/faults/disconnect {session?, restart?} -> 200 {disconnected}",
            "POST /lab/faults/clear -> 200",
            "GET /lab/clock -> {mode, now, pending_timers, next_timer}",
            "POST /lab/clock/advance {seconds} -> 200 {now, fired} (manual clock only)",
        ]
    ]

    /// A call as the lab API shows it: with `sip_media` when a SIP call is behind it.
    static func callJSON(_ call: CallSnapshot, _ server: RelayServer) -> JSONValue {
        guard let media = server.sipMediaCounters(callID: call.id), case .object(var members) = call.json else { return call.json }
        members["sip_media"] = media.json
        return .object(members)
    }

    static func add(to router: Router<BasicRequestContext>, server: RelayServer) {
        let hub = server.hub
        router.get("/lab") { _, _ -> Response in HTTPRoutes.json(.ok, index) }

        router.post("/lab/calls") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            var script = PartyBehavior.human
            if body["script"] == nil {
                // Script members may also sit at the top level: {"from", "context", "digits": "1234#"}.
                do {
                    script = try PartyBehavior(json: body)
                } catch {
                    return HTTPRoutes.problem(.badRequest, "bad script: \(error)")
                }
            }
            if let scriptJSON = body["script"] {
                if let name = scriptJSON.stringValue {
                    guard let named = await server.script(named: name) else {
                        return HTTPRoutes.problem(.badRequest, "unknown script '\(name)' (define it under \"scripts\" in the world file)")
                    }
                    script = named
                } else {
                    do {
                        script = try PartyBehavior(json: scriptJSON)
                    } catch {
                        return HTTPRoutes.problem(.badRequest, "bad script: \(error)")
                    }
                }
            }
            guard let from = body["from"]?.stringValue ?? Optional("+12015550199"), let to = body["to"]?.stringValue ?? Optional("+12015550000")
            else { return HTTPRoutes.problem(.badRequest, "bad from/to") }
            do {
                let call = try await server.injectCall(
                    from: from, to: to, context: body["context"]?.stringValue, script: script, project: body["project"]?.stringValue,
                    ringTimeout: body["ring_timeout"]?.doubleValue ?? body["timeout"]?.doubleValue ?? 30)
                return HTTPRoutes.json(.created, call.json)
            } catch {
                return HTTPRoutes.problem(.badRequest, "\(error)")
            }
        }

        router.get("/lab/calls") { request, _ -> Response in
            let calls = await server.calls(project: request.uri.queryParameters.get("project"))
            return HTTPRoutes.json(.ok, ["calls": .array(calls.map { callJSON($0, server) })])
        }

        router.get("/lab/calls/:id") { _, context -> Response in
            guard let id = context.parameters.get("id"), let call = await server.call(id: id) else {
                return HTTPRoutes.problem(.notFound, "Call does not exist")
            }
            return HTTPRoutes.json(.ok, callJSON(call, server))
        }

        router.get("/lab/calls/:id/timeline") { _, context -> Response in
            guard let id = context.parameters.get("id"), let call = await server.call(id: id) else {
                return HTTPRoutes.problem(.notFound, "Call does not exist")
            }
            return HTTPRoutes.json(
                .ok, ["call_id": .string(id), "state": .string(call.state.rawValue), "timeline": .array(call.timeline.map(\.json))])
        }

        router.get("/lab/tasks") { _, _ -> Response in
            HTTPRoutes.json(.ok, ["tasks": .array(await server.tasks().map(\.json))])
        }

        router.post("/lab/messages") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            guard let from = body["from"]?.stringValue ?? body["from_number"]?.stringValue,
                let to = body["to"]?.stringValue ?? body["to_number"]?.stringValue
            else { return HTTPRoutes.problem(.badRequest, "missing 'from' or 'to'") }
            let text = body["body"]?.stringValue ?? ""
            let media = body["media"]?.stringArray ?? []
            guard !text.isEmpty || !media.isEmpty else { return HTTPRoutes.problem(.badRequest, "a message needs 'body' or 'media'") }
            do {
                let message = try await server.injectMessage(
                    from: from, to: to, context: body["context"]?.stringValue, body: text, media: media, tags: body["tags"]?.stringArray ?? [],
                    project: body["project"]?.stringValue)
                return HTTPRoutes.json(.created, message.json)
            } catch let error as DeliveryError {
                return HTTPRoutes.problem(.notFound, error.description)
            } catch {
                return HTTPRoutes.problem(.badRequest, "\(error)")
            }
        }

        router.get("/lab/messages") { request, _ -> Response in
            let messages = await server.messages(
                direction: request.uri.queryParameters.get("direction"), project: request.uri.queryParameters.get("project"))
            return HTTPRoutes.json(.ok, ["messages": .array(messages.map(\.json))])
        }

        router.post("/lab/tasks") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            guard let context = body["context"]?.stringValue else { return HTTPRoutes.problem(.badRequest, "missing 'context' (string)") }
            guard let message = body["message"] else { return HTTPRoutes.problem(.badRequest, "missing 'message'") }
            do {
                try await server.deliverTask(context: context, message: message, project: body["project"]?.stringValue)
                return Response(status: .noContent)
            } catch {
                return HTTPRoutes.problem(.notFound, "\(error)")
            }
        }

        router.get("/lab/sessions") { _, _ -> Response in
            HTTPRoutes.json(.ok, ["sessions": .array(await server.sessions().map(\.json))])
        }

        router.get("/lab/sessions/:id/journal") { _, context -> Response in
            guard let id = context.parameters.get("id"), let journal = await server.journal(sessionID: id) else {
                return HTTPRoutes.problem(.notFound, "unknown session")
            }
            return HTTPRoutes.json(.ok, ["session": .string(id), "frames": .array(journal.map(\.json))])
        }

        router.post("/lab/faults") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            let faults = SessionFaults(
                answerPings: body["answer_pings"]?.boolValue ?? true,
                eventDelay: (body["event_delay_ms"]?.doubleValue ?? 0) / 1000,
                duplicateEvents: body["duplicate_events"]?.boolValue ?? false)
            do {
                try await server.setFaults(faults, sessionID: body["session"]?.stringValue)
            } catch {
                return HTTPRoutes.problem(.notFound, "\(error)")
            }
            return HTTPRoutes.json(.ok, ["ok": true])
        }

        router.post("/lab/faults/drop") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            let dropped = await hub.dropSessions(sessionID: body["session"]?.stringValue)
            return HTTPRoutes.json(.ok, ["dropped": .int(dropped)])
        }

        router.post("/lab/faults/disconnect") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            let told = await server.disconnect(sessionID: body["session"]?.stringValue, restart: body["restart"]?.boolValue ?? false)
            return HTTPRoutes.json(.ok, ["disconnected": .int(told)])
        }

        router.post("/lab/faults/restart") { _, _ -> Response in
            await server.restart()
            return HTTPRoutes.json(.ok, ["ok": true])
        }

        router.post("/lab/faults/clear") { _, _ -> Response in
            await server.clearFaults()
            return HTTPRoutes.json(.ok, ["ok": true])
        }

        router.get("/lab/clock") { _, _ -> Response in
            HTTPRoutes.json(.ok, clockJSON(server, fired: nil))
        }

        router.post("/lab/clock/advance") { request, _ -> Response in
            let body: JSONValue
            switch await HTTPRoutes.readJSON(request) {
            case .success(let value): body = value
            case .failure(let box): return box.response
            }
            guard server.clockMode == .manual else {
                return HTTPRoutes.problem(.conflict, "the clock is scaled real time; start the server with --clock manual to advance it")
            }
            guard let seconds = body["seconds"]?.doubleValue, seconds >= 0, seconds <= SimulationClock.longestDuration else {
                return HTTPRoutes.problem(.badRequest, "'seconds' must be a number of simulated seconds ≥ 0")
            }
            let fired = await server.advanceClock(by: seconds)
            return HTTPRoutes.json(.ok, clockJSON(server, fired: fired))
        }
    }

    static func clockJSON(_ server: RelayServer, fired: Int?) -> JSONValue {
        var members = JSONObjectBuilder()
        let pending = server.pendingTimers
        members.set("mode", server.clockMode == .manual ? "manual" : "scaled")
        members.set("now", (server.simulatedTime * 1000).rounded() / 1000)
        if server.clockMode == .manual {
            members.set("pending_timers", pending.count)
            members.set("next_timer", pending.next)
        }
        members.set("fired", fired)
        return members.value
    }
}
