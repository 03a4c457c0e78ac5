import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import RelayServer
import RelayTesting
import RelayWire
import Testing

@testable import RelayServer

/// One raw HTTP/1.1 exchange over loopback, with exactly the headers given (no client adds a
/// `Host` or `Content-Type` of its own). Returns once the response is complete (or upgraded).
func rawHTTP(port: Int, _ head: String, body: String = "") async throws -> (status: Int, text: String) {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    return try await channel.executeThenClose { inbound, outbound in
        let length = body.isEmpty ? "" : "Content-Length: \(body.utf8.count)\r\n"
        try await outbound.write(ByteBuffer(string: head + length + "\r\n" + body))
        var text = ""
        for try await chunk in inbound {
            text += String(buffer: chunk)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let headText = text[..<end.lowerBound].lowercased()
            if headText.hasPrefix("http/1.1 101") { break }
            let declared = headText.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            if let declared, text.utf8.count - text[..<end.upperBound].utf8.count >= declared { break }
            if text.count > 1 << 16 { break }
        }
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, text)
    }
}

@Suite("Console and lab API refusals", .timeLimit(.minutes(2)))
struct ConsoleSecurityTests {
    @Test func foreignHostIsRefused() async throws {
        try await withRelayTestServer { (server: RelayTestServer) async throws in
            let refused = try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: attacker.example:\(server.port)\r\n")
            #expect(refused.status == 403)
            #expect(refused.text.contains("DNS rebinding"))
            let console = try await rawHTTP(port: server.port, "GET / HTTP/1.1\r\nHost: rebound.example\r\nAccept: text/html\r\n")
            #expect(console.status == 403)
            let info = try await rawHTTP(port: server.port, "GET / HTTP/1.1\r\nHost: rebound.example\r\n")
            #expect(info.status == 200, "for tools, / is one JSON line naming the WebSocket URL")
            for host in ["127.0.0.1:\(server.port)", "localhost:\(server.port)", "[::1]:\(server.port)"] {
                #expect(try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: \(host)\r\n").status == 200, "\(host)")
            }
        }
    }

    @Test func foreignOriginIsRefused() async throws {
        try await withRelayTestServer { (server: RelayTestServer) async throws in
            let host = "127.0.0.1:\(server.port)"
            let body = #"{"context": "office"}"#
            let refused = try await rawHTTP(
                port: server.port,
                "POST /lab/calls HTTP/1.1\r\nHost: \(host)\r\nOrigin: http://attacker.example\r\nContent-Type: application/json\r\n", body: body)
            #expect(refused.status == 403)
            #expect(refused.text.contains("Origin"))
            let events = try await rawHTTP(port: server.port, "GET /lab/events HTTP/1.1\r\nHost: \(host)\r\nOrigin: http://localhost:\(server.port)\r\n")
            #expect(events.status == 403, "the push channel checks Origin too")
            #expect(await server.calls().isEmpty)
            // The console's own origin is fine.
            let own = try await rawHTTP(
                port: server.port, "POST /lab/calls HTTP/1.1\r\nHost: \(host)\r\nOrigin: http://\(host)\r\nContent-Type: application/json\r\n", body: body)
            #expect(own.status == 201)
        }
    }

    @Test func textPlainAndBrowserFormsAreRefused() async throws {
        try await withRelayTestServer { (server: RelayTestServer) async throws in
            let host = "127.0.0.1:\(server.port)"
            let body = #"{"context": "office"}"#
            let plain = try await rawHTTP(port: server.port, "POST /lab/calls HTTP/1.1\r\nHost: \(host)\r\nContent-Type: text/plain;charset=UTF-8\r\n", body: body)
            #expect(plain.status == 415)
            #expect(plain.text.contains("application/json"))
            let multipart = try await rawHTTP(
                port: server.port, "POST /lab/tasks HTTP/1.1\r\nHost: \(host)\r\nContent-Type: multipart/form-data; boundary=x\r\n", body: body)
            #expect(multipart.status == 415)
            let form = try await rawHTTP(
                port: server.port,
                "POST /lab/calls HTTP/1.1\r\nHost: \(host)\r\nSec-Fetch-Mode: navigate\r\nContent-Type: application/x-www-form-urlencoded\r\n", body: body)
            #expect(form.status == 415)
            #expect(await server.calls().isEmpty)
        }
    }

    @Test func labTokenIsRequiredWhenConfigured() async throws {
        try await withRelayTestServer(configure: { $0.labToken = "s3cret" }) { (server: RelayTestServer) async throws in
            let host = "127.0.0.1:\(server.port)"
            #expect(try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: \(host)\r\n").status == 401)
            #expect(try await rawHTTP(port: server.port, "GET /lab/events HTTP/1.1\r\nHost: \(host)\r\n").status == 401)
            #expect(try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer wrong\r\n").status == 401)
            #expect(try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: \(host)\r\nAuthorization: Bearer s3cret\r\n").status == 200)
            #expect(try await rawHTTP(port: server.port, "GET /lab/calls HTTP/1.1\r\nHost: \(host)\r\nCookie: a=b; relay_lab_token=s3cret\r\n").status == 200)
            // The page itself loads, so it can ask for the token.
            #expect(try await rawHTTP(port: server.port, "GET / HTTP/1.1\r\nHost: \(host)\r\nAccept: text/html\r\n").status == 200)
        }
    }

    /// Binding beyond loopback without a token turns the lab API off (the check is the same
    /// function the middleware runs; binding a public address is not allowed on this machine).
    @Test func nonLoopbackBindWithoutTokenRefusesTheLab() throws {
        var configuration = RelayServerConfiguration(host: "0.0.0.0", port: 0)
        let head = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:8080", path: "/lab/calls")
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        let refused = try #require(LabGuard.refusal(request, configuration: configuration))
        #expect(refused.status == .forbidden)
        configuration.labToken = "t"
        #expect(LabGuard.refusal(request, configuration: configuration)?.status == .unauthorized)
        var withToken = head
        withToken.headerFields[.authorization] = "Bearer t"
        #expect(LabGuard.refusal(Request(head: withToken, body: .init(buffer: ByteBuffer())), configuration: configuration) == nil)
    }

    @Test func webSocketFromAForeignOriginIsRefused() async throws {
        try await withRelayTestServer { (server: RelayTestServer) async throws in
            let host = "127.0.0.1:\(server.port)"
            let upgrade =
                "GET / HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            let foreign = try await rawHTTP(port: server.port, upgrade + "Origin: http://attacker.example\r\n")
            #expect(foreign.status != 101, "\(foreign.text.prefix(200))")
            let own = try await rawHTTP(port: server.port, upgrade + "Origin: http://\(host)\r\n")
            #expect(own.status == 101)
            let tool = try await rawHTTP(port: server.port, upgrade)
            #expect(tool.status == 101, "SDKs send no Origin")
            let library = try await rawHTTP(port: server.port, upgrade + "Origin: ws://127.0.0.1\r\n")
            #expect(library.status == 101, "some WebSocket libraries send a ws:// Origin, which no browser does")
            let null = try await rawHTTP(port: server.port, upgrade + "Origin: null\r\n")
            #expect(null.status != 101, "a sandboxed page sends Origin: null")
        }
    }
}
