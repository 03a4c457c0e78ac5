import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SignalWire
import Synchronization

/// `relay-bench`: the Swift side of the benchmarks (see Benchmarks/run.sh and
/// docs/PERFORMANCE.md). Each measuring command prints its figures and, with `--json`, writes
/// them to a file for the comparison with the Python SDK.
@main
struct RelayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay-bench",
        abstract: "Benchmarks of the Swift Relay SDK.",
        subcommands: [
            Floor.self, RoundTrip.self, CallFlow.self, Inject.self, Memory.self, ServerLoad.self, ObservabilityCost.self, SIPConsumer.self,
        ])
}

struct Connection: ParsableArguments {
    @Option(help: "Relay URL (ws://host:port).") var url: String
    @Option(help: "Project id.") var project = "local-project"
    @Option(help: "API token.") var token = "local-token"
    @Option(help: "Write the figures as JSON to this file.") var json: String?
    @Option(help: "Wire generation: v2 (Blade) or v3 (RELAY signalwire.connect).") var wire = "v2"

    func validate() throws {
        guard WireGeneration(name: wire) != nil else { throw ValidationError("--wire must be v2 or v3") }
    }

    func client() throws -> RelayClient {
        var configuration = RelayConfiguration()
        configuration.executeTimeout = .seconds(60)
        configuration.wireGeneration = WireGeneration(name: wire) ?? .bladeV2
        return try RelayClient(
            project: project, token: token, host: url, configuration: configuration,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func write(_ figures: [String: JSONValue]) throws {
        var all = figures
        all["sdk"] = "swift"
        all["wire"] = .string(wire)
        let text = JSONValue.object(all).jsonString
        print(text)
        if let json { try text.write(toFile: json, atomically: true, encoding: .utf8) }
    }
}

/// Runs the plain-NIO floor responder until killed.
struct Floor: AsyncParsableCommand {
    @Option var host = "127.0.0.1"
    @Option var port = 0

    func run() async throws {
        try await FloorResponder.run(host: host, port: port) { port in
            print("floor listening on ws://127.0.0.1:\(port)")
            flushStandardOutput()
        }
    }
}

/// Request/response latency of `blade.execute`, sequential or with many in flight.
struct RoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rtt")
    @OptionGroup var connection: Connection
    @Option(help: "Timed requests after warm-up.") var samples = 20_000
    @Option(help: "Untimed warm-up requests.") var warmup = 2_000
    @Option(help: "Requests in flight at once.") var inflight = 1
    @Option(help: "Label written with the figures.") var label = "rtt"
    @Flag(help: "Run the request loops on the connection's event loop (client.executor).") var onLoop = false

    func run() async throws {
        let client = try connection.client()
        try await client.connect()
        let workers = max(1, inflight)
        let trips = try await ReceiveRoundTrips.run(client, count: samples, warmup: warmup, workers: workers, executor: onLoop ? client.executor : nil)
        await client.disconnect()
        let sorted = trips.latencies
        try connection.write([
            "benchmark": .string(label), "inflight": .int(workers), "samples": .int(sorted.count),
            "p50_us": .double(percentile(sorted, 0.50)), "p99_us": .double(percentile(sorted, 0.99)),
            "p999_us": .double(percentile(sorted, 0.999)), "requests_per_second": .double(trips.rate.rounded()),
            "on_event_loop": .bool(onLoop),
        ])
    }
}

/// A consumer that answers each inbound call, plays a short TTS and hangs up; reports
/// completed calls per second once `count` calls are done.
struct CallFlow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calls")
    @OptionGroup var connection: Connection
    @Option(help: "Calls to complete.") var count = 2_000
    @Option(help: "Context to receive calls on.") var context = "bench"

    func run() async throws {
        let client = try connection.client()
        try await client.connect()
        let done = Counter()
        let firstCall = Locked<ContinuousClock.Instant?>(nil)
        let (calls, inbox) = AsyncStream.makeStream(of: Call.self)
        try await client.calling.receive(contexts: [context]) { inbox.yield($0) }
        print("ready")
        flushStandardOutput()
        let target = count
        try await withThrowingDiscardingTaskGroup { group in
            for await call in calls {
                firstCall.withLock { if $0 == nil { $0 = .now } }
                group.addTask(executorPreference: client.executor) {
                    _ = try await call.answer()
                    _ = try await call.playTTS(text: "Hi")
                    _ = try await call.hangup()
                    // The last call ends the intake loop.
                    if done.increment() == target { inbox.finish() }
                }
            }
        }
        let elapsed = ContinuousClock.now - (firstCall.withLock { $0 } ?? .now)
        await client.disconnect()
        try connection.write([
            "benchmark": "call_flow", "calls": .int(target), "seconds": .double(elapsed.seconds),
            "calls_per_second": .double((Double(target) / elapsed.seconds * 10).rounded() / 10),
        ])
    }
}

/// Injects inbound calls through the lab API as fast as the server takes them.
struct Inject: AsyncParsableCommand {
    @Option(help: "Server HTTP URL.") var http: String
    @Option var count = 2_000
    @Option var context = "bench"
    @Option(help: "Concurrent injections.") var concurrency = 16
    @Option(help: "Simulated seconds each call rings unanswered before the server ends it (scaled by --speed; the server's default of 30 is 30 ms at --speed 1000).")
    var ringTimeout = 86_400.0

