import Configuration
import RelayServer
import SignalWire
import Testing

/// `RelayConfiguration`, `RelayClient` and the server's configuration read with swift-configuration.
@Suite("Configuration with swift-configuration")
struct ConfigurationTests {
    @Test func clientAndTunablesComeFromTheReader() throws {
        let config = ConfigReader(provider: InMemoryProvider(values: [
            "signalwire.project": "p1", "signalwire.token": "secret", "signalwire.host": "ws://127.0.0.1:9",
            "signalwire.execute_timeout": 2.5, "signalwire.resume_sessions": false, "signalwire.maximum_queued_requests": 8,
        ]))
        let configuration = RelayConfiguration(configReader: config)
        #expect(configuration.executeTimeout == .milliseconds(2500))
        #expect(configuration.connectTimeout == .seconds(10), "missing keys keep their defaults")
        #expect(!configuration.resumeSessions)
        #expect(configuration.maximumQueuedRequests == 8)
        let client = try RelayClient(configReader: config)
        #expect(client.project == "p1")
        #expect(client.host == "ws://127.0.0.1:9")
        #expect(throws: RelayError.self) { try RelayClient(configReader: ConfigReader(provider: InMemoryProvider(values: [:]))) }
    }

    @Test func serverConfigurationComesFromTheReader() {
        let config = ConfigReader(provider: InMemoryProvider(values: [
            "relay.port": 9090, "relay.project": "lab", "relay.token": "lab-token", "relay.clock": "manual",
        ]))
        let configuration = RelayServerConfiguration(configReader: config)
        #expect(configuration.port == 9090)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.projects.map(\.id) == ["lab"])
        #expect(configuration.clockMode == .manual)
    }
}
