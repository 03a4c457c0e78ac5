import ArgumentParser
import Foundation
import SignalWire

/// The consumer behind `relay serve --sip` in the SIP benchmark (Benchmarks/run.sh): answers
/// every inbound call on `context` and keeps it up until the caller (SIPp) hangs up, printing
/// a status line every `interval` seconds (`answered=… ended=… live=… failed=…`) until killed,
/// so the script can tell how many calls are live while it measures.
struct SIPConsumer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sip-consumer")
    @OptionGroup var connection: Connection
    @Option(help: "Context to receive calls on.") var context = "bench"
    @Option(help: "Seconds between status lines.") var interval = 0.5

    func run() async throws {
        let client = try connection.client()
        try await client.connect()
        let answered = Counter()
        let ended = Counter()
        let failed = Counter()
        let (calls, inbox) = AsyncStream.makeStream(of: Call.self, bufferingPolicy: .unbounded)
        try await client.calling.receive(contexts: [context]) { inbox.yield($0) }
        print("ready")
        flushStandardOutput()
        let every = Duration.seconds(interval)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: every)
                    let (a, e) = (answered.value, ended.value)
                    print("answered=\(a) ended=\(e) live=\(a - e) failed=\(failed.value)")
                    flushStandardOutput()
                }
            }
            for await call in calls {
                group.addTask(executorPreference: client.executor) {
                    do {
                        guard try await call.answer().successful else { _ = failed.increment(); return }
                    } catch {
                        _ = failed.increment()
                        return
                    }
                    _ = answered.increment()
                    // Counted once, whether the end comes before or after the listener is added.
                    let counted = Locked(false)
                    let countEnd: @Sendable () -> Void = {
                        if counted.withLock({ done in defer { done = true }; return !done }) { _ = ended.increment() }
                    }
                    call.on(.stateChange) { event in if event.state == "ended" { countEnd() } }
                    if call.ended { countEnd() }
                }
            }
        }
    }
}
