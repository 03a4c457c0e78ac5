import Configuration
import Logging

extension RelayConfiguration {
    /// The tunables read with swift-configuration; a missing key keeps its default.
    ///
    /// | Key | Environment variable | Meaning |
    /// |---|---|---|
    /// | `signalwire.wire_generation` | `SIGNALWIRE_WIRE_GENERATION` | ``wireGeneration``: `v2` or `v3` |
    /// | `signalwire.execute_timeout` | `SIGNALWIRE_EXECUTE_TIMEOUT` | ``executeTimeout`` in seconds |
    /// | `signalwire.connect_timeout` | `SIGNALWIRE_CONNECT_TIMEOUT` | ``connectTimeout`` in seconds |
    /// | `signalwire.first_connect_retry_time` | `SIGNALWIRE_FIRST_CONNECT_RETRY_TIME` | ``firstConnectRetryTime`` in seconds |
    /// | `signalwire.ping_interval` | `SIGNALWIRE_PING_INTERVAL` | ``pingInterval`` in seconds |
    /// | `signalwire.reconnect_initial_delay` | `SIGNALWIRE_RECONNECT_INITIAL_DELAY` | ``reconnectInitialDelay`` in seconds |
    /// | `signalwire.reconnect_maximum_delay` | `SIGNALWIRE_RECONNECT_MAXIMUM_DELAY` | ``reconnectMaximumDelay`` in seconds |
    /// | `signalwire.resume_sessions` | `SIGNALWIRE_RESUME_SESSIONS` | ``resumeSessions`` |
    /// | `signalwire.maximum_queued_requests` | `SIGNALWIRE_MAXIMUM_QUEUED_REQUESTS` | ``maximumQueuedRequests`` |
    ///
    /// A generation name ``WireGeneration/init(name:)`` does not know keeps the default.
    ///
    /// ```swift
    /// let config = ConfigReader(provider: EnvironmentVariablesProvider())
    /// let client = try RelayClient(configReader: config)
    /// ```
    public init(configReader config: ConfigReader) {
        self.init()
        func seconds(_ key: String) -> Duration? { config.double(forKey: ConfigKey(key)).map { .milliseconds(Int64(($0 * 1000).rounded())) } }
        if let value = config.string(forKey: "signalwire.wire_generation").flatMap(WireGeneration.init(name:)) { wireGeneration = value }
        if let value = seconds("signalwire.execute_timeout") { executeTimeout = value }
        if let value = seconds("signalwire.connect_timeout") { connectTimeout = value }
        if let value = seconds("signalwire.first_connect_retry_time") { firstConnectRetryTime = value }
        if let value = seconds("signalwire.ping_interval") { pingInterval = value }
        if let value = seconds("signalwire.reconnect_initial_delay") { reconnectInitialDelay = value }
        if let value = seconds("signalwire.reconnect_maximum_delay") { reconnectMaximumDelay = value }
        if let value = config.bool(forKey: "signalwire.resume_sessions") { resumeSessions = value }
        if let value = config.int(forKey: "signalwire.maximum_queued_requests") { maximumQueuedRequests = value }
    }
}

extension RelayClient {
    /// A client configured with swift-configuration: `signalwire.project`, `signalwire.token`
    /// (read as a secret, so access reporters never print it) and `signalwire.host`, which an
    /// `EnvironmentVariablesProvider` reads from `SIGNALWIRE_PROJECT`, `SIGNALWIRE_TOKEN` and
    /// `SIGNALWIRE_HOST`; the tunables as in ``RelayConfiguration/init(configReader:)``.
    /// - Throws: ``RelayError`` with code `missingConfiguration` or `invalidHost`.
    public convenience init(configReader config: ConfigReader, logger: Logger = Logger(label: "signalwire.relay")) throws(RelayError) {
        guard let project = config.string(forKey: "signalwire.project"), !project.isEmpty else {
            throw .missingConfiguration("project (set signalwire.project, or SIGNALWIRE_PROJECT)")
        }
        guard let token = config.string(forKey: "signalwire.token", isSecret: true), !token.isEmpty else {
            throw .missingConfiguration("token (set signalwire.token, or SIGNALWIRE_TOKEN)")
        }
        try self.init(
            project: project, token: token, host: config.string(forKey: "signalwire.host") ?? SignalWireSDK.defaultHost,
            configuration: RelayConfiguration(configReader: config), logger: logger, environment: [:])
    }
}
