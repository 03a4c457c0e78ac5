import RelayWire
import Testing

@testable import RelayServer

/// Calls with real media (SIP legs): the engine asks the media edge instead of simulating
/// durations, and takes the next step when the edge reports back.
@Suite("calls with real media")
struct CallEngineMediaTests {
    /// An answered inbound call with real media, as `call1`.
    static func answeredRealCall() throws -> EngineHarness {
        let h = EngineHarness()
        h.receivers = [("project-a", "office", "s1")]
        h.inject(context: "office", behavior: PartyBehavior(answer: .never), realMedia: true)
        _ = try h.run(method: "calling.answer", ["call_id": "call1", "node_id": "node1"])
        return h
    }

    @Test("play asks the edge for the audio and finishes when the edge says it was heard, not after a simulated duration")
    func playWaitsForTheEdge() throws {
        let h = try Self.answeredRealCall()
        let media: JSONValue = [["type": "tts", "params": ["text": "hello"]]]
        #expect(try h.run(method: "calling.play", ["call_id": "call1", "node_id": "node1", "control_id": "p1", "play": media, "volume": 3]).code == "200")
        #expect(h.mediaActions.last?.action == .play(controlID: "p1", token: 0, media: [.tts(text: "hello")], volume: 3, prompt: false))
        h.advance(by: 3600)
        #expect(h.lines(call: "call1").last == "0.0 play p1 playing")
        h.mediaFinished(callID: "call1", controlID: "p1", token: 0, .playFinished)
        #expect(h.lines(call: "call1").last == "3600.0 play p1 finished")
    }

    @Test("stopping a play stops its audio; a report for the stopped play changes nothing")
    func stopStopsTheAudio() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.play", ["call_id": "call1", "node_id": "node1", "control_id": "p1", "play": [["type": "silence", "params": ["duration": 5]]]])
        _ = try h.run(method: "calling.play.stop", ["call_id": "call1", "node_id": "node1", "control_id": "p1"])
        #expect(h.mediaActions.last?.action == .stopPlay(controlID: "p1"))
        let mark = h.mark
        h.mediaFinished(callID: "call1", controlID: "p1", token: 0, .playFinished)
        #expect(h.lines(since: mark).isEmpty)
    }

    @Test("a prompt collects the caller's key after its audio; the key barges in and stops the audio")
    func promptCollectsRealKeys() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(
            method: "calling.play_and_collect",
            ["call_id": "call1", "node_id": "node1", "control_id": "c1", "play": [["type": "tts", "params": ["text": "press one"]]],
             "collect": ["initial_timeout": 10, "digits": ["max": 1]]])
        #expect(h.mediaActions.last?.action == .play(controlID: "c1", token: 0, media: [.tts(text: "press one")], volume: 0, prompt: true))
        h.mediaFinished(callID: "call1", controlID: "c1", token: 0, .promptPlayed)
        _ = h.engineFarEnd(.keys("1"), callID: "call1")
        h.runUntilIdle()
        #expect(h.lines(call: "call1").last == "0.3 collect c1 digit 1 terminator=")
        #expect(h.mediaActions.contains { $0.action == .stopPlay(controlID: "c1") })
    }

    @Test("a failed play (no espeak-ng, a missing file) ends play.error")
    func playFailure() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.play", ["call_id": "call1", "node_id": "node1", "control_id": "p1", "play": [["type": "audio", "params": ["url": "file:///nope.wav"]]]])
        h.mediaFinished(callID: "call1", controlID: "p1", token: 0, .playFailed(reason: "no such file"))
        #expect(h.lines(call: "call1").last == "0.0 play p1 error")
    }

    @Test("record starts a real recording and finishes with the recorded audio's length and size")
    func recordTakesTheRealAudio() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.record", ["call_id": "call1", "node_id": "node1", "control_id": "r1", "record": ["audio": ["direction": "listen"]]])
        #expect(
            h.mediaActions.last?.action
                == .startRecording(controlID: "r1", token: 0, direction: "listen", stereo: false, initialTimeout: 5, endSilenceTimeout: 1))
        var recorder = CallRecorder(direction: .listen, stereo: false)
        recorder.received([Int16](repeating: 1000, count: 8000), timestamp: 100)
        recorder.received([Int16](repeating: 1000, count: 4000), timestamp: 100 + 16000)
        h.recordings["call1/r1"] = recorder
        h.advance(by: 60)
        _ = try h.run(method: "calling.record.stop", ["call_id": "call1", "node_id": "node1", "control_id": "r1"])
        guard case .record(let finished) = h.events(of: "call1").last?.event else {
            Issue.record("no record event")
            return
        }
        #expect(finished.state == "finished")
        // 1 s, a lost second, then 0.5 s: 2.5 s of audio at 8 kHz, 16-bit.
        #expect(finished.duration == 2.5)
        #expect(finished.size == 44 + 20000 * 2)
    }

    @Test("the caller's silence ends a real recording: no_input before any speech, finished after it")
    func silenceEndsARecording() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.record", ["call_id": "call1", "node_id": "node1", "control_id": "r1", "record": ["audio": ["direction": "listen"]]])
        h.mediaFinished(callID: "call1", controlID: "r1", token: 0, .recordNoInput)
        #expect(h.lines(call: "call1").last == "0.0 record r1 no_input")
        #expect(h.mediaActions.last?.action == .discardRecording(controlID: "r1"))
        _ = try h.run(method: "calling.record", ["call_id": "call1", "node_id": "node1", "control_id": "r2", "record": ["audio": ["direction": "listen"]]])
        var recorder = CallRecorder(direction: .listen, stereo: false)
        recorder.received([Int16](repeating: 900, count: 8000), timestamp: 0)
        h.recordings["call1/r2"] = recorder
        h.mediaFinished(callID: "call1", controlID: "r2", token: 0, .recordFinished)
        #expect(h.lines(call: "call1").last == "0.0 record r2 finished 1.0s 16044B")
    }

    @Test("a terminator key ends a real recording")
    func recordTerminator() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.record", ["call_id": "call1", "node_id": "node1", "control_id": "r1", "record": ["audio": ["terminators": "#"]]])
        h.recordings["call1/r1"] = CallRecorder(direction: .speak, stereo: false)
        _ = h.engineFarEnd(.keys("#"), callID: "call1")
        #expect(h.lines(call: "call1").last?.hasPrefix("0.0 record r1 finished") == true, "\(h.lines(call: "call1"))")
    }

    @Test("send_digits goes to the edge and finishes when the edge has sent them")
    func sendDigits() throws {
        let h = try Self.answeredRealCall()
        _ = try h.run(method: "calling.send_digits", ["call_id": "call1", "node_id": "node1", "control_id": "d1", "digits": "12#"])
        #expect(h.mediaActions.last?.action == .sendDigits(controlID: "d1", token: 0, digits: "12#"))
        h.advance(by: 100)
        #expect(h.lines(call: "call1").last != "100.0 send_digits d1 finished")
        h.mediaFinished(callID: "call1", controlID: "d1", token: 0, .digitsSent)
        #expect(h.lines(call: "call1").last == "100.0 send_digits d1 finished")
    }
}
