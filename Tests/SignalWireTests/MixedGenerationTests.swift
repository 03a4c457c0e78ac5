import RelayServer
import RelayTesting
import RelayWire
import SignalWire
import Synchronization
import Testing

/// The Swift SDK on RELAY v3 and on Blade v2 sharing one local server: the server's projects,
/// contexts, calls, messages and tasks are the same whichever wire a client speaks.
@Suite("A v3 client and a v2 consumer on one server", .timeLimit(.minutes(1)))
struct MixedGenerationTests {
    static let officeNumber = "+15557770000"
    static let salesNumber = "+15557770001"
    static let customer = "+12015550123"

    @Test func callsMessagesAndTasksCrossTheGenerations() async throws {
        var world = SimulatedWorld.standard
        world.routes[Self.officeNumber] = "office"
        world.routes[Self.salesNumber] = "sales"
        try await withRelayTestServer(world: world, configure: { $0.clockMode = .manual }) { server in
            try await withClient(server.server, configuration: testConfiguration(.relayV3)) { v3 in
                try await withClient(server.server, configuration: testConfiguration(.bladeV2)) { v2 in
                    // A call to a number the world routes to "office": offered to the v3 client
                    // (the only one receiving it yet), passed, then answered by the v2 consumer.
                    let (v3Offers, v3Offered) = AsyncStream.makeStream(of: Call.self)
                    try await v3.calling.receive(contexts: ["office"]) { v3Offered.yield($0) }
                    try await server.waitForConsumers(context: "office")
                    // A long simulated ring: the manual clock only moves when the test says so.
                    let callID = try await server.server.injectCall(from: Self.customer, to: Self.officeNumber, ringTimeout: 3000).id
                    var v3Iterator = v3Offers.makeAsyncIterator()
                    let offer = try #require(await v3Iterator.next())
                    #expect(offer.id == callID)
                    #expect(offer.context == "office")
                    let (v2Offers, v2Offered) = AsyncStream.makeStream(of: Call.self)
                    try await v2.calling.receive(contexts: ["office"]) { v2Offered.yield($0) }
                    try await server.waitForConsumers(context: "office", count: 2)
                    #expect(try await offer.pass().successful)
                    #expect(v3.calling.call(id: callID) == nil, "a passed call is no longer the v3 client's")
                    var v2Iterator = v2Offers.makeAsyncIterator()
                    let taken = try #require(await v2Iterator.next())
                    #expect(taken.id == callID)
                    #expect(taken.from == Self.customer)
                    #expect(try await taken.answer().successful)
                    let answered = try await server.waitForCall(callID, state: .answered)
                    #expect(answered.timeline.contains { $0.kind == "pass" })
                    #expect(try await taken.hangup().successful)
                    #expect(try await server.waitForCall(callID, state: .ended).endReason == "hangup")

                    // Messages: the v3 client texts the customer from the sales number; the reply,
                    // to that number, reaches the v2 consumer (the only one on "sales") through
                    // the world's route. (A context is one session's for every kind of work, so
                    // "office", which the v3 client receives too, would split the replies.)
                    let (v2Inbox, v2Received) = AsyncStream.makeStream(of: Message.self)
                    try await v2.messaging.receive(contexts: ["sales"]) { v2Received.yield($0) }
                    try await server.waitForConsumers(context: "sales")
                    let sent = try await v3.messaging.send(context: "sales", from: Self.salesNumber, to: Self.customer, body: "Your table is ready")
                    #expect(sent.successful)
                    let outbound = await server.server.messages(direction: "outbound")
                    #expect(outbound.contains { $0.id == sent.messageID && $0.to == Self.customer && $0.context == "sales" })
                    _ = try await server.server.injectMessage(from: Self.customer, to: Self.salesNumber, body: "On my way")
                    var inbox = v2Inbox.makeAsyncIterator()
                    let reply = try #require(await inbox.next())
                    #expect(reply.body == "On my way")
                    #expect(reply.from == Self.customer)

                    // Tasks over REST, each way: v3 → a v2 consumer's context, v2 → the v3 client's.
                    let (v2Tasks, v2Task) = AsyncStream.makeStream(of: JSONValue.self)
                    let (v3Tasks, v3Task) = AsyncStream.makeStream(of: JSONValue.self)
                    try await v2.tasking.receive(contexts: ["v2-tasks"]) { v2Task.yield($0) }
                    try await v3.tasking.receive(contexts: ["v3-tasks"]) { v3Task.yield($0) }
                    try await server.waitForConsumers(context: "v2-tasks")
                    try await server.waitForConsumers(context: "v3-tasks")
                    let host = server.server.httpURL ?? ""
                    let project = RelayProject.default
                    let task = RelayTask(project: project.id, token: project.token, host: host)
                    #expect(try await task.deliver(context: "v2-tasks", message: ["from": "v3", "order": 1]))
                    #expect(try await task.deliver(context: "v3-tasks", message: ["from": "v2", "order": 2]))
                    var v2TaskIterator = v2Tasks.makeAsyncIterator()
                    var v3TaskIterator = v3Tasks.makeAsyncIterator()
                    #expect(await v2TaskIterator.next() == ["from": "v3", "order": 1])
                    #expect(await v3TaskIterator.next() == ["from": "v2", "order": 2])
                }
            }
        }
    }
}
