import Foundation
import RelayServer
import RelayTesting
import SignalWire
import Testing

/// The Swift SDK dials a real SIP phone (SIPp) through the server's SIP edge, on both wire
/// generations (`calling.dial`).
@Suite("Dialling a SIP phone through the SIP edge", .timeLimit(.minutes(2)))
struct SIPDialTests {
    @Test("a dial to SIPp's uas is answered, plays, and hangs up with a BYE SIPp takes", arguments: bothGenerations)
    func dialPlayHangUp(generation: WireGeneration) async throws {
        // Real SIP runs on real time: speed 1, so the play takes what it says.
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { testServer in
            let server = testServer.server
            _ = try await testServer.poll(what: "the SIP edge") { server.sipPort }
            let port = try SIPpCallee.freePort()
            async let callee = SIPpCallee.run(port: port)
            try await SIPpCallee.waitUntilListening(port: port)
            try await withClient(server, generation: generation) { client in
                let dial = try await client.calling.dial(devices: [[.sip(to: "sip:alice@127.0.0.1:\(port)", from: "sip:bot@127.0.0.1")]])
                #expect(dial.successful)
                let call = try #require(dial.call)
                #expect(call.state == .answered)
                let played = try await call.playSilence(duration: 0.5)
                #expect(played.successful)
                let counters = try #require(server.sipMediaCounters(callID: call.id ?? ""))
                #expect(counters.packetsOut > 0, "RTP went to SIPp: \(counters)")
                let hangup = try await call.hangup()
                #expect(hangup.successful)
            }
            let result = try await callee
            #expect(result.status == 0, "SIPp: \(result.output.suffix(2000))")
        }
    }
}
