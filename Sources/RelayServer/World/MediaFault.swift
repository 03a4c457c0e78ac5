import RelayWire

/// How a media URL fails when the simulated network fetches it (to play it, or to send it as a fax).
///
/// From the world file (`"media": {"<url>": "404" | "timeout" | "unreachable" | "not_audio"}`), or from
/// the URL itself (``init(conventionsOf:)``).
public struct MediaFault: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case status(Int)
        case timeout
        case unreachable
        case notAudio
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// The server answers with an HTTP error status (400–599).
    public static func status(_ code: Int) -> MediaFault { MediaFault(.status(code)) }
    /// The server never answers: the fetch gives up after ``timeoutSeconds``.
    public static let timeout = MediaFault(.timeout)
    /// The host cannot be resolved or reached.
    public static let unreachable = MediaFault(.unreachable)
    /// The server answers with something that is not audio (an HTML page, a PDF, …).
    public static let notAudio = MediaFault(.notAudio)

    /// Simulated seconds a failing fetch takes, except a timeout.
    public static let failSeconds = 0.2
    /// Simulated seconds before a fetch that gets no answer gives up.
    public static let timeoutSeconds = 5.0

    /// Seconds from the start of the fetch to the failure.
    public var seconds: Double { kind == .timeout ? Self.timeoutSeconds : Self.failSeconds }

    /// Whether a fax document with this fault fails (a non-audio document is fine: faxes are PDFs).
    public var failsFax: Bool { kind != .notAudio }

    /// What went wrong, as the timeline and `fax.error` say it.
    public var description: String {
        switch kind {
        case .status(let code): "the media server answered HTTP \(code)"
        case .timeout: "the media server did not answer within \(Int(Self.timeoutSeconds)) s"
        case .unreachable: "the media host could not be reached"
        case .notAudio: "the URL is not an audio file"
        }
    }

    /// Reads a world-file entry: `"404"` (any status 400–599, also as a number), `"timeout"`,
    /// `"unreachable"` or `"not_audio"`.
    public init(json: JSONValue) throws(WireError) {
        let text = json.stringValue ?? json.intValue.map(String.init) ?? ""
        switch text {
        case "timeout": kind = .timeout
        case "unreachable": kind = .unreachable
        case "not_audio": kind = .notAudio
        default:
            guard let code = Int(text), (400...599).contains(code) else {
                throw WireError("a media fault must be an HTTP status 400-599, \"timeout\", \"unreachable\" or \"not_audio\"")
            }
            kind = .status(code)
        }
    }

    /// The URL conventions that make any world fail: `status=NNN` (400–599) or `status=timeout` in
    /// the query, a host under `.invalid` (RFC 6761), or a path ending in a non-audio extension
    /// (`.txt`, `.html`, `.htm`, `.json`, `.xml`, `.pdf`, `.png`, `.jpg`, `.gif`, `.zip`).
    /// `nil` for any other URL.
    public init?(conventionsOf url: String) {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map { $0.split(separator: ":").first.map(String.init) ?? "" } ?? ""
        let rest = afterScheme.dropFirst(authority.count)
        let path = rest.prefix { $0 != "?" && $0 != "#" }.lowercased()
        let query = rest.dropFirst(path.count)
        if let range = query.range(of: "status=") {
            let value = query[range.upperBound...].prefix { $0 != "&" && $0 != "#" }
            if value == "timeout" {
                self.init(.timeout)
                return
            }
            if let code = Int(value.prefix(3)), (400...599).contains(code) {
                self.init(.status(code))
                return
            }
        }
        if host.lowercased().hasSuffix(".invalid") || host.lowercased() == "invalid" {
            self.init(.unreachable)
            return
        }
        let nonAudio = [".txt", ".html", ".htm", ".json", ".xml", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".zip"]
        if nonAudio.contains(where: { path.hasSuffix($0) }) {
            self.init(.notAudio)
            return
        }
        return nil
    }
}
