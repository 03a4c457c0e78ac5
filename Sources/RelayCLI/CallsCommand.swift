import ArgumentParser
import Foundation
import RelayWire

/// `relay calls`: the calls a running server knows, with state and duration.
struct CallsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calls", abstract: "List the calls of a running server with state and duration.")

    @OptionGroup var options: ServerOptions
    @Option(help: "Only this project.") var project: String?
    @Flag(help: "Print the JSON the lab API returned.") var json = false

    func run() async throws {
        let query = project.map { "?project=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        let reply = try await LabHTTP.request("GET", options.baseURL + "/lab/calls" + query, body: nil)
        guard reply.status == 200, let calls = reply.body?["calls"]?.arrayValue else {
            throw ValidationError("\(options.baseURL)/lab/calls: \(reply.status) \(reply.text)")
        }
        if json {
            print(JSONCodec.string(.array(calls)))
            return
        }
        print(Self.table(calls))
    }

    /// `246/451/0/0.24ms`, or `-` for a call without SIP media.
    static func media(_ counters: JSONValue?) -> String {
        guard let counters, let packetsIn = counters["packets_in"]?.intValue else { return "-" }
        let jitter = String(format: "%.2fms", counters["jitter_ms"]?.doubleValue ?? 0)
        return "\(packetsIn)/\(counters["packets_out"]?.intValue ?? 0)/\(counters["lost"]?.intValue ?? 0)/\(jitter)"
    }

    static func table(_ calls: [JSONValue]) -> String {
        // SIP calls add their RTP counters (live, or as they ended).
        let sip = calls.contains { $0["sip_media"] != nil }
        var rows = [["CALL", "STATE", "DIRECTION", "FROM", "TO", "CONTEXT", "DURATION", "END"] + (sip ? ["RTP IN/OUT/LOST/JITTER"] : [])]
        for call in calls {
            let timeline = call["timeline"]?.arrayValue ?? []
            let answered = timeline.first { $0["data"]?["call_state"]?.stringValue == "answered" }?["time"]?.doubleValue
            let last = timeline.last?["time"]?.doubleValue ?? 0
            let duration = String(format: "%.1fs", last) + (answered.map { String(format: " (talk %.1fs)", last - $0) } ?? "")
            var row: [String] = [
                String((call["call_id"]?.stringValue ?? "").prefix(8)), call["state"]?.stringValue ?? "", call["direction"]?.stringValue ?? "",
                call["from"]?.stringValue ?? "", call["to"]?.stringValue ?? "",
                call["context"]?.stringValue ?? (call["parent_call_id"]?.stringValue.map { "leg of " + $0.prefix(8) } ?? "-"), duration,
                call["end_reason"]?.stringValue ?? "",
            ]
            if sip { row.append(Self.media(call["sip_media"])) }
            rows.append(row)
        }
        if calls.isEmpty { return "no calls yet" }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