    func run() async throws {
        let body = JSONValue.object([
            "context": .string(context), "from": "+12015550100", "to": "+12025550000", "ring_timeout": .double(ringTimeout),
        ]).jsonString
        let perWorker = (count + concurrency - 1) / concurrency
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    for _ in 0..<perWorker {
                        var request = HTTPClientRequest(url: http + "/lab/calls")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: body))
                        // A pooled connection the server closed fails one request; retry it rather
                        // than abandon the rest of the injection (the consumer would wait forever).
                        for attempt in 1...3 {
                            do {
                                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                                _ = try await response.body.collect(upTo: 1 << 20)
                                guard response.status == .created else { throw InjectError(status: response.status.code) }
                                break
                            } catch {
                                FileHandle.standardError.write(Data("inject: attempt \(attempt): \(error)\n".utf8))
                                if attempt == 3 { throw error }
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        print("injected \(perWorker * concurrency) calls")
    }
}

struct InjectError: Error { let status: UInt }

/// Resident memory of a client holding many live answered calls.
struct Memory: AsyncParsableCommand {
    @OptionGroup var connection: Connection
    @Option(help: "Live calls to hold.") var calls = 1_000
    @Option(help: "Dials in flight at once.") var concurrency = 100

    func run() async throws {
        let client = try connection.client()
        try await client.connect()
        // Warm the code paths so the baseline includes them.
        let warm = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
        _ = try await warm.call.hangup()
        let baseline = residentBytes()
        let live = try await answeredCalls(client, count: calls, concurrency: concurrency).count
        let after = residentBytes()
        let perCall = live > 0 ? Double(after - baseline) / Double(live) : 0
        try connection.write([
            "benchmark": "memory", "calls": .int(live), "baseline_bytes": .int(baseline), "resident_bytes": .int(after),
            "bytes_per_call": .double(perCall.rounded()),
        ])
        await client.disconnect()
    }
}

/// Drives the server alone: many live calls, each playing short media in a loop, and counts
/// the events the server emits per second.
struct ServerLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server-load")
    @OptionGroup var connection: Connection
    @Option(help: "Live calls to hold.") var calls = 2_000
    @Option(help: "Seconds to keep the calls playing.") var seconds = 5.0
    @Option var concurrency = 100
    @Option(help: "The server's pid: reports its CPU time per event during the play phase.") var serverPID: Int?

    func run() async throws {
        let client = try connection.client()
        try await client.connect()
        let live = try await answeredCalls(client, count: calls, concurrency: concurrency)
        let serverCPUBefore = serverPID.flatMap { processCPUSeconds(pid: $0) }
        let ownCPUBefore = processCPUSeconds(pid: Int(getpid()))
        let events = Counter()
        for call in live { call.on(.playStateChange) { _ in _ = events.increment() } }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        try await withThrowingDiscardingTaskGroup { group in
            for call in live {
                group.addTask(executorPreference: client.executor) {
                    while ContinuousClock.now < deadline {
                        _ = try await call.playSilence(duration: 0.5)
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let count = events.value
        var figures: [String: JSONValue] = [
            "benchmark": "server_load", "live_calls": .int(live.count),
            "play_events_per_second": .double((Double(count) / elapsed.seconds).rounded()),
        ]
        if let before = serverCPUBefore, let after = serverPID.flatMap({ processCPUSeconds(pid: $0) }), count > 0 {
            figures["server_cpu_us_per_event"] = .double(((after - before) / Double(count) * 1e7).rounded() / 10)
            figures["server_cores"] = .double(((after - before) / elapsed.seconds * 100).rounded() / 100)
        }
        if let before = ownCPUBefore, let after = processCPUSeconds(pid: Int(getpid())), count > 0 {
            figures["driver_cpu_us_per_event"] = .double(((after - before) / Double(count) * 1e7).rounded() / 10)
        }
        try connection.write(figures)
        await client.disconnect()
    }
}

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() -> Int { count.wrappingAdd(1, ordering: .relaxed).newValue }
    var value: Int { count.load(ordering: .relaxed) }
}

func percentile(_ sorted: [Int64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
    return (Double(sorted[index]) / 100).rounded() / 10
}

/// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
func processCPUSeconds(pid: Int) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = text.range(of: ") ", options: .backwards)
    else { return nil }
    // Fields after the command name start at field 3 (state): utime and stime are fields 14 and 15.
    let fields = text[afterName.upperBound...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
    var nanoseconds: Double { seconds * 1e9 }
}

/// Scripts wait for the "listening"/"ready" line, so it must not sit in a buffer.
func flushStandardOutput() {
    try? FileHandle.standardOutput.synchronize()
    fflush(nil)
}

/// A lock around a value, shareable with child tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// Dials `count` calls to the simulated human (`concurrency` dials at a time) and returns the
/// answered ones, still live.
func answeredCalls(_ client: RelayClient, count: Int, concurrency: Int) async throws -> [Call] {
    let held = Locked<[Call]>([])
    let perWorker = (count + concurrency - 1) / concurrency
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency {
            group.addTask(executorPreference: client.executor) {
                for _ in 0..<perWorker {
                    let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                    if dial.successful { held.withLock { $0.append(dial.call) } }
                }
            }
        }
        try await group.waitForAll()
    }
    return held.withLock { $0 }
}
