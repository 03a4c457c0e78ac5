import InMemoryTracing
import MetricsTestKit
import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Testing
import Tracing

/// swift-metrics series and swift-distributed-tracing spans recorded while real calls run
/// against the local server, with both injected through `RelayConfiguration`.
@Suite("Observability: metrics and tracing", .timeLimit(.minutes(3)))
struct ObservabilityTests {
    @Test func callsAndRequestsAreMeasuredAndTraced() async throws {
        let metrics = TestMetrics()
        let tracer = InMemoryTracer()
        var configuration = testConfiguration()
        configuration.metricsFactory = metrics
        configuration.tracer = tracer
        try await withRelayServer { [configuration] server in
            try await withClient(server, configuration: configuration) { client in
                let call = try await answeredCall(client)
                let play = try await call.playTTS(text: "hello")
                #expect(play.successful)
                #expect(try metrics.expectGauge("signalwire_relay_live_calls").lastValue == 1)
                _ = try await call.hangup()
                // A request Relay refuses counts as a failure of its method.
                await #expect(throws: RelayError.self) {
                    try await client.execute("calling.no_such_method", params: ["node_id": "x", "call_id": "y"])
                }
            }
        }
        // Requests, by method, with a duration each.
        for method in ["calling.begin", "calling.play", "calling.end"] {
            #expect(metrics.counterTotal(label: "signalwire_relay_requests", dimensions: [("method", method)]) == 1, "\(method)")
            #expect(try metrics.expectTimer("signalwire_relay_request_duration", [("method", method)]).values.count == 1)
        }
        #expect(metrics.counterTotal(label: "signalwire_relay_request_failures") >= 1)
        #expect(metrics.counters(label: "signalwire_relay_request_failures").contains {
            $0.dimensions.contains { $0 == ("method", "calling.no_such_method") }
        })
        // Events by type, and the live calls gauge back to zero once the call ended.
        #expect(metrics.counterTotal(label: "signalwire_relay_events", dimensions: [("type", "calling.call.state")]) >= 3)
        #expect(metrics.counterTotal(label: "signalwire_relay_events", dimensions: [("type", "calling.call.play")]) >= 1)
        #expect(try metrics.expectGauge("signalwire_relay_live_calls").lastValue == 0)

        let spans = tracer.finishedSpans
        // One client span per request, with the JSON-RPC attributes.
        let dial = try #require(spans.first { $0.operationName == "calling.begin" && $0.attributes["rpc.method"] != nil })
        #expect(dial.kind == .client)
        #expect(dial.attributes["rpc.system"]?.toSpanAttribute() == "jsonrpc")
        #expect(dial.attributes["rpc.jsonrpc.version"]?.toSpanAttribute() == "2.0")
        let refused = try #require(spans.first { $0.operationName == "calling.no_such_method" })
        #expect(refused.status?.code == .error)
        // A span per call, and a child per action keyed by control_id.
        let call = try #require(spans.first { $0.operationName == "call" })
        #expect(call.attributes["signalwire.call_id"] != nil)
        let action = try #require(spans.first { $0.operationName == "calling.play" && $0.attributes["signalwire.control_id"] != nil })
        #expect(action.parentSpanID == call.spanID)
        #expect(action.traceID == call.traceID)
    }

    @Test func reconnectsAndResumesAreCounted() async throws {
        let metrics = TestMetrics()
        var configuration = testConfiguration()
        configuration.metricsFactory = metrics
        try await withRelayTestServerForMetrics { [configuration] server in
            try await withClient(server.server, configuration: configuration) { client in
                await server.dropSessions()
                _ = try await client.execute(RelayMethod.receive, params: ["contexts": ["office"]])
                #expect(metrics.counterTotal(label: "signalwire_relay_reconnects") >= 1)
                #expect(metrics.counterTotal(label: "signalwire_relay_resumes") >= 1)
            }
        }
    }
}

private func withRelayTestServerForMetrics(_ body: (RelayTestServer) async throws -> Void) async throws {
    try await withRelayTestServer(configure: { $0.resumeGracePeriod = 10 }) { server in try await body(server) }
}
