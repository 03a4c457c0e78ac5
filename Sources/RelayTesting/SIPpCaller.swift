import Foundation

/// One call from SIPp (Debian's `sip-tester`, `/usr/bin/sipp`) to a SIP edge on loopback, run
/// as a child process: `-m 1`, free SIP and media ports, bounded by `-timeout`. Its output goes
/// to a log file and its exit is awaited through `terminationHandler`, so no thread of the
/// cooperative pool blocks while SIPp runs.
public struct SIPpCaller: Sendable {
    /// What SIPp runs.
    public struct Scenario: Sendable, Hashable {
        fileprivate enum Value: Sendable, Hashable {
            case builtIn(String)
            case xml(name: String, text: String)
        }
        fileprivate let value: Value

        /// A built-in scenario (`uac`, `uac_pcap`); `uac_pcap` finds its pcap files through a
        /// `pcap` link in the working directory.
        public static func builtIn(_ name: String) -> Scenario { Scenario(value: .builtIn(name)) }

        /// A scenario given as XML, written to the working directory as `name`.
        public static func xml(name: String, _ text: String) -> Scenario { Scenario(value: .xml(name: name, text: text)) }

        /// SIPp's `uac_pcap` (7 s of A-law from `g711a.pcap`, then an RFC 4733 digit 1) except
        /// that the far end hangs up: after the digit SIPp waits for a BYE and answers `200 OK`.
        /// The same scenario is `Tests/Fixtures/sipp/caller_plays_audio_then_waits_for_bye.xml`.
        public static let uacPcapFarHangup = xml(name: "uac_pcap_far_hangup.xml", uacPcapFarHangupXML)
    }

    /// How SIPp's call went.
    public struct Outcome: Sendable {
        /// SIPp's exit code: 0 when its call succeeded.
        public var status: Int32
        /// Where SIPp's output is.
        public var logPath: String
        /// The end of SIPp's output.
        public var output: String {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return String(text.suffix(4000))
        }
    }

    /// Why SIPp could not be run.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Where Debian installs SIPp.
    public static let executable = "/usr/bin/sipp"

    /// The scenario to run.
    public var scenario: Scenario
    /// The user dialled: `sip:<user>@<edge>`.
    public var user: String
    /// SIPp's working directory, where its log goes.
    public var directory: URL
    /// SIPp gives up on its call after this many seconds (`-timeout`, and then exits non-zero).
    public var timeoutSeconds: Int

    /// - Parameters:
    ///   - scenario: what SIPp runs.
    ///   - user: the user dialled.
    ///   - directory: SIPp's working directory (created when missing); its log is `sipp.log` there.
    ///   - timeoutSeconds: how long SIPp's call may take.
    public init(_ scenario: Scenario, user: String, directory: URL, timeoutSeconds: Int = 60) {
        self.scenario = scenario
        self.user = user
        self.directory = directory
        self.timeoutSeconds = timeoutSeconds
    }

    /// Calls the edge at `host:port` and returns when SIPp exits (cancelling the task stops SIPp).
    /// - Throws: when SIPp is missing or cannot start.
    public func call(host: String = "127.0.0.1", port: Int) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw Failure("SIPp is missing: scripts/sip-deps.sh installs it (apt-get install sip-tester)")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments: [String]
        switch scenario.value {
        case .builtIn(let name):
            arguments = ["-sn", name]
            let link = directory.appendingPathComponent("pcap").path
            if !FileManager.default.fileExists(atPath: link) {
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/usr/share/sip-tester")
            }
        case .xml(let name, let text):
            let file = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: file)
            arguments = ["-sf", file.path]
        }
        // SIPp takes no port 0: give it free ones (media on an even port, RTP's custom).
        arguments += [
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)", "-s", user, "-m", "1", "-i", "127.0.0.1",
            "-p", "\(try Self.freeUDPPort())", "-mp", "\(try Self.freeUDPPort(even: true))",
            "-timeout", "\(timeoutSeconds)s", "-timeout_error", "-nostdin",
        ]
        let log = directory.appendingPathComponent("sipp.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let status = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (exit: CheckedContinuation<Int32, any Error>) in
                process.terminationHandler = { exit.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { exit.resume(throwing: error) }
            }
        } onCancel: {
            if process.isRunning { process.terminate() }
        }
        return Outcome(status: status, logPath: log.path)
    }

    /// A UDP port free on 127.0.0.1 right now.
    public static func freeUDPPort(even: Bool = false) throws -> Int {
        for _ in 0..<64 {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
            }
            guard bound else { continue }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if !even || port % 2 == 0 { return port }
        }
        throw Failure("no free UDP port on 127.0.0.1")
    }
}

private let uacPcapFarHangupXML = #"""
    <?xml version="1.0" encoding="ISO-8859-1" ?>
    <!DOCTYPE scenario SYSTEM "sipp.dtd">
    <!-- SIPp's built-in uac_pcap, except that the far end hangs up: after the digit SIPp waits
         for a BYE and answers it 200 OK. The pcap files are Debian sip-tester's. -->
    <scenario name="UAC with media, far end hangs up">
      <send retrans="500">
        <![CDATA[

          INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
          Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
          From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
          To: [service] <sip:[service]@[remote_ip]:[remote_port]>
          Call-ID: [call_id]
          CSeq: 1 INVITE
          Contact: sip:sipp@[local_ip]:[local_port]
          Max-Forwards: 70
          Subject: Performance Test
          Content-Type: application/sdp
          Content-Length: [len]

          v=0
          o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
          s=-
          c=IN IP[local_ip_type] [local_ip]
          t=0 0
          m=audio [auto_media_port] RTP/AVP 8 101
          a=rtpmap:8 PCMA/8000
          a=rtpmap:101 telephone-event/8000
          a=fmtp:101 0-11,16

        ]]>
      </send>
      <recv response="100" optional="true"></recv>
      <recv response="180" optional="true"></recv>
      <recv response="200" rtd="true" crlf="true"></recv>
      <send>
        <![CDATA[

          ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
          Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
          From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
          To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
          Call-ID: [call_id]
          CSeq: 1 ACK
          Contact: sip:sipp@[local_ip]:[local_port]
          Max-Forwards: 70
          Subject: Performance Test
          Content-Length: 0

        ]]>
      </send>
      <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
      <pause milliseconds="8000"/>
      <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_1.pcap"/></action></nop>
      <recv request="BYE" crlf="true"></recv>
      <send>
        <![CDATA[

          SIP/2.0 200 OK
          [last_Via:]
          [last_From:]
          [last_To:]
          [last_Call-ID:]
          [last_CSeq:]
          Contact: <sip:[local_ip]:[local_port];transport=[transport]>
          Content-Length: 0

        ]]>
      </send>
    </scenario>
    """#
