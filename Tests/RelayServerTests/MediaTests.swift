import Foundation
import Synchronization
import Testing

@testable import RelayServer

/// The audio pieces of the SIP edge: WAV, resampling, tones, recorders, speech, and two RTP
/// sessions talking over loopback.
@Suite struct MediaTests {
    @Test func wavRoundTripsAndReadsOtherRatesChannelsAndCodecs() throws {
        let samples: [Int16] = (0..<800).map { Int16(truncatingIfNeeded: $0 * 37) }
        #expect(try WAVFile.read(WAVFile.bytes(samples)).samples == samples)
        // Stereo at 16 kHz: channels averaged, then halved in length.
        let stereo = WAVFile.bytes([Int16](repeating: 1000, count: 1600), right: [Int16](repeating: 3000, count: 1600))
        var header = stereo
        header.replaceSubrange(24..<28, with: [0x80, 0x3E, 0, 0])  // 16,000 Hz
        let resampled = try WAVFile.read(header)
        #expect(abs(resampled.samples.count - 800) <= 1, "\(resampled.samples.count)")
        #expect(resampled.samples.dropFirst(4).allSatisfy { abs(Int($0) - 2000) <= 1 })
        // A-law (format 6), 8-bit.
        var alaw = WAVFile.bytes([])
        alaw.replaceSubrange(20..<22, with: [6, 0])
        alaw.replaceSubrange(34..<36, with: [8, 0])
        alaw.replaceSubrange(40..<44, with: [2, 0, 0, 0])
        alaw += [G711.aLaw(5000), G711.aLaw(-5000)]
        #expect(try WAVFile.read(alaw).samples.map { abs(Int($0)) > 4000 } == [true, true])
        #expect(throws: WAVFile.ReadError.notWAV) { try WAVFile.read(Array("hello".utf8)) }
        var wide = WAVFile.bytes([1, 2])
        wide.replaceSubrange(34..<36, with: [24, 0])
        #expect(throws: WAVFile.ReadError.unsupported("format 1, 24 bits")) { try WAVFile.read(wide) }
    }

    @Test func mangledWAVsNeverCrash() {
        var random = SplitMix(seed: 11)
        let valid = WAVFile.bytes((0..<400).map { Int16($0) })
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int(random.next() % 8 + 1) { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
            bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            _ = try? WAVFile.read(bytes)
        }
    }

    @Test func recorderLaysTheCallerOutByTimestampAndMixesBothWays() {
        var listen = CallRecorder(direction: .listen, stereo: false)
        listen.received([Int16](repeating: 100, count: 160), timestamp: 1000)
        listen.received([Int16](repeating: 200, count: 160), timestamp: 1000 + 480)  // two packets lost
        listen.received([Int16](repeating: 300, count: 160), timestamp: 1000 - 160)  // older than the first: left out
        #expect(listen.received.count == 640)
        #expect(listen.received[160..<480].allSatisfy { $0 == 0 } && listen.received[480] == 200)
        #expect(listen.wav().seconds == 0.08)

        var both = CallRecorder(direction: .both, stereo: false)
        both.sent([Int16](repeating: 10, count: 160))
        both.received([Int16](repeating: 5, count: 160), timestamp: 7)
        both.sent([Int16](repeating: 10, count: 160))
        // The caller's first packet lines up with what we had sent when it came.
        let mixed = try? WAVFile.read(both.wav().bytes)
        #expect(mixed?.samples.prefix(160).allSatisfy { $0 == 10 } == true)
        #expect(mixed?.samples[160..<320].allSatisfy { $0 == 15 } == true)
        var stereo = CallRecorder(direction: .both, stereo: true)
        stereo.sent([1, 2])
        #expect(stereo.wav().bytes[22] == 2, "two channels")
    }

    @Test func tonesFollowTheirCadence() {
        let us = ToneGenerator.ringtone(Ringtones.cadence("us")!, seconds: 6)
        #expect(us.samples.count == 48000)
        #expect(AudioClip(samples: Array(us.samples[0..<16000])).rms > 1000)
        #expect(us.samples[16000..<48000].allSatisfy { $0 == 0 })
        #expect(ToneGenerator.dtmf("12w").samples.count == 2 * 1200 + 4000)
        #expect(ToneGenerator.dtmf("x").samples.isEmpty)
    }

    @Test func sendStatisticsMeasurePacing() {
        var even = RTPSendStatistics()
        for index in 0..<100 { even.record(sentAt: Double(index) * 0.02, nominal: 0.02) }
        #expect(abs(even.meanIntervalMilliseconds - 20) < 0.001 && even.jitter < 1e-9 && even.packets == 100)
        var late = RTPSendStatistics()
        for index in 0..<100 { late.record(sentAt: Double(index) * 0.02 + (index == 50 ? 0.01 : 0), nominal: 0.02) }
        #expect(abs(late.maxDeviation - 0.01) < 1e-9)
    }

