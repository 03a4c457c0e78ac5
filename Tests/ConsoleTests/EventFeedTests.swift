import Foundation
import Logging
import RelayServer
import RelayTesting
import RelayWire
import ServiceLifecycle
import SignalWire
import Testing

@testable import RelayServer

@Suite("Event feed", .timeLimit(.minutes(2)))
struct EventFeedTests {
    static func event(_ text: String) -> ConsoleEvent {
        ConsoleEvent(
            sequence: 0, time: 0, kind: .task, isWarning: false, project: nil, context: nil, subjectID: nil, step: "x", text: text,
            subject: .null, data: .null)
    }

    @Test func aSlowSubscriberLosesItsOldestEventsAndSeesTheGap() async throws {
        let feed = EventFeed()
        let slow = try #require(feed.subscribe(bufferLimit: 4))
        let fast = try #require(feed.subscribe(bufferLimit: 100))
        for index in 1...10 { feed.publish { Self.event("e\(index)") } }
        feed.finish()
        var slowSeen: [Int] = []
        for await event in slow { slowSeen.append(event.sequence) }
        var fastSeen: [Int] = []
        for await event in fast { fastSeen.append(event.sequence) }
        #expect(slowSeen == [7, 8, 9, 10], "the oldest are dropped; the jump from 0 to 7 tells the reader")
        #expect(fastSeen == Array(1...10), "one slow reader costs the others nothing")
        #expect(feed.subscribe() == nil, "a stopped feed takes no subscribers")
    }

    @Test func subscribersAreBounded() throws {
        let feed = EventFeed()
        var streams: [AsyncStream<ConsoleEvent>] = []
        for _ in 0..<EventFeed.subscriberLimit { streams.append(try #require(feed.subscribe())) }
        #expect(feed.subscribe() == nil)
        streams.removeAll()  // dropping a stream ends its subscription
        #expect(feed.subscribe() != nil)
    }

    @Test func aCallNobodyReceivesIsAWarningLine() async throws {
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { server in
            let events = try #require(server.server.events())
            let call = try await server.server.injectCall(context: "nobody-here")
            var lines: [ConsoleEvent] = []
            for await event in events {
                lines.append(event)
                if event.isWarning { break }
            }
            #expect(lines.map(\.subjectID) == [call.id, call.id])
            #expect(lines.first?.text.hasPrefix("created (inbound") == true)
            #expect(lines.last?.line.contains("WARNING call \(call.id.prefix(8)) nobody-here  no consumer is receiving context 'nobody-here'") == true)
            #expect(lines.map(\.sequence) == [1, 2])
        }
    }

    @Test func keysFromTheFarEndReachAPromptAndTheStoryIsTold() async throws {
        let probe = Probe()
        try await withRelayTestServer(configure: { $0.clockMode = .manual }) { server in
            let events = try #require(server.server.events())
            let consumer = PhoneConsumer(project: server.project, token: server.token, host: server.url, probe: probe)
            let group = ServiceGroup(
                configuration: .init(services: [try ConsumerService(consumer)], logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await server.waitForConsumers(context: "office")
                let call = try await server.server.injectCall(context: "office")
                var story: [String] = []
                for await event in events where event.subjectID == call.id {
                    story.append(event.text)
                    if event.text.hasPrefix("prompt playing") { break }
                }
                #expect(await server.server.farEnd(.keys("42#"), callID: call.id))
                _ = await server.advanceClock(by: 2)
                #expect(try await probe.wait(for: "pin ") == "pin 42")
                #expect(await server.server.farEnd(.hangsUp, callID: call.id))
                for await event in events where event.subjectID == call.id {
                    story.append(event.text)
                    if event.text.hasPrefix("ended") { break }
                }
                #expect(await server.server.farEnd(.keys("1"), callID: call.id) == false, "the call is over")
                let joined = story.joined(separator: "\n")
                for step in ["created (inbound", "offered to session", "answered", "prompt playing", "the far end keyed 42#", "digits 42", "ended (hangup)"] {
                    #expect(joined.contains(step), "\(step) in\n\(joined)")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
