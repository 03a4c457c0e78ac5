import Foundation
import Logging
import NIOSSL
import RelayServer
import RelayWire
import SignalWire
import Synchronization
import Testing

@Suite("Session: handshake, failures, reconnects", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct SessionTests {
    @Test(arguments: bothGenerations) func wrongCredentialsFailConnectClearly(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let client = try RelayClient(project: "local-project", token: "wrong-token", host: server.url ?? "", configuration: testConfiguration(generation), logger: quietLogger)
            await #expect {
                try await client.connect()
            } throws: { error in
                guard (error as? RelayError)?.code == .authenticationFailed else { return false }
                return true
            }
            #expect(!client.connected)
        }
    }

    @Test(arguments: bothGenerations) func scopedClientConnectsAndDisconnects(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let kept = try await withRelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(generation), logger: quietLogger) { client in
                #expect(client.connected)
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                #expect(dial.successful)
                return client
            }
            #expect(!kept.connected, "disconnected when the body returned")
            await #expect(throws: RelayError.notConnected) { try await kept.execute("calling.answer", params: [:]) }
        }
    }

    @Test(arguments: bothGenerations) func requestLoopsRunOnTheClientExecutor(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                let answered = try await withTaskExecutorPreference(client.executor) {
                    var answered = 0
                    for _ in 0..<20 {
                        let result = try await client.execute(RelayMethod.receive, params: ["contexts": ["office"]])
                        if result["code"]?.stringValue == "200" { answered += 1 }
                    }
                    return answered
                }
                #expect(answered == 20)
            }
        }
    }

    @Test func unreachableHostFailsConnect() async throws {
        let client = try RelayClient(project: "p", token: "t", host: "ws://127.0.0.1:1", configuration: testConfiguration(), logger: quietLogger)
        await #expect {
            try await client.connect()
        } throws: { error in
            guard (error as? RelayError)?.code == .connectionFailed else { return false }
            return true
        }
    }

    @Test func invalidHostsAndMissingCredentialsAreRejected() {
        #expect(throws: RelayError.self) { try RelayClient(project: "p", token: "t", host: "ftp://x") }
        #expect(throws: RelayError.missingConfiguration("token (pass it or set SIGNALWIRE_TOKEN)")) { try RelayClient(project: "p", token: "") }
        #expect(throws: RelayError.missingConfiguration("project (pass it or set SIGNALWIRE_PROJECT)")) { try RelayClient(project: "", token: "t") }
    }

    @Test(arguments: bothGenerations) func readyAndSocketEventsReachListeners(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            let client = try RelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(generation), logger: quietLogger)
            let seen = Mutex<[ClientEvent]>([])
            for event in [ClientEvent.ready, .socketOpen, .socketClose] {
                client.on(event) { _ in seen.withLock { $0.append(event) } }
            }
            let removed = client.on(.ready) { _ in Issue.record("removed listener was called") }
            client.off(.ready, removed)
            try await client.connect()
            #expect(client.connected)
            await client.disconnect()
            #expect(!client.connected)
            #expect(await eventually { seen.withLock { $0 } == [.socketOpen, .ready, .socketClose] })
        }
    }

    @Test func malformedAndUnknownFramesAreIgnored() async throws {
        try await withScriptedPeer { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: quietLogger)
            try await client.connect()
            try await peer.push("this is not JSON")
            try await peer.push("[1,2,3]")
            try await peer.push(#"{"jsonrpc":"2.0","id":"not-a-pending-request","result":{}}"#)
            try await peer.push(#"{"jsonrpc":"2.0","id":"x","error":{"code":1,"message":"stray"}}"#)
            try await peer.push(#"{"jsonrpc":"2.0","id":"y","method":"blade.unknown","params":{}}"#)
            try await peer.push(#"{"jsonrpc":"2.0","id":"z","method":"blade.broadcast","params":{"protocol":"signalwire_other","event":"queuing.relay.events","params":{}}}"#)
            try await peer.push(#"{"jsonrpc":"2.0","id":"w","method":"blade.broadcast","params":{"protocol":"signalwire_scripted_protocol","event":"queuing.relay.events","params":{"event_type":"calling.call.state","params":{"call_state":42}}}}"#)
            try await peer.push(#"{"jsonrpc":"2.0","id":"v","method":"blade.broadcast","params":{"protocol":"signalwire_scripted_protocol","event":"queuing.relay.events"}}"#)
            try await peer.push(String(repeating: "[", count: 5000))
            // Still alive and answering.
            let result = try await client.execute("calling.answer", params: ["call_id": "c", "node_id": "n"])
            #expect(result["code"]?.stringValue == "200")
            #expect(client.connected)
            #expect(peer.connections == 1, "no reconnect was needed")
            await client.disconnect()
        }
    }

    @Test func unansweredRequestsTimeOut() async throws {
        try await withScriptedPeer(responder: { _ in nil }) { peer in
            var configuration = testConfiguration()
            // The handshake runs under the same budget: 2 s leaves room for a loaded machine.
            configuration.executeTimeout = .seconds(2)
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: configuration, logger: quietLogger)
            try await client.connect()
            let started = ContinuousClock.now
            await #expect(throws: RelayError.timeout(method: "calling.answer", seconds: 2)) {
                try await client.execute("calling.answer", params: [:])
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            await client.disconnect()
        }
    }

    @Test func nonSuccessCodesFailTheCommand() async throws {
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue else { return nil }
            // A numeric 200 is a failure too, as in Python and Node.
            return [BladeFrame.result(id: id, result: ["result": ["code": 200, "message": "numeric"]]).json.jsonString]
        }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: quietLogger)
            try await client.connect()
            await #expect(throws: RelayError.commandFailed(code: "200", message: "numeric", method: "calling.answer")) {
                try await client.execute("calling.answer", params: [:])
            }
            let send = try await client.messaging.send(context: "office", from: "+1", to: "+2", body: "hi")
            #expect(!send.successful)
            #expect(send.messageID == nil)
            await client.disconnect()
        }
    }

    @Test func aDropMidRequestFailsItWhenTheSessionIsNotResumed() async throws {
        try await withScriptedPeer(responder: { _ in nil }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: quietLogger)
            try await client.connect()
            let pending = Task { try await client.execute("calling.play", params: [:]) }
            #expect(await eventually { peer.received.contains { $0["params"]?["method"]?.stringValue == "calling.play" } })
            await peer.dropAll()
            await #expect(throws: RelayError.connectionLost) { try await pending.value }
            #expect(await eventually { peer.connections == 2 && client.connected }, "the client reconnects by itself")
            await client.disconnect()
        }
    }

    @Test func aDropMidRequestResendsItWhenTheSessionIsResumed() async throws {
        let answered = Atomic<Bool>(false)
        try await withScriptedPeer(responder: { frame in
            guard let id = frame["id"]?.stringValue else { return nil }
            // The first copy is lost with the connection; the resent one is answered.
            guard answered.exchange(true, ordering: .relaxed) else { return nil }
            return [BladeFrame.result(id: id, result: ["result": ["code": "200", "message": "Playing"]]).json.jsonString]
        }) { peer in
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: quietLogger)
            try await client.connect()
            async let pending = client.execute("calling.play", params: ["control_id": "c1"])
            #expect(await eventually { peer.received.contains { $0["params"]?["method"]?.stringValue == "calling.play" } })
            peer.restoreSessions.store(true, ordering: .relaxed)
            await peer.dropAll()
            let result = try await pending
            #expect(result["message"]?.stringValue == "Playing")
            let plays = peer.received.filter { $0["params"]?["method"]?.stringValue == "calling.play" }
            #expect(plays.count == 2)
            #expect(Set(plays.compactMap { $0["id"]?.stringValue }).count == 1, "resent with the same id")
            let reconnect = peer.received.filter { $0["method"]?.stringValue == BladeMethod.connect }.last
            #expect(reconnect?["params"]?["sessionid"]?.stringValue == "scripted-session", "asks to resume")
            await client.disconnect()
        }
    }

    @Test func bladeDisconnectQueuesRequestsUntilReconnected() async throws {
        try await withScriptedPeer { peer in
            // The client's own log line says when it has taken the disconnect in: wait on that,
            // not on time.
            let sink = LogSink()
            let logger = Logger(label: "test.capture", factory: { _ in CapturingHandler(sink: sink) })
            let client = try RelayClient(project: "p", token: "t", host: peer.url, configuration: testConfiguration(), logger: logger)
            try await client.connect()
            try await peer.push(#"{"jsonrpc":"2.0","id":"d","method":"blade.disconnect"}"#)
            #expect(await eventually { sink.lines.contains { $0.contains("Relay announced a disconnect") } })
            async let send = client.messaging.send(context: "office", from: "+12029999999", to: "+12028888888", body: "queued while idle")
            try await Task.sleep(for: .milliseconds(200))
            #expect(!peer.received.contains { $0["params"]?["method"]?.stringValue == RelayMethod.messagingSend }, "nothing goes out while idle")
            await peer.dropAll()
            let result = try await send
            #expect(result.successful)
            #expect(peer.connections == 2)
            let sent = peer.received.first { $0["params"]?["method"]?.stringValue == RelayMethod.messagingSend }
            #expect(sent?["params"]?["protocol"]?.stringValue == peer.protocolName, "the protocol is current at send time")
            await client.disconnect()
        }
    }

    @Test(arguments: bothGenerations) func callsSurviveADroppedConnection(generation: WireGeneration) async throws {
        try await withRelayServer(speed: 20) { server in
            try await withClient(server, generation: generation) { client in
                let call = try await answeredCall(client)
                let play = try await call.playAsync([.silence(duration: 10)])
                #expect(await server.dropSessions() >= 1)
                let result = try await play.wait()
                #expect(result.successful, "events of the running play arrive after the session resumes")
                let again = try await call.playTTS(text: "still here")
                #expect(again.successful)
                #expect(await server.sessions().contains { $0.restoredCount >= 1 })
            }
        }
    }

    @Test(arguments: bothGenerations) func aServerThatStopsAnsweringPingsIsLeft(generation: WireGeneration) async throws {
        let configuration = {
            var configuration = testConfiguration()
            configuration.pingInterval = .milliseconds(200)
            return configuration
        }()
        try await withRelayServer { server in
            try await withClient(server, generation: generation, configuration: configuration) { client in
                let closes = Mutex(0)
                client.on(.socketClose) { _ in closes.withLock { $0 += 1 } }
                try await server.setFaults(SessionFaults(answerPings: false))
                #expect(await eventually(timeout: .seconds(10)) { closes.withLock { $0 } >= 1 }, "noticed (two ping periods when the machine is idle)")
                await server.clearFaults()
                #expect(await eventually { client.connected })
                #expect(try await client.calling.dial(from: "+12029999999", to: "+12015550100").successful)
            }
        }
    }

    @Test(arguments: bothGenerations) func clientsReconnectAfterAServerRestart(generation: WireGeneration) async throws {
        try await withRelayServer { server in
            try await withClient(server, generation: generation) { client in
                await server.restart()
                #expect(await eventually { client.connected })
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                #expect(dial.successful)
            }
        }
    }

    @Test(arguments: bothGenerations) func secureWebSocketsWithALoopbackCertificate(generation: WireGeneration) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl makes the loopback certificate")

        try await withRelayServer(tls: RelayTLSFiles(certificatePath: cert, privateKeyPath: key)) { server in
            #expect(server.url?.hasPrefix("wss://") == true)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
            let configuration = { [tls] in
                var configuration = testConfiguration()
                configuration.tls = tls
                return configuration
            }()
            try await withClient(server, generation: generation, configuration: configuration) { client in
                let dial = try await client.calling.dial(from: "+12029999999", to: "+12015550100")
                #expect(dial.successful)
            }
            // Without trusting the certificate the connection is refused.
            let untrusting = try RelayClient(project: "local-project", token: "local-token", host: server.url ?? "", configuration: testConfiguration(generation), logger: quietLogger)
            await #expect(throws: RelayError.self) { try await untrusting.connect() }
        }
    }
}
