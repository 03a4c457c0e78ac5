import ArgumentParser

/// `relay demo`: starts the server in-process and runs an SDK consumer against it.
/// Stub: the SDK side fills this in.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the end-to-end demo: a Swift consumer and a scripted caller against an in-process server."
    )

    func run() async throws {
        print("relay demo: not implemented yet")
        throw ExitCode(2)
    }
}
