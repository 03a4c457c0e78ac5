import RelayWire
import SignalWire

/// `signalwire.receive` round trips from `workers` concurrent tasks: `warmup` untimed, then
/// `count` timed, split evenly between the workers.
struct ReceiveRoundTrips {
    /// Latency of each timed round trip, in nanoseconds, sorted.
    var latencies: [Int64]
    /// Round trips per second over the whole run, warm-up included (it is in the wall time).
    var rate: Double

    static func run(_ client: RelayClient, count: Int, warmup: Int, workers: Int, executor: (any TaskExecutor)?) async throws -> ReceiveRoundTrips {
        let params: JSONValue = ["contexts": ["bench"]]
        let workers = max(1, workers)
        let perWorker = (count + workers - 1) / workers
        let warmupPerWorker = (warmup + workers - 1) / workers
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<workers {
                group.addTask(executorPreference: executor) {
                    for _ in 0..<warmupPerWorker { _ = try await client.execute(RelayMethod.receive, params: params) }
                    var timings = [Int64]()
                    timings.reserveCapacity(perWorker)
                    for _ in 0..<perWorker {
                        let start = ContinuousClock.now
                        _ = try await client.execute(RelayMethod.receive, params: params)
                        timings.append(Int64((ContinuousClock.now - start).nanoseconds))
                    }
                    return timings
                }
            }
            var all: [Int64] = []
            for try await timings in group { all += timings }
            return all
        }
        let elapsed = ContinuousClock.now - started
        let total = Double(latencies.count + warmupPerWorker * workers)
        return ReceiveRoundTrips(latencies: latencies.sorted(), rate: total / elapsed.seconds)
    }
}
