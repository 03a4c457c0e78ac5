// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SignalWireRelay",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SignalWire", targets: ["SignalWire"]),
        .library(name: "RelayWire", targets: ["RelayWire"]),
        .library(name: "RelayServer", targets: ["RelayServer"]),
        .library(name: "RelayTesting", targets: ["RelayTesting"]),
        .executable(name: "relay", targets: ["RelayCLI"]),
        .executable(name: "relay-bench", targets: ["RelayBench"]),
        .executable(name: "example-outbound-call", targets: ["ExampleOutboundCall"]),
        .executable(name: "example-inbound-connect", targets: ["ExampleInboundConnect"]),
        .executable(name: "example-send-sms", targets: ["ExampleSendSMS"]),
        .executable(name: "example-task-consumer", targets: ["ExampleTaskConsumer"]),
        .executable(name: "readme-receptionist", targets: ["ReadmeReceptionist"]),
        .executable(name: "readme-outbound", targets: ["ReadmeOutbound"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // `swift package generate-documentation` (DocC); no code of it is linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Already in the graph through AsyncHTTPClient, with no traits, as there.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.0.0", traits: []),
    ],
    targets: [
        // Pure wire values shared by the SDK and the local server: no I/O.
        .target(name: "RelayWire"),
        .target(
            name: "SignalWire",
            dependencies: [
                "RelayWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .target(
            name: "RelayServer",
            dependencies: [
                "RelayWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .target(
            name: "RelayTesting",
            dependencies: ["RelayServer", "SignalWire", "RelayWire", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "RelayCLI",
            dependencies: [
                "RelayServer", "SignalWire", "RelayWire", "RelayTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The seed's examples in Swift (Examples/README.md).
        .executableTarget(name: "ExampleOutboundCall", dependencies: ["SignalWire"], path: "Examples/OutboundCall"),
        .executableTarget(name: "ExampleInboundConnect", dependencies: ["SignalWire"], path: "Examples/InboundConnect"),
        .executableTarget(name: "ExampleSendSMS", dependencies: ["SignalWire"], path: "Examples/SendSMS"),
        .executableTarget(name: "ExampleTaskConsumer", dependencies: ["SignalWire"], path: "Examples/TaskConsumer"),
        // The README's programs, word for word (scripts/check-readme.sh).
        .executableTarget(name: "ReadmeReceptionist", dependencies: ["SignalWire"], path: "Examples/Readme/Receptionist"),
        .executableTarget(name: "ReadmeOutbound", dependencies: ["SignalWire"], path: "Examples/Readme/Outbound"),
        // `relay-bench`: the Swift side of Benchmarks/run.sh (release builds only).
        .executableTarget(
            name: "RelayBench",
            dependencies: [
                "SignalWire", "RelayWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            path: "Benchmarks/RelayBench"
        ),
        .testTarget(name: "RelayWireTests", dependencies: ["RelayWire"]),
        .testTarget(
            name: "SignalWireTests",
            dependencies: [
                "SignalWire", "RelayTesting", "RelayServer", "RelayWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "RelayServer", "RelayTesting", "RelayWire", "SignalWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "RelayServerTests",
            dependencies: [
                "RelayServer", "RelayTesting", "RelayWire", "SignalWire",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
