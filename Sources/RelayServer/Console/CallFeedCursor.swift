import Foundation
import RelayWire

/// Turns a call shard's engine steps into feed events: after every step, the timeline entries
/// that step added to the calls it touched. Lives in the shard's state, under its lock.
struct CallFeedCursor {
    /// Entries already published, by call id (``CallRecord/logCount``). Ended calls leave.
    private var published: [String: Int] = [:]

    static let limit = 100_000

    /// Publishes what the step that produced `effects` logged, for the calls the effects name
    /// and `touching`.
    mutating func publish(_ effects: [EngineEffect], touching: String?, engine: CallEngine, feed: EventFeed) {
        var ids: [String] = []
        if let touching { ids.append(touching) }
        for effect in effects {
            switch effect {
            case .event(_, let event): if let id = event.callID { ids.append(id) }
            case .timer(_, let timer): ids.append(timer.callID)
            case .media(let id, _): ids.append(id)
            case .sipInvite(let id, _, _, _): ids.append(id)
            case .startTap, .stopTap: break
            }
        }
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted {
            guard let call = engine.calls[id] else {
                published[id] = nil
                continue
            }
            let done = published[id] ?? 0
            if call.logCount > done {
                let fresh = min(call.logCount - done, call.timeline.count)
                let parentContext = call.parent.flatMap { engine.calls[$0]?.context }
                for entry in call.timeline.suffix(fresh) {
                    feed.publish { Self.event(entry, call: call, context: call.context ?? parentContext) }
                }
            }
            if call.isOver {
                published[id] = nil
            } else {
                if published.count > Self.limit { published.removeAll() }
                published[id] = call.logCount
            }
        }
    }

    static func event(_ entry: TimelineEntry, call: CallRecord, context: String?) -> ConsoleEvent {
        ConsoleEvent(
            sequence: 0, time: Date().timeIntervalSince1970, kind: .call, isWarning: entry.kind == "note" && entry.text.hasPrefix("no consumer"),
            project: call.project.id, context: context, subjectID: call.id, step: entry.kind, text: entry.text,
            subject: summary(of: call), data: entry.data, offset: entry.time)
    }

    /// A call without its timeline: what the console's list shows.
    static func summary(of call: CallRecord) -> JSONValue {
        var builder = JSONObjectBuilder()
        builder.set("call_id", call.id)
        builder.set("project", call.project.id)
        builder.set("direction", call.direction)
        builder.set("from", call.from)
        builder.set("to", call.to)
        builder.set("context", call.context)
        builder.set("state", call.state.rawValue)
        builder.set("end_reason", call.endReason)
        builder.set("owner_session", call.owner)
        builder.set("parent_call_id", call.parent)
        builder.set("bridged_with", call.bridgedWith)
        return builder.value
    }
}

extension EngineTimer {
    /// The call the timer belongs to.
    var callID: String {
        switch self {
        case .dialOutcome(let id, _), .ringTimeout(let id, _), .farEndHangup(let id), .component(let id, _, _, _), .maxDuration(let id),
            .referOutcome(let id, _, _):
            id
        }
    }
}
