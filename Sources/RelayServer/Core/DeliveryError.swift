import RelayWire

/// Result of delivering inbound work (message, task) to a context.
public enum DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connected session of the project is receiving the context.
    case noConsumer(context: String)
    /// The project id is not configured.
    case unknownProject(String)

    public var description: String {
        switch self {
        case .noConsumer(let context): "no consumer is receiving context '\(context)'"
        case .unknownProject(let project): "unknown project '\(project)'"
        }
    }
}
