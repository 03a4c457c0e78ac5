import Foundation
import RelayWire

/// What the raw Blade and v3 test clients share: frames kept as they arrive, waits on them
/// (bounded, polling), and JSON-RPC requests matched to their responses.
protocol TestSocketClient: Actor {
    /// Frames received and not yet taken.
    var frames: [JSONValue] { get set }
    var closed: Bool { get }
    func send(_ frame: JSONValue)
}

extension TestSocketClient {
    /// Waits for (and removes) the first frame matching `predicate`.
    func next(timeout: Double = 20, _ what: String = "frame", where predicate: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = frames.firstIndex(where: predicate) { return frames.remove(at: index) }
            if Date() > deadline { throw TestFailure("timed out waiting for \(what); have \(frames.map { JSONCodec.string($0) })") }
            if closed { throw TestFailure("socket closed while waiting for \(what); have \(frames.map { JSONCodec.string($0) })") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// All frames received so far that match, without removing them.
    func peek(where predicate: (JSONValue) -> Bool) -> [JSONValue] { frames.filter(predicate) }

    func waitClosed(timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !closed {
            if Date() > deadline { throw TestFailure("socket did not close") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends a request and waits for its response frame.
    func request(_ method: String, _ params: JSONValue, timeout: Double = 20) async throws -> JSONValue {
        let id = UUID().uuidString.lowercased()
        send(["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": params])
        return try await next(timeout: timeout, "response to \(method)") { $0["id"] == .string(id) && $0["method"] == nil }
    }
}
