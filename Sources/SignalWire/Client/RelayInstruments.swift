import CoreMetrics
import Synchronization
import Tracing

/// The client's swift-metrics series and swift-distributed-tracing spans, all in one place.
///
/// Metric names (dimensions in brackets):
/// - `signalwire_relay_request_duration` timer [method]
/// - `signalwire_relay_requests` counter [method]
/// - `signalwire_relay_request_failures` counter [method, code] (the `RelayError` code)
/// - `signalwire_relay_request_timeouts` counter [method]
/// - `signalwire_relay_reconnects`, `signalwire_relay_resumes` counters
/// - `signalwire_relay_events` counter [type] (`event_type`, such as `calling.call.state`)
/// - `signalwire_relay_events_dropped` counter [reason] (`duplicate`, `malformed`, `other_protocol`)
/// - `signalwire_relay_live_calls` gauge
///
/// Instruments are made once per method or type and reused; a client sees a few dozen
/// methods, and event types beyond `maximumTypes` share the series `other`, so a peer cannot
/// grow the number of series without bound.
final class RelayInstruments: Sendable {
    static let maximumTypes = 64

    let factory: any MetricsFactory
    let tracer: any Tracer
    let reconnects: Counter
    let resumes: Counter
    let liveCalls: Gauge

    struct RequestInstruments: Sendable {
        let duration: Timer
        let count: Counter
    }

    private let requests = Mutex<[String: RequestInstruments]>([:])
    private let failures = Mutex<[String: Counter]>([:])
    private let events = Mutex<[String: Counter]>([:])

    init(factory: (any MetricsFactory)?, tracer: (any Tracer)?) {
        let factory = factory ?? MetricsSystem.factory
        self.factory = factory
        self.tracer = tracer ?? InstrumentationSystem.tracer
        reconnects = Counter(label: "signalwire_relay_reconnects", factory: factory)
        resumes = Counter(label: "signalwire_relay_resumes", factory: factory)
        liveCalls = Gauge(label: "signalwire_relay_live_calls", factory: factory)
    }

    func request(_ method: String) -> RequestInstruments {
        requests.withLock { cache in
            if let known = cache[method] { return known }
            let made = RequestInstruments(
                duration: Timer(label: "signalwire_relay_request_duration", dimensions: [("method", method)], factory: factory),
                count: Counter(label: "signalwire_relay_requests", dimensions: [("method", method)], factory: factory))
            if cache.count < 4 * Self.maximumTypes { cache[method] = made }
            return made
        }
    }

    func failed(_ method: String, _ error: any Error) {
        let code = (error as? RelayError)?.code.description ?? (error is CancellationError ? "cancelled" : "other")
        counter(in: failures, key: "\(method) \(code)") {
            Counter(label: "signalwire_relay_request_failures", dimensions: [("method", method), ("code", code)], factory: factory)
        }.increment()
        if code == RelayError.Code.timeout.description {
            counter(in: failures, key: "\(method) timeout-count") {
                Counter(label: "signalwire_relay_request_timeouts", dimensions: [("method", method)], factory: factory)
            }.increment()
        }
    }

    func event(_ type: String) {
        counter(in: events, key: type) {
            Counter(label: "signalwire_relay_events", dimensions: [("type", type)], factory: factory)
        }.increment()
    }

    func dropped(_ reason: String) {
        counter(in: events, key: "dropped \(reason)") {
            Counter(label: "signalwire_relay_events_dropped", dimensions: [("reason", reason)], factory: factory)
        }.increment()
    }

    /// A cached counter; past the bound, the series `other` of the same label.
    private func counter(in cache: borrowing Mutex<[String: Counter]>, key: String, make: () -> Counter) -> Counter {
        cache.withLock { cache in
            if let known = cache[key] { return known }
            if cache.count >= 4 * Self.maximumTypes {
                if let other = cache["other"] { return other }
                let other = Counter(label: "signalwire_relay_events", dimensions: [("type", "other")], factory: factory)
                cache["other"] = other
                return other
            }
            let made = make()
            cache[key] = made
            return made
        }
    }
}
