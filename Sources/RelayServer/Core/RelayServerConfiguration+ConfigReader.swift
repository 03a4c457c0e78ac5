import Configuration

extension RelayServerConfiguration {
    /// A server configuration read with swift-configuration; a missing key keeps the default.
    ///
    /// | Key | Environment variable | Meaning |
    /// |---|---|---|
    /// | `relay.host`, `relay.port` | `RELAY_HOST`, `RELAY_PORT` | where to listen |
    /// | `relay.project`, `relay.token` | `RELAY_PROJECT`, `RELAY_TOKEN` | the one accepted project (the token is read as a secret) |
    /// | `relay.speed` | `RELAY_SPEED` | simulated time per real second |
    /// | `relay.clock` | `RELAY_CLOCK` | `manual` stops simulated time until advanced |
    /// | `relay.tls_cert`, `relay.tls_key` | `RELAY_TLS_CERT`, `RELAY_TLS_KEY` | PEM files: serve `wss://` and `https://` |
    public init(configReader config: ConfigReader) {
        self.init()
        if let value = config.string(forKey: "relay.host") { host = value }
        if let value = config.int(forKey: "relay.port") { port = value }
        if let value = config.double(forKey: "relay.speed") { speed = value }
        if let project = config.string(forKey: "relay.project"), let token = config.string(forKey: "relay.token", isSecret: true) {
            projects = [RelayProject(id: project, token: token)]
        }
        if config.string(forKey: "relay.clock") == "manual" { clockMode = .manual }
        if let certificate = config.string(forKey: "relay.tls_cert"), let key = config.string(forKey: "relay.tls_key") {
            tls = RelayTLSFiles(certificatePath: certificate, privateKeyPath: key)
        }
    }
}
