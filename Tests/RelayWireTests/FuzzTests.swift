import Foundation
import RelayWire
import Testing

/// Seeded fuzzing of every decoder of the wire module (the client's and the server's frame
/// decoders both go through these). Reproducible: fixed seeds, fixed count. The default
/// (16,000 mutated inputs, every one through every decoder) is sized to stay under 20 s
/// in a debug build even on 2 busy shared cores (~240 µs of CPU per input in debug: ~2 s idle,
/// ~13 s at load 6). Override with
/// `RELAYWIRE_FUZZ_COUNT` / `RELAYWIRE_FUZZ_SEED` for longer runs; the libFuzzer target
/// (`scripts/fuzz.sh`) is the open-ended one.
@Suite("Fuzz")
struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let count = environment["RELAYWIRE_FUZZ_COUNT"].flatMap(Int.init) ?? 16_000
    static let typedEvery = environment["RELAYWIRE_FUZZ_TYPED_EVERY"].flatMap(Int.init) ?? 1
    static let seed = environment["RELAYWIRE_FUZZ_SEED"].flatMap { UInt64($0, radix: 16) } ?? 0x5EED_F00D_CAFE_0001

    @Test func seedsAreTheFixtureFrames() throws {
        let seeds = try Fixtures.seedFrames()
        #expect(seeds.count > 500, "only \(seeds.count) frames found under \(Fixtures.root.path)")
        // Every seed frame decodes as a Blade frame: a clean starting point.
        // Every seed that is a JSON-RPC frame decodes as a Blade frame (the two task bodies of
        // the HTTP tasks endpoint are not frames).
        var frames = 0
        for seed in seeds {
            let value = try JSONCodec.parse(seed)
            guard value["jsonrpc"] != nil else { continue }
            frames += 1
            #expect(throws: Never.self) { try BladeFrame(json: value) }
        }
        #expect(frames >= seeds.count - 10)
    }

    /// Mutated inputs per shard; shards run in parallel, each with its own fixed seed.
    static let shards = 2

    @Test func mutatedFramesNeverCrashAnyDecoder() async throws {
        let seeds = try Fixtures.seedFrames()
        try #require(!seeds.isEmpty)
        let clock = ContinuousClock()
        let started = clock.now
        let perShard = (Self.count + Self.shards - 1) / Self.shards
        let tally = await withTaskGroup(of: WireDecoders.Tally.self) { group in
            for shard in 0..<Self.shards {
                group.addTask {
                    var mutator = Mutator(seed: Self.seed &+ UInt64(shard), seeds: seeds)
                    var tally = WireDecoders.Tally()
                    // The seeds themselves first, unmutated (once).
                    if shard == 0 { for seed in seeds { WireDecoders.feed(seed, into: &tally) } }
                    // Every input goes through the reader, the serialize → parse round trip, the
                    // Blade frame, the broadcast envelope and (every `typedEvery`-th valid one,
                    // by default all) every typed init(json:) on every level of the frame.
                    for index in 0..<perShard {
                        WireDecoders.feed(mutator.next(), typed: index % Self.typedEvery == 0, into: &tally)
                    }
                    return tally
                }
            }
            var total = WireDecoders.Tally()
            for await part in group { total.add(part) }
            return total
        }
        let elapsed = clock.now - started
        print("RelayWire fuzz (seed \(String(Self.seed, radix: 16)), \(Self.shards) shards, \(seeds.count) fixture frames as seeds): \(tally) in \(elapsed)")
        #expect(tally.inputs == perShard * Self.shards + seeds.count)
        // The corpus must reach past the reader: plenty of valid JSON and Blade frames.
        #expect(tally.parsedJSON > tally.inputs / 5)
        #expect(tally.frames > tally.inputs / 10)
        #expect(tally.broadcasts > tally.inputs / 50)
        #expect(tally.roundTripMismatches == 0, "serialize → parse changed values, e.g. \(tally.mismatchSamples)")
    }

    /// The same corpus, judged against Foundation: whatever both parsers accept must read the
    /// same; whatever only ours accepts must be one of the documented leniencies.
    @Test func mutatedFramesAgreeWithFoundation() throws {
        let seeds = try Fixtures.seedFrames()
        var mutator = Mutator(seed: Self.seed ^ 0xD1FF, seeds: seeds)
        var tried = 0, bothAccept = 0, onlyOurs = 0, onlyFoundation = 0, bothReject = 0
        var disagreements: [String] = []
        var unexplained: [String] = []
        for _ in 0..<10_000 {
            let bytes = mutator.next()
            tried += 1
            let ours = try? JSONCodec.parse(bytes)
            let theirs = try? Reference.parse(bytes)
            switch (ours, theirs) {
            case (let ours?, let theirs?):
                bothAccept += 1
                if let difference = foundationDifference(ours, theirs), disagreements.count < 5 {
                    disagreements.append("\(String(decoding: bytes.prefix(200), as: UTF8.self)): \(difference)")
                }
            case (.some(let value), nil):
                onlyOurs += 1
                // Known: raw bytes that are not UTF-8 are repaired to U+FFFD, not rejected.
                if String(validating: bytes, as: UTF8.self) != nil, WireDecoders.allFinite(value), unexplained.count < 5 {
                    unexplained.append(String(decoding: bytes.prefix(200), as: UTF8.self))
                }
            case (nil, .some):
                onlyFoundation += 1  // Foundation is laxer (e.g. trailing commas): fine.
            case (nil, nil): bothReject += 1
            }
        }
        print("RelayWire differential fuzz vs JSONSerialization: \(tried) inputs, both accept \(bothAccept), both reject \(bothReject), only ours \(onlyOurs), only Foundation \(onlyFoundation)")
        #expect(disagreements.isEmpty, "\(disagreements)")
        #expect(unexplained.isEmpty, "accepted by us only, valid UTF-8, finite: \(unexplained)")
    }
}
