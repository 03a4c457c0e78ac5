import Foundation
import Testing

/// SIPp (`sip-tester`, installed by scripts/sip-deps.sh) answering one call on loopback, for
/// tests that dial a real SIP phone through the server's SIP edge.
enum SIPpCallee {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// A free UDP port on 127.0.0.1 (SIPp takes no port 0).
    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Missing(description: "no free UDP port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs SIPp's built-in `uas` on `port` for one call; returns its exit status (0: the call
    /// went through, our BYE included) and output. The exit comes through a handler and the
    /// output through a file: nothing blocks the cooperative pool. Cancelling stops SIPp.
    static func run(port: Int) async throws -> (status: Int32, output: String) {
        // SIPp can lose its bind to a port taken in between (its free media ports, or `port`
        // itself while `waitUntilListening` probes it by binding): start again then.
        var attempt = 0
        while true {
            attempt += 1
            let result = try await runOnce(port: port)
            guard result.status != 0, attempt < 3, result.output.localizedCaseInsensitiveContains("bind") else { return result }
        }
    }

    private static func runOnce(port: Int) async throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") else {
            throw Missing(description: "SIPp is missing: scripts/sip-deps.sh installs it (apt-get install sip-tester)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        process.arguments = [
            "-sn", "uas", "-p", "\(port)", "-i", "127.0.0.1", "-m", "1", "-cp", "\(try freePort())", "-mp", "\(try freePort())", "-timeout", "60s",
            "-timeout_error", "-nostdin",
        ]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: log)
        }
        process.standardOutput = handle
        process.standardError = handle
        let status = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (exit: CheckedContinuation<Int32, any Error>) in
                process.terminationHandler = { exit.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { exit.resume(throwing: error) }
            }
        } onCancel: {
            // SIGKILL: SIPp ignores SIGTERM while it waits for a call.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Waits until SIPp has bound `port` (binding it ourselves fails).
    static func waitUntilListening(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let free = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(socket)
            if !free { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Missing(description: "SIPp did not bind UDP port \(port)")
    }
}
