import Foundation
import Logging
import Synchronization

/// A one-line logging set-up for programs that have none: swift-log's standard-error handler
/// at the level named by `LOG_LEVEL`.
///
/// ```swift
/// RelayLogging.bootstrap()   // LOG_LEVEL=trace shows every frame, secrets masked
/// ```
public enum RelayLogging {
    /// Bootstraps swift-log once per process (later calls do nothing) with
    /// `StreamLogHandler.standardError` at `LOG_LEVEL`: `trace`, `debug`, `info` (the default),
    /// `notice`, `warning`, `error` or `critical`.
    public static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        once.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    private static let once = Mutex(false)
}
