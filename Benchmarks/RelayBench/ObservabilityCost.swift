import ArgumentParser
import Foundation
import InMemoryTracing
import Logging
import MetricsTestKit
import SignalWire

/// The cost of metrics and tracing: the same round trips with nothing bound (the global no-op
/// factory and tracer) and with an in-memory metrics backend and tracer bound, by two clients
/// running at the same time in one process against one server, so both see the same machine.
struct ObservabilityCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "observability")
    @OptionGroup var connection: Connection
    @Option(help: "Timed sequential requests per pass.") var samples = 5_000
    @Option(help: "Requests per pass at 64 in flight.") var burst = 20_000
    @Option(help: "Untimed warm-up requests per pass.") var warmup = 500
    @Option(help: "Rounds, each running both clients at once.") var rounds = 5

    func run() async throws {
        var unbound = Passes()
        var bound = Passes()
        for round in 0..<rounds {
            // Both clients run at the same time, one unbound and one bound, so a busy machine
            // slows both alike; each pass takes the medians of its own requests.
            let plain = try await makeClient(observed: false)
            let observed = try await makeClient(observed: true)
            async let plainP50 = roundTrips(plain, count: samples, warmup: warmup, inflight: 1).p50
            async let observedP50 = roundTrips(observed, count: samples, warmup: warmup, inflight: 1).p50
            let p50s = try await (plainP50, observedP50)
            async let plainRate = roundTrips(plain, count: burst, warmup: warmup, inflight: 64).rate
            async let observedRate = roundTrips(observed, count: burst, warmup: warmup, inflight: 64).rate
            let rates = try await (plainRate, observedRate)
            await plain.disconnect()
            await observed.disconnect()
            unbound.add(p50: p50s.0, rate: rates.0)
            bound.add(p50: p50s.1, rate: rates.1)
            print("round \(round + 1): p50 \(p50s.0) µs unbound, \(p50s.1) µs bound; at 64 in flight \(Int(rates.0)) req/s unbound, \(Int(rates.1)) bound")
            flushStandardOutput()
        }
        let p50Overhead = (bound.p50 / unbound.p50 - 1) * 100
        let rateOverhead = (1 - bound.rate / unbound.rate) * 100
        try connection.write([
            "benchmark": "observability", "rounds": .int(rounds), "samples": .int(samples), "burst": .int(burst),
            "unbound_p50_us": .double(unbound.p50), "bound_p50_us": .double(bound.p50),
            "p50_overhead_percent": .double((p50Overhead * 10).rounded() / 10),
            "unbound_rps_64": .double(unbound.rate.rounded()), "bound_rps_64": .double(bound.rate.rounded()),
            "rps_overhead_percent": .double((rateOverhead * 10).rounded() / 10),
            "p50_overhead_percent_per_round": .array(zip(unbound.p50s, bound.p50s).map { .double((($1 / $0 - 1) * 1000).rounded() / 10) }),
            "rps_overhead_percent_per_round": .array(zip(unbound.rates, bound.rates).map { .double(((1 - $1 / $0) * 1000).rounded() / 10) }),
        ])
    }

    private func makeClient(observed: Bool) async throws -> RelayClient {
        var configuration = RelayConfiguration()
        configuration.executeTimeout = .seconds(60)
        if observed {
            configuration.metricsFactory = TestMetrics()
            configuration.tracer = InMemoryTracer()
        }
        let client = try RelayClient(
            project: connection.project, token: connection.token, host: connection.url, configuration: configuration,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await client.connect()
        return client
    }

    /// Medians over the passes of one side.
    struct Passes {
        var p50s: [Double] = []
        var rates: [Double] = []
        mutating func add(p50: Double, rate: Double) {
            p50s.append(p50)
            rates.append(rate)
        }
        var p50: Double { median(p50s) }
        var rate: Double { median(rates) }
        private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    }

    private func roundTrips(_ client: RelayClient, count: Int, warmup: Int, inflight: Int) async throws -> (p50: Double, rate: Double) {
        let trips = try await ReceiveRoundTrips.run(client, count: count, warmup: warmup, workers: inflight, executor: client.executor)
        return (percentile(trips.latencies, 0.5), trips.rate)
    }
}
