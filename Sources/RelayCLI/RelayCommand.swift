import ArgumentParser

/// `relay`: the local SignalWire Relay server and the tools to poke it.
@main
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "A local SignalWire Relay v2 server, and tools to drive it.",
        discussion: """
            relay serve                      run the server (ws://127.0.0.1:8080 by default)
            relay call --context office      inject an inbound call into a running server
            relay sms --context office ...   inject an inbound message
            relay task --context office ...  deliver a task through the REST endpoint
            relay watch                      follow every call, message and task on a running server
            relay calls                      list calls with state and duration
            relay demo                       run the end-to-end demo in-process (--console keeps it up)
            See docs/SERVER.md.
            """,
        subcommands: [ServeCommand.self, CallCommand.self, SMSCommand.self, TaskCommand.self, DemoCommand.self, WatchCommand.self, CallsCommand.self]
    )
}
