import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import RelayWire

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`), on
/// loopback. `scripts/test.sh` installs them with apt-get when they are missing; without them
/// the browser tests fail with a message saying so (set `RELAY_SKIP_BROWSER_TESTS=1` to skip
/// them on purpose).
final class WebDriver: Sendable {
    let base: String
    let session: String
    private let process: Process

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    static var chromium: String { ProcessInfo.processInfo.environment["RELAY_CHROMIUM"] ?? "/usr/bin/chromium" }
    static var chromedriver: String { ProcessInfo.processInfo.environment["RELAY_CHROMEDRIVER"] ?? "/usr/bin/chromedriver" }

    private init(base: String, session: String, process: Process) {
        self.base = base
        self.session = session
        self.process = process
    }

    /// Starts chromedriver and a headless browser session.
    static func start(width: Int = 1440, height: Int = 960) async throws -> WebDriver {
        for path in [chromium, chromedriver] where !FileManager.default.isExecutableFile(atPath: path) {
            throw TestFailure(
                "\(path) is missing: the console's browser tests need Debian's chromium and chromium-driver "
                    + "(scripts/test.sh installs them with apt-get; or `apt-get install chromium chromium-driver`; "
                    + "RELAY_SKIP_BROWSER_TESTS=1 skips these tests on purpose)")
        }
        let port = try await freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let base = "http://127.0.0.1:\(port)"
        do {
            // chromedriver answers /status once it listens.
            let deadline = ContinuousClock.now + .seconds(20)
            while (try? await request("GET", base + "/status", nil))?["value"]?["ready"]?.boolValue != true {
                guard ContinuousClock.now < deadline, process.isRunning else { throw TestFailure("chromedriver did not start") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let capabilities: JSONValue = [
                "capabilities": [
                    "alwaysMatch": [
                        "browserName": "chrome",
                        "goog:chromeOptions": [
                            "binary": .string(chromium),
                            "args": [
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                .string("--window-size=\(width),\(height)"), "--autoplay-policy=no-user-gesture-required",
                                "--disable-background-networking", "--disable-extensions", "--force-color-profile=srgb",
                            ],
                        ],
                        "goog:loggingPrefs": ["browser": "ALL"],
                    ]
                ]
            ]
            let reply = try await request("POST", base + "/session", capabilities, timeout: .seconds(60))
            guard let session = reply["value"]?["sessionId"]?.stringValue else { throw TestFailure("no WebDriver session: \(reply)") }
            return WebDriver(base: base, session: session, process: process)
        } catch {
            await stop(process)
            throw error
        }
    }

    /// Ends the browser and chromedriver.
    func quit() async {
        _ = try? await Self.request("DELETE", "\(base)/session/\(session)", nil, timeout: .seconds(10))
        await Self.stop(process)
    }

    /// Stops chromedriver without blocking a thread: SIGTERM, then SIGKILL after 5 s.
    static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: Commands

    func open(_ url: String) async throws { _ = try await command("POST", "url", ["url": .string(url)]) }

    /// Runs a script in the page and returns its value.
    @discardableResult
    func run(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "execute/sync", ["script": .string(script), "args": .array(args)])
    }

    /// Runs an asynchronous script: it calls `arguments[arguments.length - 1]` with its result.
    func runAsync(_ script: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "execute/async", ["script": .string(script), "args": .array(args)])
    }

    func element(_ css: String) async throws -> String {
        let value = try await command("POST", "element", ["using": "css selector", "value": .string(css)])
        guard let id = value[Self.elementKey]?.stringValue else { throw TestFailure("no element \(css)") }
        return id
    }

    func click(_ css: String) async throws { _ = try await command("POST", "element/\(try await element(css))/click", .object([:])) }

    func type(_ css: String, _ text: String) async throws {
        let id = try await element(css)
        _ = try await command("POST", "element/\(id)/clear", .object([:]))
        _ = try await command("POST", "element/\(id)/value", ["text": .string(text)])
    }

    func text(_ css: String) async throws -> String {
        try await run("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", [.string(css)]).stringValue ?? ""
    }

    /// Waits until `condition` (a script returning a value) returns something truthy.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: String, _ args: [JSONValue] = []) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let value = try await run(condition, args)
            switch value {
            case .null, .bool(false): break
            case .string(let text) where text.isEmpty: break
            default: return value
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(40))
        }
    }

    /// Waits until the element's text contains `needle`.
    func waitForText(_ css: String, _ needle: String, timeout: Duration = .seconds(20)) async throws {
        do {
            try await waitFor(
                "'\(needle)' in \(css)", timeout: timeout,
                "const e = document.querySelector(arguments[0]); return !!e && e.textContent.includes(arguments[1]);", [.string(css), .string(needle)])
        } catch {
            throw TestFailure("timed out waiting for '\(needle)' in \(css); it holds: \(try await text(css).suffix(600))")
        }
    }

    /// Browser console entries at `level` (`SEVERE`, `WARNING`, …) since the last call.
    func consoleEntries(level: String = "SEVERE") async throws -> [String] {
        let value = try await command("POST", "se/log", ["type": "browser"])
        return (value.arrayValue ?? []).filter { $0["level"]?.stringValue == level }.map { $0["message"]?.stringValue ?? "" }
    }

    func screenshot() async throws -> Data {
        let value = try await command("GET", "screenshot", nil)
        guard let text = value.stringValue, let data = Data(base64Encoded: text) else { throw TestFailure("no screenshot") }
        return data
    }

    // MARK: Plumbing

    private func command(_ method: String, _ path: String, _ body: JSONValue?) async throws -> JSONValue {
        let reply = try await Self.request(method, "\(base)/session/\(session)/\(path)", body)
        if let error = reply["value"]?["error"]?.stringValue {
            throw TestFailure("WebDriver \(path): \(error): \(reply["value"]?["message"]?.stringValue ?? "")")
        }
        return reply["value"] ?? .null
    }

    static func request(_ method: String, _ url: String, _ body: JSONValue?, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONCodec.serialize(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (try? JSONCodec.parse(Array(bytes.readableBytesView))) ?? .null
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
