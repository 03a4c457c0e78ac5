import Foundation
import HTTPTypes
import Hummingbird

/// Keeps web pages the developer happens to open away from the lab API and the console
/// (DNS rebinding, cross-site requests). For `/` (as HTML), `/console/…` and `/lab…`:
/// * `Host` must be a loopback name (`localhost`, `127.0.0.1`, `[::1]`) or the bound address
///   (any name when the server binds a wildcard address, which requires a lab token): `403`;
/// * an `Origin` header must be this server's own origin: `403`;
/// * a body sent as `text/plain` or `multipart/form-data` (what a page can post to another site
///   without asking first), or as a form from a browser, is refused: `415`;
/// * with a lab token configured, `/lab…` needs it (`Authorization: Bearer`, `X-Relay-Lab-Token`
///   or the `relay_lab_token` cookie): `401`; binding a non-loopback address without one
///   refuses the lab API altogether: `403`.
///
/// The tasks endpoint and `/files/…` keep their own rules (Basic auth; unguessable names).
struct LabGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let configuration: RelayServerConfiguration

    /// `/` is the console only for a browser (`Accept: text/html`); for tools it is a JSON
    /// line naming the WebSocket URL, which needs no guard.
    static func isGuarded(_ request: Request) -> Bool {
        let path = request.uri.path
        if path == "/" { return request.headers[.accept]?.contains("text/html") == true }
        return path.hasPrefix("/lab") || path.hasPrefix("/console/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isGuarded(request) else { return try await next(request, context) }
        if let refusal = Self.refusal(request, configuration: configuration) { return refusal }
        return try await next(request, context)
    }

    static func refusal(_ request: Request, configuration: RelayServerConfiguration) -> Response? {
        let authority = request.head.authority ?? ""
        let name = hostName(authority)
        if !isAllowedHost(name, configuration: configuration) {
            return HTTPRoutes.problem(
                .forbidden,
                "Host '\(LogText.clip(authority))' is not served: the lab API and console answer only to localhost, 127.0.0.1, [::1] or the bound address (DNS rebinding protection)"
            )
        }
        let scheme = configuration.tls == nil ? "http" : "https"
        if let origin = request.headers[.origin], origin.lowercased() != "\(scheme)://\(authority.lowercased())" {
            return HTTPRoutes.problem(
                .forbidden, "Origin '\(LogText.clip(origin))' is not this server's: the lab API and console accept requests from their own pages only")
        }
        if request.headers[secFetchSite] == "cross-site" {
            return HTTPRoutes.problem(.forbidden, "cross-site requests are refused")
        }
        if request.method != .get, request.method != .head, let type = request.headers[.contentType]?.lowercased() {
            let fromBrowser = request.headers[.origin] != nil || request.headers[secFetchMode] != nil
            if type.hasPrefix("text/plain") || type.hasPrefix("multipart/form-data")
                || (fromBrowser && type.hasPrefix("application/x-www-form-urlencoded"))
            {
                return HTTPRoutes.problem(.unsupportedMediaType, "send the body as JSON with 'Content-Type: application/json'")
            }
        }
        guard request.uri.path.hasPrefix("/lab") else { return nil }
        guard let token = configuration.labToken, !token.isEmpty else {
            if isLoopback(configuration.host) { return nil }
            return HTTPRoutes.problem(
                .forbidden, "the lab API is off: the server binds \(configuration.host), which is not loopback; start it with --lab-token")
        }
        if presentedToken(request) == token { return nil }
        return HTTPRoutes.problem(.unauthorized, "this server needs its lab token: 'Authorization: Bearer <token>' (the console asks for it once)")
    }

    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if let header = request.headers[labTokenField] { return header }
        for cookie in request.headers[values: .cookie].flatMap({ $0.split(separator: ";") }) {
            let parts = cookie.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "relay_lab_token" {
                return (String(parts[1]).removingPercentEncoding ?? String(parts[1])).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    static let labTokenField = HTTPField.Name("X-Relay-Lab-Token")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let secFetchMode = HTTPField.Name("Sec-Fetch-Mode")!

    /// `127.0.0.1:8080` → `127.0.0.1`; `[::1]:8080` → `::1`.
    static func hostName(_ authority: String) -> String {
        var text = authority.lowercased()
        if text.hasPrefix("[") {
            guard let end = text.firstIndex(of: "]") else { return text }
            return String(text[text.index(after: text.startIndex)..<end])
        }
        if let colon = text.lastIndex(of: ":") { text = String(text[..<colon]) }
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.") || name.hasSuffix(".localhost")
    }

    static func isWildcard(_ host: String) -> Bool { host == "0.0.0.0" || host == "::" || host == "[::]" }

    static func isAllowedHost(_ name: String, configuration: RelayServerConfiguration) -> Bool {
        if name.isEmpty { return false }
        if isLoopback(name) { return true }
        if isWildcard(configuration.host) { return configuration.labToken != nil }
        return name == hostName(configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host)
    }

    /// Whether a WebSocket upgrade's `Origin` (if any) is the server's own.
    static func acceptsWebSocket(origin: String?, authority: String?, tls: Bool) -> Bool {
        guard let origin else { return true }
        // Browsers send http(s) origins (or `null`); some WebSocket libraries send `ws://host`.
        let lower = origin.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower == "null" else { return true }
        guard let authority else { return false }
        return origin.lowercased() == "\(tls ? "https" : "http")://\(authority.lowercased())"
    }
}
