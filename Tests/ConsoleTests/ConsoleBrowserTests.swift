import Foundation
import Logging
import RelayServer
import RelayTesting
import RelayWire
import ServiceLifecycle
import SignalWire
import Synchronization
import Testing

/// What the test consumer saw, to wait on.
final class Probe: Sendable {
    private let lines = Mutex<[String]>([])
    let client = Mutex<RelayClient?>(nil)

    func note(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    /// Waits until a line starting with `prefix` was noted (the consumer runs in this process).
    func wait(for prefix: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = all.first(where: { $0.hasPrefix(prefix) }) { return line }
            guard ContinuousClock.now < deadline else { throw TestFailure("the consumer never saw '\(prefix)'; it saw \(all)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A consumer like the README's: answers, prompts for a PIN, records a message, reads the PIN
/// back and hangs up; answers every SMS.
struct PhoneConsumer: Consumer {
    let project: String?
    let token: String?
    let host: String?
    let probe: Probe
    var contexts: [String] { ["office"] }
    var logger: Logger { Logger(label: "test.consumer", factory: { _ in SwiftLogNoOpLogHandler() }) }

    func ready(client: RelayClient) async {
        probe.client.withLock { $0 = client }
        probe.note("ready")
    }

    func onIncomingCall(_ call: Call) async throws {
        guard try await call.answer().successful else { return }
        let pin = try await call.promptTTS(
            .digits(max: 8, terminators: "#", digitTimeout: 5, initialTimeout: 60), text: "Welcome. Enter your PIN, then press pound.")
        probe.note("pin \(pin.result ?? "-")")
        let message = try await call.record(beep: true, format: "wav", endSilenceTimeout: 1, terminators: "#")
        probe.note("recorded \(message.url)")
        _ = try await call.playTTS(text: "You entered \(pin.result ?? "nothing"). Goodbye.")
        _ = try await call.hangup()
        probe.note("hung up")
    }

    func onIncomingMessage(_ message: Message) async throws {
        probe.note("sms \(message.body ?? "")")
        guard let client = probe.client.withLock({ $0 }), let from = message.from, let to = message.to else { return }
        _ = try await client.messaging.send(context: "office", from: to, to: from, body: "Thanks, we got: \(message.body ?? "")")
    }
}

/// Answers every call and waits for its end (a SIPp caller hangs up on its own).
struct AnsweringConsumer: Consumer {
    let project: String?
    let token: String?
    let host: String?
    let probe: Probe
    var contexts: [String] { ["office"] }
    var logger: Logger { Logger(label: "test.consumer", factory: { _ in SwiftLogNoOpLogHandler() }) }

    func ready(client: RelayClient) async { probe.note("ready") }

    func onIncomingCall(_ call: Call) async throws {
        guard try await call.answer().successful else { return }
        probe.note("answered \(call.id ?? "-")")
        _ = try await call.waitFor(.ended)
        probe.note("ended")
    }
}

@Suite("Console in a real browser", .serialized, .timeLimit(.minutes(4)))
struct ConsoleBrowserTests {
    static var skipped: Bool { ProcessInfo.processInfo.environment["RELAY_SKIP_BROWSER_TESTS"] == "1" }

    /// Screenshots go to a temporary folder, or to `RELAY_SCREENSHOTS_DIR` (docs/ for the README).
    static func save(_ data: Data, _ name: String) throws {
        let folder = ProcessInfo.processInfo.environment["RELAY_SCREENSHOTS_DIR"] ?? NSTemporaryDirectory()
        try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
    }

    @Test(.disabled(if: skipped, "RELAY_SKIP_BROWSER_TESTS=1"))
    func phoneCallSMSAndRefusalsInChromium() async throws {
        let probe = Probe()
        try await withRelayTestServer(speed: 1, configure: { $0.clockMode = .manual }) { server in
            let consumer = PhoneConsumer(project: server.project, token: server.token, host: server.url, probe: probe)
            let group = ServiceGroup(
                configuration: .init(services: [try ConsumerService(consumer)], logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                do {
                    try await server.waitForConsumers(context: "office")
                    let browser = try await WebDriver.start()
                    do {
                        try await drive(browser, server: server, probe: probe)
                        await browser.quit()
                    } catch {
                        if let shot = try? await browser.screenshot() { try? Self.save(shot, "console-failure.png") }
                        await browser.quit()
                        throw error
                    }
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
            }
        }
    }

    @Test(.disabled(if: skipped, "RELAY_SKIP_BROWSER_TESTS=1"))
    func sipCallShowsItsRTPCountersLiveThenFinal() async throws {
        let probe = Probe()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-console-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withRelayTestServer(speed: 1, configure: { $0.sipAddress = ("127.0.0.1", 0) }) { server in
            let consumer = AnsweringConsumer(project: server.project, token: server.token, host: server.url, probe: probe)
            let group = ServiceGroup(
                configuration: .init(services: [try ConsumerService(consumer)], logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                try await server.waitForConsumers(context: "office")
                let browser = try await WebDriver.start()
                do {
                    try await browser.open(server.httpURL + "/")
                    try await browser.waitFor("the live feed", "return document.getElementById('live').classList.contains('live')")
                    let port = try await Self.sipPort(server)
                    // SIPp's uac_pcap: 236 A-law packets, then an RFC 4733 digit (10), then BYE.
                    async let sipp = SIPpCaller(.builtIn("uac_pcap"), user: "office", directory: directory).call(port: port)
                    let callID = String(try await probe.wait(for: "answered ").dropFirst("answered ".count))
                    _ = try await browser.run("location.hash = '#/call/' + arguments[0]; return true;", [.string(callID)])
                    Self.step("a SIP call's page shows its RTP counters while it runs")
                    try await browser.waitFor(
                        "live RTP counters",
                        """
                        const n = document.querySelector('#rtp [data-rtp=packets_in] b');
                        return !document.getElementById('rtp-card').hidden && document.getElementById('rtp-live').textContent === 'live' && !!n && Number(n.textContent) > 0;
                        """)
                    let outcome = try await sipp
                    #expect(outcome.status == 0, "SIPp: \(outcome.output)")
                    Self.step("and the final counters once it ended")
                    try await browser.waitForText("#rtp-live", "final")
                    let counters = try #require(server.server.sipMediaCounters(callID: callID))
                    #expect(counters.packetsIn == 246 && counters.lost == 0, "\(counters)")
                    let shown = try await browser.run(
                        "const o = {}; for (const e of document.querySelectorAll('#rtp [data-rtp]')) o[e.dataset.rtp] = e.querySelector('b').textContent; return o;")
                    #expect(shown["packets_in"] == "246", "\(shown)")
                    #expect(shown["packets_out"] == .string("\(counters.packetsOut)"), "\(shown) vs \(counters)")
                    #expect(shown["lost"] == "0", "\(shown)")
                    let jitter = Double((shown["jitter_ms"]?.stringValue ?? "").replacingOccurrences(of: " ms", with: "")) ?? -1
                    #expect(abs(jitter - counters.jitterMilliseconds) < 0.006, "\(shown) vs \(counters)")
                    #expect(try await browser.consoleEntries() == [], "no console errors")
                    try Self.save(try await browser.screenshot(), "console-sip-call.png")
                    await browser.quit()
                } catch {
                    if let shot = try? await browser.screenshot() { try? Self.save(shot, "console-sip-failure.png") }
                    await browser.quit()
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
            }
        }
    }

    static func sipPort(_ server: RelayTestServer) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let port = server.server.sipPort { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("the SIP edge did not bind")
    }

    /// Progress on stderr (unbuffered), so a hang shows where it stopped.
    static func step(_ text: String) { FileHandle.standardError.write(Data("console browser test: \(text)\n".utf8)) }

    func drive(_ browser: WebDriver, server: RelayTestServer, probe: Probe) async throws {
        let console = server.httpURL + "/"
        try await browser.open(console)
        try await browser.waitFor("the live feed", "return document.getElementById('live').classList.contains('live')")
        try await browser.waitForText("#sessions", "office")
        #expect(try await browser.consoleEntries() == [], "the page loads with no console errors")

        Self.step("A call from the phone panel appears in the list within a second of the click.")
        // A call from the phone panel appears in the list within a second of the click.
        let dialled = try await browser.runAsync(
            """
            const done = arguments[arguments.length - 1];
            const started = performance.now();
            const seen = () => document.querySelector('#calls tr[data-call]');
            new MutationObserver((_, observer) => {
              const row = seen();
              if (row) { observer.disconnect(); done({ ms: performance.now() - started, id: row.dataset.call }); }
            }).observe(document.getElementById('calls'), { childList: true, subtree: true });
            document.getElementById('dial').click();
            """)
        let elapsed = try #require(dialled["ms"]?.doubleValue)
        let callID = try #require(dialled["id"]?.stringValue)
        // The figure is printed (59–593 ms when measured alone); the bound leaves room for a
        // loaded CI machine (1,109 ms once). The page polls nothing: rows come from the
        // server-sent `/lab/events` stream.
        #expect(elapsed < 5000, "the call appeared after \(elapsed) ms")
        Self.step("the call appeared \(Int(elapsed)) ms after the click")

        Self.step("The consumer answers and prompts; the phone panel shows it as it happens.")
        // The consumer answers and prompts; the phone panel shows it as it happens.
        try await browser.waitForText("#phone-state", "answered")
        try await browser.waitForText("#hear", "prompt playing")

        Self.step("Keys typed into the phone reach the consumer's prompt (the clock moves by the panel).")
        // Keys typed into the phone reach the consumer's prompt (the clock moves by the panel).
        try await browser.type("#keys", "1234#")
        try await browser.click("#send-keys")
        try await browser.waitForText("#hear", "the far end keyed 1234#")
        try await browser.click("[data-advance='10']")
        #expect(try await probe.wait(for: "pin ") == "pin 1234")
        try await browser.waitForText("#hear", "digits 1234")

        Self.step("The consumer records: the caller talks 10 s, then silence ends it.")
        // The consumer records: the caller talks 10 s, then silence ends it.
        try await browser.waitForText("#hear", "recording")
        try await browser.click("[data-advance='60']")
        _ = try await probe.wait(for: "recorded ")
        try await browser.waitForText("#hear", "You entered 1234")
        try await browser.click("[data-advance='10']")
        try await browser.waitForText("#phone-state", "ended")
        _ = try await probe.wait(for: "hung up")

        Self.step("The list shows it ended; its page shows the whole timeline and plays the recording.")
        // The list shows it ended; its page shows the whole timeline and plays the recording.
        try await browser.waitForText("#calls tr[data-call='\(callID)']", "ended")
        try Self.save(try await browser.screenshot(), "console.png")
        try await browser.click("#calls tr[data-call='\(callID)'] a")
        for step in ["offered to session", "answered", "prompt playing", "collect", "digits 1234", "recording", "finished", "ended (hangup)"] {
            try await browser.waitForText("#timeline", step)
        }
        try await browser.waitFor("the journal's frames", "return document.querySelectorAll('#frames details').length > 3")
        try await browser.waitFor("the recording's <audio>", "return !!document.querySelector('#media audio')")
        let played = try await browser.runAsync(
            """
            const done = arguments[arguments.length - 1];
            const audio = document.querySelector('#media audio');
            const report = () => audio.play().then(
              () => done({ ok: true, duration: audio.duration, state: audio.readyState, src: audio.currentSrc }),
              (error) => done({ ok: false, error: String(error), code: audio.error && audio.error.code }));
            if (audio.readyState >= 1) report();
            else { audio.addEventListener('loadedmetadata', report, { once: true });
                   audio.addEventListener('error', () => done({ ok: false, code: audio.error && audio.error.code }), { once: true }); audio.load(); }
            """)
        #expect(played["ok"]?.boolValue == true, "the recording plays: \(played)")
        #expect((played["duration"]?.doubleValue ?? 0) > 1, "the WAV has a duration: \(played)")
        try Self.save(try await browser.screenshot(), "console-call.png")

        Self.step("The world page.")
        // The world page.
        try await browser.click("#tab-world")
        try await browser.waitForText("#world-numbers", "+12015550101")
        try await browser.waitForText("#world-numbers", "busy")
        try Self.save(try await browser.screenshot(), "console-world.png")

        Self.step("An SMS from the panel reaches onIncomingMessage; the consumer's reply shows up live.")
        // An SMS from the panel reaches onIncomingMessage; the consumer's reply shows up live.
        try await browser.click("#tab-activity")
        try await browser.click("#sms-panel summary")
        try await browser.type("#sms-body", "Is the office open?")
        try await browser.click("#sms-form button[type=submit]")
        #expect(try await probe.wait(for: "sms ") == "sms Is the office open?")
        try await browser.waitForText("#replies", "Thanks, we got: Is the office open?")
        try await browser.click("[data-advance='10']")  // the reply's states follow the manual clock
        try await browser.waitForText("#messages", "delivered")
        #expect(try await browser.consoleEntries() == [], "no console errors while the call, the recording and the SMS ran")

        Self.step("A page from another origin can neither inject a call nor open a session.")
        // A page from another origin can neither inject a call nor open a session.
        let before = await server.calls().count
        try await browser.open(server.httpURL.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/console/icon.svg")
        let attempt = try await browser.runAsync(
            """
            const done = arguments[arguments.length - 1];
            const target = arguments[0];
            const results = {};
            fetch(target + '/lab/calls', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
                                           body: JSON.stringify({ context: 'office' }) })
              .then((r) => { results.fetch = r.type; }, (e) => { results.fetch = 'error ' + e; })
              .then(() => {
                const socket = new WebSocket(target.replace('http', 'ws'));
                socket.onopen = () => { results.socket = 'open'; socket.close(); done(results); };
                socket.onerror = () => { results.socket = 'refused'; done(results); };
              });
            """, [.string(server.httpURL)])
        #expect(attempt["socket"]?.stringValue == "refused", "\(attempt)")
        #expect(await server.calls().count == before, "a foreign page injected no call")
    }
}
