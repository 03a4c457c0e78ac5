import Foundation
import RelayServer
import RelayTesting
import RelayWire
import Testing

@Suite("Blade session", .timeLimit(.minutes(3)))  // a hang fails in bounded time instead of stalling CI
struct SessionTests {
    @Test func handshakeShapes() async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            let connect = try await client.request(
                "blade.connect",
                ["version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": .string(server.project), "token": .string(server.token)]])
            let result = try #require(connect["result"])
            #expect(result["sessionid"]?.stringValue != nil)
            #expect(result["session_restored"] == false)
            #expect(result[path: "authorization", "expires_at"] == .null)
            #expect(result[path: "authorization", "project"]?.stringValue == server.project)
            let signature = try #require(result[path: "authorization", "signature"]?.stringValue)
            for member in ["routes", "protocols", "subscriptions", "authorities", "authorizations", "accesses", "protocols_uncertified"] {
                #expect(result[member]?.arrayValue != nil, "\(member) must be an array")
            }

            let setup = try await client.request("blade.execute", ["protocol": "signalwire", "method": "setup", "params": [:]])
            let protocolName = try #require(setup[path: "result", "result", "protocol"]?.stringValue)
            #expect(setup[path: "result", "result", "code"] == nil)
            #expect(protocolName.hasPrefix("signalwire_\(signature)_"))
            #expect(protocolName.hasSuffix("_\(server.project)"))
            let netcast = try await client.next { $0["method"] == "blade.netcast" }
            #expect(netcast[path: "params", "command"] == "protocol.add")
            #expect(netcast[path: "params", "params", "protocol"]?.stringValue == protocolName)

            let subscription = try await client.request(
                "blade.subscription", ["command": "add", "protocol": .string(protocolName), "channels": ["notifications"]])
            #expect(subscription[path: "result", "subscribe_channels"] == ["notifications"])
            #expect(subscription[path: "result", "failed_channels"] == [])

            let ping = try await client.request("blade.ping", ["timestamp": 12.5])
            #expect(ping[path: "result", "timestamp"] == 12.5)

            // Fresh protocol for setup {} (Python), reuse when asked (Node).
            let again = try await client.request("blade.execute", ["protocol": "signalwire", "method": "setup", "params": [:]])
            #expect(again[path: "result", "result", "protocol"]?.stringValue != protocolName)
            let reuse = try await client.request(
                "blade.execute", ["protocol": "signalwire", "method": "setup", "params": ["protocol": .string(protocolName)]])
            #expect(reuse[path: "result", "result", "protocol"]?.stringValue == protocolName)
            await client.close()
        }
    }

    @Test func receiveAcceptsBothShapes() async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            let plural = try await client.execute("signalwire.receive", ["contexts": ["office", "home"]])
            #expect(plural["code"] == "200")
            let singular = try await client.execute("signalwire.receive", ["context": "lab"])
            #expect(singular["code"] == "200")
            let empty = try await client.execute("signalwire.receive", [:])
            #expect(empty["code"] == "400")
            let sessions = await server.sessions()
            #expect(sessions.first?.contexts == ["office", "home", "lab"])
            await client.close()
        }
    }

    @Test func wrongCredentialsGetAnErrorAndTheSocketCloses() async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            let response = try await client.request(
                "blade.connect", ["version": ["major": 2, "minor": 1, "revision": 0], "authentication": ["project": .string(server.project), "token": "nope"]])
            #expect(response[path: "error", "code"]?.intValue != nil)
            #expect(response[path: "error", "message"]?.stringValue?.contains("Authentication failed") == true)
            try await client.waitClosed()
            // The server keeps serving others.
            let other = try await BladeTestClient.connect(server.url)
            try await other.handshake(project: server.project, token: server.token)
            await other.close()
        }
    }

    @Test func badInputGetsClearErrorsAndServingContinues() async throws {
        try await withRelayTestServer { server in
            let client = try await BladeTestClient.connect(server.url)
            try await client.handshake(project: server.project, token: server.token)
            await client.sendRaw("{this is not json")
            await client.sendRaw("[1,2,3]")
            await client.sendRaw(#"{"jsonrpc":"2.0","method":"blade.ping","params":{}}"#)  // no id: ignored
            let unknown = try await client.request("blade.frobnicate", [:])
            #expect(unknown[path: "error", "code"] == .int(-32601))
            #expect(unknown[path: "error", "message"]?.stringValue?.contains("blade.frobnicate") == true)
            let missing = try await client.request("blade.execute", ["protocol": .string(await client.protocolName)])
            #expect(missing[path: "error", "message"]?.stringValue?.contains("method") == true)
            let unknownRelay = try await client.request(
                "blade.execute", ["protocol": .string(await client.protocolName), "method": "calling.teleport", "params": [:]])
            #expect(unknownRelay[path: "error", "code"] == .int(-32601))
            let wrongProtocol = try await client.request("blade.execute", ["protocol": "signalwire_nope", "method": "calling.answer", "params": [:]])
            #expect(wrongProtocol[path: "error", "message"]?.stringValue?.contains("Unknown protocol") == true)
            let noCall = try await client.execute("calling.answer", ["node_id": "x", "call_id": "does-not-exist"])
            #expect(noCall["code"] == "404")
            #expect(noCall["message"]?.stringValue?.contains("Call does not exist") == true)
            // Oversized frame (limit is 1 MiB by default).
            let big = String(repeating: "x", count: (1 << 20) + 10)
            await client.sendRaw(#"{"jsonrpc":"2.0","id":"big-1","method":"blade.ping","params":{"pad":"\#(big)"}}"#)
            let tooBig = try await client.next { $0["id"] == "big-1" }
            #expect(tooBig[path: "error", "message"]?.stringValue?.contains("exceeds") == true)
            // Still serving: one response per request, no stray ids.
            let ping = try await client.request("blade.ping", [:])
            #expect(ping["result"] != nil)
            let responses = await client.peek { $0["method"] == nil }
            #expect(responses.isEmpty, "unexpected extra responses: \(responses)")
            await client.close()
        }
    }

    @Test func resumeBySessionIDKeepsContextsAndBuffersEvents() async throws {
        try await withRelayTestServer(configure: { $0.resumeGracePeriod = 30 }) { server in
            let first = try await BladeTestClient.connect(server.url)
            try await first.handshake(project: server.project, token: server.token, contexts: ["office"])
            let sessionID = await first.sessionID
            let protocolName = await first.protocolName
            await server.dropSessions()
            try await first.waitClosed()
            let second = try await BladeTestClient.connect(server.url)
            let connect = try await second.request(
                "blade.connect",
                [
                    "version": ["major": 2, "minor": 1, "revision": 0], "authentication": ["project": .string(server.project), "token": .string(server.token)],
                    "sessionid": .string(sessionID),
                ])
            #expect(connect[path: "result", "session_restored"] == true)
            #expect(connect[path: "result", "sessionid"]?.stringValue == sessionID)
            let setup = try await second.request(
                "blade.execute", ["protocol": "signalwire", "method": "setup", "params": ["protocol": .string(protocolName)]])
            #expect(setup[path: "result", "result", "protocol"]?.stringValue == protocolName)
            _ = try await second.request("blade.subscription", ["command": "add", "protocol": .string(protocolName), "channels": ["notifications"]])
            // Contexts survived: an inbound call reaches the resumed session without a new receive.
            let callID = try await server.injectCall(context: "office")
            let receive = try await second.event("calling.call.receive")
            #expect(receive["call_id"]?.stringValue == callID)
            await second.close()
        }
    }

    @Test func serverSendsPingFramesAndDisconnectOnShutdown() async throws {
        let server = try await RelayTestServer.start(configure: { $0.pingInterval = 0.1 })
        // A raw socket sees the WebSocket ping control frames a client library would hide.
        let probe = try await RawProbe.connect(port: server.port)
        try await probe.upgradeToWebSocket()
        let connect: JSONValue = [
            "jsonrpc": "2.0", "id": "c1", "method": "blade.connect",
            "params": ["version": ["major": 2, "minor": 3, "revision": 0], "authentication": ["project": .string(server.project), "token": .string(server.token)]],
        ]
        try await probe.sendText(JSONCodec.string(connect))
        try await probe.waitFor("sessionid")
        // Two pings (unmasked ping frame, payload "relay") have come, however slow the machine.
        try await probe.waitFor(bytes: [0x89, 0x05] + Array("relay".utf8), count: 2)
        #expect(await server.sessions().first?.connected == true, "pings must not disturb the connection")
        #expect(!probe.sawEOF)
        await server.shutdown()
        try await probe.waitFor("blade.disconnect")
        try await probe.waitForEOF()
    }
}
