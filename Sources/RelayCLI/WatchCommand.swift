import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RelayWire

/// `relay watch`: follows a running server's events (`GET /lab/events`) as terminal lines.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow every call, message, task and session event of a running server.",
        discussion: "Lines go to stderr; with --log-format json, one JSON object a line goes to stdout. RELAY_LAB_TOKEN holds the lab token of a server that needs one."
    )

    @OptionGroup var options: ServerOptions
    @Option(help: "Only events on this context.") var context: String?
    @Option(help: "Only calls and messages from or to this number.") var number: String?
    @Option(help: "Only this call (its id or the start of it).") var call: String?
    @Option(help: "Only this project.") var project: String?
    @Option(name: .customLong("log-format"), help: "text (human lines on stderr) or json (one object a line on stdout).")
    var logFormat = "text"

    func validate() throws {
        guard EventPrinter.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json") }
    }

    func matches(_ event: JSONValue) -> Bool {
        if let context, event["context"]?.stringValue != context { return false }
        if let project, event["project"]?.stringValue != project { return false }
        if let call, !(event["id"]?.stringValue ?? "").hasPrefix(call), !(event["subject"]?["parent_call_id"]?.stringValue ?? "").hasPrefix(call) {
            return false
        }
        if let number {
            let subject = event["subject"]
            let numbers = [subject?["from"], subject?["to"], subject?["from_number"], subject?["to_number"]].compactMap { $0?.stringValue }
            if !numbers.contains(number) { return false }
        }
        return true
    }

    func run() async throws {
        var request = HTTPClientRequest(url: options.baseURL + "/lab/events")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let token = LabHTTP.labToken { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch {
            throw ValidationError("cannot reach \(options.baseURL): \(error)")
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw ValidationError("\(options.baseURL)/lab/events: \(response.status.code) \(String(buffer: body))")
        }
        EventPrinter.err("relay watch: following \(options.baseURL) (Ctrl-C to stop)")
        var printer = EventPrinter(format: EventPrinter.Format(rawValue: logFormat) ?? .text)
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            // Server-sent events end with a blank line; each of ours has one `data:` line.
            while let end = Self.eventEnd(in: pending) {
                let block = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                for line in block.split(separator: "\n") where line.hasPrefix("data: ") {
                    guard let event = try? JSONCodec.parse(String(line.dropFirst(6))) else { continue }
                    if matches(event) { printer.print(json: event) }
                }
            }
            if pending.count > 1 << 20 { pending.removeAll() }
        }
        EventPrinter.err("relay watch: the server closed the stream")
    }

    static func eventEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 10 && bytes[index + 1] == 10 { return index }
        return nil
    }
}