    @Test func rendererSpeaksMakesTonesAndFetchesNothingFromOutside() async throws {
        let recorded = WAVFile.bytes([Int16](repeating: 700, count: 4000))
        let renderer = MediaRenderer(serverFile: { name in name == "recordings/a.wav" ? .recording(wav: recorded) : nil })
        let speech = try await renderer.render([.tts(text: "Hello from the local Relay server")])
        #expect(speech.seconds > 1 && speech.rms > 300, "espeak-ng speaks (scripts/sip-deps.sh installs it): \(speech.seconds) s")
        let mixed = try await renderer.render([.silence(duration: 0.5), .audio(url: "http://127.0.0.1:9/files/recordings/a.wav"), .ringtone(name: "uk", duration: 1)])
        #expect(mixed.samples.count == 4000 + 4000 + 8000)
        await #expect(throws: MediaRenderer.Failure.self) { try await renderer.render([.silence(duration: 1), .audio(url: "https://example.com/a.wav")]) }
        do {
            _ = try await renderer.render([.audio(url: "https://example.com/a.wav")])
        } catch {
            #expect(error.index == 0 && error.reason.contains("not fetched"), "\(error)")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("media-\(UUID().uuidString).wav")
        try Data(recorded).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try await renderer.render([.audio(url: "file://" + file.path)]).samples.count == 4000)
    }

    @Test func silenceEndsARecordingOfTheCaller() async throws {
        let caller = try await RTPSession.open(host: "127.0.0.1")
        let callee = try await RTPSession.open(host: "127.0.0.1")
        defer {
            caller.stop()
            callee.stop()
        }
        caller.start(remote: SIPPeer(host: "127.0.0.1", port: callee.port), codec: .pcma, telephoneEvent: nil) { _ in }
        callee.start(remote: SIPPeer(host: "127.0.0.1", port: caller.port), codec: .pcma, telephoneEvent: nil) { _ in }
        let (outcomes, inbox) = AsyncStream.makeStream(of: Bool.self)
        // Nobody speaks: no input after 0.3 s.
        callee.startRecording("quiet", direction: .listen, stereo: false, silence: .init(initialTimeout: 0.3, endSilenceTimeout: 0.3)) { inbox.yield($0) }
        var iterator = outcomes.makeAsyncIterator()
        #expect(await iterator.next() == false)
        // Half a second of tone, then silence: the recording ends after 0.3 s of it, with the tone in it.
        callee.startRecording("spoken", direction: .listen, stereo: false, silence: .init(initialTimeout: 5, endSilenceTimeout: 0.3)) { inbox.yield($0) }
        caller.play("tone") {}
        caller.supply("tone", clip: ToneGenerator.ringtone(Ringtones.cadence("us")!, seconds: 0.5), volume: 0)
        #expect(await iterator.next() == true)
        let recording = try #require(callee.finishRecording("spoken"))
        #expect(AudioClip(samples: recording.received).rms > 1000)
    }

    @Test func rtpSocketsTakeEvenPortsOfTheConfiguredRangeAndSayWhenNoneIsLeft() async throws {
        var port = try SIPEdgeTests.freeUDPPort()
        while port % 2 != 0 { port = try SIPEdgeTests.freeUDPPort() }
        let range = port...(port + 1)
        let first = try await RTPSession.open(host: "127.0.0.1", ports: range)
        defer { first.stop() }
        #expect(first.port == port)
        await #expect(throws: RTPSession.NoFreePort.self) { try await RTPSession.open(host: "127.0.0.1", ports: range) }
    }

    @Test func twoSessionsCarryAudioAndKeysOverLoopback() async throws {
        let caller = try await RTPSession.open(host: "127.0.0.1")
        let callee = try await RTPSession.open(host: "127.0.0.1")
        defer {
            caller.stop()
            callee.stop()
        }
        let (keys, keyInbox) = AsyncStream.makeStream(of: Character.self)
        caller.start(remote: SIPPeer(host: "127.0.0.1", port: callee.port), codec: .pcmu, telephoneEvent: 101) { _ in }
        callee.start(remote: SIPPeer(host: "127.0.0.1", port: caller.port), codec: .pcmu, telephoneEvent: 101) { keyInbox.yield($0) }
        callee.startRecording("r", direction: .listen, stereo: false)
        // Half a second of tone, then two keys as RFC 4733 events.
        let (done, doneInbox) = AsyncStream.makeStream(of: String.self)
        caller.play("p") { doneInbox.yield("played") }
        caller.supply("p", clip: ToneGenerator.ringtone(Ringtones.cadence("us")!, seconds: 0.5), volume: 0)
        var doneIterator = done.makeAsyncIterator()
        #expect(await doneIterator.next() == "played")
        // Measured where it arrives (RFC 3550's receiver estimator, before RFC 4733 events,
        // whose timestamps stand still): paced, not bursts. The 2 ms figure of issue 11 is
        // checked in SIPMediaTests and measured in Benchmarks/run.sh; this bound holds on a
        // machine busy with other builds (2.7 ms seen there), and a burst sender fails it.
        #expect(callee.counters.jitterMilliseconds < 10, "\(callee.counters)")
        #expect(abs(caller.counters.sendIntervalMilliseconds - 20) <= 1, "\(caller.counters)")
        caller.sendDigits("d", keys: "1#") { doneInbox.yield("sent") }
        #expect(await doneIterator.next() == "sent")
        var keyIterator = keys.makeAsyncIterator()
        #expect(await keyIterator.next() == "1")
        #expect(await keyIterator.next() == "#")
        let recording = try #require(callee.finishRecording("r"))
        #expect(AudioClip(samples: recording.received).rms > 1000, "the tone was heard")
        #expect(callee.counters.lost == 0)
    }
}
