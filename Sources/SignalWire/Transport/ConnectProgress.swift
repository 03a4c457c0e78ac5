import NIOCore

/// How far one connection attempt got (TCP, TLS, WebSocket upgrade), so that a failure or the
/// end of the connect budget names the stage and the likely fix. Lives on the event loop.
struct ConnectProgress {
    enum Stage { case tcp, tls, upgrade }

    let endpoint: RelayEndpoint
    let timeout: TimeAmount
    var stage = Stage.tcp
    var channel: (any Channel)?

    init(endpoint: RelayEndpoint, timeout: TimeAmount) {
        self.endpoint = endpoint
        self.timeout = timeout
    }

    private var seconds: String {
        let value = Double(timeout.nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value))" : "\(value)"
    }

    /// `ws://host:port`: the same endpoint without TLS.
    private var plainURL: String { "ws://\(endpoint.authority)" }
    /// `wss://host:port`: the same endpoint with TLS.
    private var secureURL: String { "wss://\(endpoint.authority)" }

    /// The error for a failure at the current stage (`error` nil: the peer closed, or the
    /// budget ended when `timedOut`). TCP failures are transient: a server that is not up yet
    /// may be soon. Everything later is a misconfiguration that retrying would only repeat.
    func diagnose(_ error: (any Error)?, timedOut: Bool) -> RelayError {
        let underlying = error.map { $0 as any Error & Sendable }
        let cause = error.map { ": \($0)" } ?? ""
        var result: RelayError
        switch stage {
        case .tcp:
            if timedOut || isConnectTimeout(error) {
                result = .connectionFailed("\(endpoint): no TCP connection within \(seconds) s", host: endpoint.description, underlying: underlying)
            } else {
                result = .connectionFailed("\(endpoint)\(cause)", host: endpoint.description, underlying: underlying)
            }
            result.isTransient = true
        case .tls:
            let text = error.map { "\($0)" } ?? ""
            if text.localizedCaseInsensitiveContains("certificate") {
                result = .connectionFailed(
                    "\(endpoint): TLS handshake failed, the server's certificate is not trusted\(cause) (set RelayConfiguration.tls to trust it)",
                    host: endpoint.description, underlying: underlying)
            } else {
                let what = timedOut ? "no TLS handshake within \(seconds) s" : "TLS handshake failed"
                result = .connectionFailed(
                    "\(endpoint): \(what) — is this a plain ws:// server? Try \(plainURL)", host: endpoint.description, underlying: underlying)
            }
        case .upgrade:
            let hint = endpoint.secure ? "" : " — is this a TLS (wss://) server? Try \(secureURL)"
            if timedOut {
                result = .connectionFailed("\(endpoint): no answer to the WebSocket upgrade within \(seconds) s\(hint)", host: endpoint.description)
            } else if error == nil {
                result = .connectionFailed("\(endpoint) closed the connection during the WebSocket upgrade\(hint)", host: endpoint.description)
            } else {
                result = .connectionFailed("\(endpoint): the WebSocket upgrade failed\(cause)\(hint)", host: endpoint.description, underlying: underlying)
            }
        }
        return result
    }

    private func isConnectTimeout(_ error: (any Error)?) -> Bool {
        if case .connectTimeout? = error as? ChannelError { return true }
        return false
    }

    /// The error for an HTTP answer that is not `101 Switching Protocols`.
    func refused(status: Int) -> RelayError {
        .connectionFailed(
            "\(endpoint) refused the WebSocket upgrade: HTTP \(status) — is this a Relay server, and is the path right?",
            host: endpoint.description)
    }
}
